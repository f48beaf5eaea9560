"""Core tests use the same fixtures a third-party plugin gets from the
``helpline`` pytest plugin (app.testing.plugin)."""
