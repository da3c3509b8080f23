"""The hub's configuration: settings, callers, limits, sources and matters, read once and
validated, every error naming the bad key."""
