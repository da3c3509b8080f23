"""Applications: one "one thing" case as the hub saw it, so its progress can be looked up."""
