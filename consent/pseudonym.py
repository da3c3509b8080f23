"""Subject pseudonyms: HMAC-SHA256 of the canonical resident ID under a versioned key.

The clear ID is never stored or logged; stores and the audit trail hold `v1:<hex>`. The version
prefix lets keys rotate: old pseudonyms stay matchable while the old key is kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["pseudonym", "pseudonyms"]


def pseudonym(keys: Mapping[str, bytes], version: str, canonical_id: str) -> str:
    mac = hmac.new(keys[version], canonical_id.encode(), hashlib.sha256).hexdigest()
    return f"{version}:{mac}"


def pseudonyms(keys: Mapping[str, bytes], canonical_id: str) -> list[str]:
    """The subject's pseudonym under every known key version (for matching old records)."""
    return [pseudonym(keys, v, canonical_id) for v in keys]
