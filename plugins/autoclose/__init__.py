"""The autoclose plugin (being built: see its issue)."""
