"""The macros plugin (being built: see its issue)."""
