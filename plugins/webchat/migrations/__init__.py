"""Web chat migrations (playhouse.migrations files)."""
