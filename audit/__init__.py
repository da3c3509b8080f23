"""The tamper-evident audit log, signatures and keys, canonical JSON, RFC 9162 proofs."""
