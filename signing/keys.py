"""The hub's keys: Ed25519 signing keys (reports, consents, checkpoints) and pseudonym keys.

`hub keys init DIR` writes a fresh set: `signing.pem` (PKCS#8, mode 0600), `pseudonym.key` and
`encryption.key` (32 random bytes, hex, with a version prefix), and `hub-keys.json`, the public
half that `/.well-known/hub-keys` serves. A key id is the first 16 hex digits of the SHA-256 of
the raw public key, so a verifier can tell keys apart without trusting a name.
`verify_signature` returns nothing or raises: there is no boolean to forget to check.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "PUBLIC_FILE",
    "KeyRing",
    "KeysError",
    "SignatureInvalid",
    "init_keys",
    "key_id",
    "load_public_keys",
    "verify_signature",
]

PUBLIC_FILE = "hub-keys.json"


class KeysError(Exception):
    """Keys are missing or unreadable; the message names the file and what to do."""

    code = "KEYS_INVALID"


class SignatureInvalid(Exception):
    """A signature did not verify: wrong key, unknown key id, or changed content."""

    code = "SIGNATURE_INVALID"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class KeyRing:
    signing: Ed25519PrivateKey
    signing_kid: str
    public: Mapping[str, Ed25519PublicKey]  # every key id a signature may name
    pseudonym_keys: Mapping[str, bytes]  # version → HMAC key, e.g. {"v1": …}
    pseudonym_version: str

    def sign(self, payload: bytes) -> tuple[str, str]:
        """Base64 Ed25519 signature of `payload` and the key id that made it."""
        return _b64(self.signing.sign(payload)), self.signing_kid

    def public_json(self) -> dict[str, object]:
        return {"keys": [
            {"kid": kid, "kty": "OKP", "crv": "Ed25519",
             "x": _b64(pub.public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw))}
            for kid, pub in self.public.items()
        ]}

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        pem = directory / "signing.pem"
        try:
            private = serialization.load_pem_private_key(pem.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeysError(f"no signing key at {pem}; run: hub keys init {directory}") from None
        except ValueError:
            raise KeysError(f"{pem} is not a PEM Ed25519 private key") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeysError(f"{pem} is not an Ed25519 key")
        kid = key_id(private.public_key())
        public = dict(load_public_keys(directory / PUBLIC_FILE)) if (
            directory / PUBLIC_FILE).exists() else {}
        public[kid] = private.public_key()
        pseudonym = _read_versioned(directory / "pseudonym.key")
        return cls(private, kid, public, {pseudonym[0]: pseudonym[1]}, pseudonym[0])


def _read_versioned(path: Path) -> tuple[str, bytes]:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise KeysError(f"no key at {path}; run: hub keys init {path.parent}") from None
    version, _, hexkey = text.partition(":")
    try:
        key = bytes.fromhex(hexkey)
    except ValueError:
        key = b""
    if not version or len(key) < 32:
        raise KeysError(f"{path} must hold VERSION:HEX with at least 32 bytes of key")
    return version, key


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Read a `hub-keys.json` document (as served at /.well-known/hub-keys)."""
    try:
        doc = orjson.loads(path.read_bytes())
        keys = {}
        for entry in doc["keys"]:
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["x"]))
            if key_id(public) != entry["kid"]:
                raise KeysError(f"{path}: key id {entry['kid']} does not match its key")
            keys[entry["kid"]] = public
        return keys
    except FileNotFoundError:
        raise KeysError(f"no public keys at {path}") from None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise KeysError(f"{path} is not a hub-keys document ({{\"keys\": [...]}})") from None


def verify_signature(public: Mapping[str, Ed25519PublicKey], kid: str, payload: bytes,
                     unverified_signature: str) -> None:
    """Return if `unverified_signature` is `kid`'s signature of `payload`; raise otherwise."""
    key = public.get(kid)
    if key is None:
        raise SignatureInvalid(f"signed by an unknown key ({kid})")
    try:
        key.verify(base64.b64decode(unverified_signature, validate=True), payload)
    except (InvalidSignature, ValueError):
        raise SignatureInvalid("the signature does not match the content") from None


def init_keys(directory: Path, *, overwrite: bool = False) -> KeyRing:
    """Create fresh signing, pseudonym and encryption keys in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    pem = directory / "signing.pem"
    if pem.exists() and not overwrite:
        raise KeysError(f"{pem} exists; keys are never overwritten silently")
    private = Ed25519PrivateKey.generate()
    _write_secret(pem, private.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    _write_secret(directory / "pseudonym.key", f"v1:{secrets.token_hex(32)}\n".encode())
    _write_secret(directory / "encryption.key", f"v1:{secrets.token_hex(32)}\n".encode())
    ring = KeyRing.load(directory)
    (directory / PUBLIC_FILE).write_bytes(orjson.dumps(ring.public_json(),
                                                       option=orjson.OPT_INDENT_2))
    return ring


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
