"""Consent: the purpose catalogue, signed consent artefacts, pseudonyms and their store."""
