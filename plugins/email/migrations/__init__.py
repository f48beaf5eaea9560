"""Migrations of the email plugin (run by ``helpline migrate``)."""
