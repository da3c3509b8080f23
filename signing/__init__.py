"""Signing: canonical JSON, the hub's Ed25519 keys and pseudonym keys, signature verification."""
