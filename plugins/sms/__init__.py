"""The sms plugin (being built: see its issue)."""
