"""The email plugin (being built: see its issue)."""
