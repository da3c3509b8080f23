"""Sealing a clear identifier the hub must keep but never show: AES-256-GCM under `encryption.key`.

The hub stores subjects by pseudonym; an objection, though, must reach the department with the
subject's real identifier, possibly long after it was raised (the department was down, a retry
follows). The identifier is kept sealed: `v1:<nonce>:<ciphertext>` (base64), bound to the record
it belongs to by the associated data, so a sealed value copied onto another record does not open.
`unseal` returns the text or raises `SealBroken`.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signing.keys import KeysError

__all__ = ["SealBroken", "Sealer", "load_sealer"]


class SealBroken(Exception):
    """A sealed value does not open: another key, another record, or changed bytes."""

    code = "SEAL_BROKEN"


@dataclass(frozen=True)
class Sealer:
    version: str
    key: bytes  # 32 bytes

    def seal(self, text: str, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, text.encode(), bound_to.encode())
        return ":".join((self.version, base64.b64encode(nonce).decode(),
                         base64.b64encode(sealed).decode()))

    def unseal(self, sealed: str, bound_to: str) -> str:
        version, _, rest = sealed.partition(":")
        nonce_text, _, body = rest.partition(":")
        if version != self.version:
            raise SealBroken(f"sealed under key {version!r}, this hub holds {self.version!r}")
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
            return AESGCM(self.key).decrypt(nonce, base64.b64decode(body, validate=True),
                                            bound_to.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag):
            raise SealBroken("the sealed value does not open") from None


def load_sealer(directory: Path) -> Sealer:
    """The sealing key from `encryption.key` (VERSION:HEX, 32 bytes) in the keys directory."""
    path = directory / "encryption.key"
    try:
        version, _, hexkey = path.read_text().strip().partition(":")
        key = bytes.fromhex(hexkey)
    except FileNotFoundError:
        raise KeysError(f"no key at {path}; run: hub keys init {directory}") from None
    except ValueError:
        key = b""
    if not version or len(key) != 32:
        raise KeysError(f"{path} must hold VERSION:HEX with 32 bytes of key")
    return Sealer(version, key)
