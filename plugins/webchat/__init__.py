"""The webchat plugin (being built: see its issue)."""
