"""The roundrobin plugin (being built: see its issue)."""
