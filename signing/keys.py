"""The hub's keys: Ed25519 signing keys (reports, consents, checkpoints) and pseudonym keys.

A keys directory holds `signing.pem` (the current signing key, PKCS#8, mode 0600),
`pseudonym.key` (one `VERSION:HEX` line per pseudonym key version, 32 random bytes each, the
last line current, mode 0600), `encryption.key` (the AES-256-GCM key that seals the clear
identifiers an objection must carry to a department, `signing.seal`; mode 0600) and
`hub-keys.json`, the public half that `/.well-known/hub-keys` serves: every signing key the hub
has ever used, so that reports, consents and checkpoints signed before a rotation still verify.
A key id is the first 16 hex digits of the SHA-256 of the raw public key, so a verifier can tell
keys apart without trusting a name. `verify_signature` returns nothing or raises: there is no
boolean to forget to check.

Rotation adds and never replaces: `rotate_signing` publishes the new public key before it
starts signing with it, and `rotate_pseudonym` appends a version, keeping the earlier ones so
that pseudonyms made under them stay matchable (an auditor's search by subject finds entries of
every version). `encryption.key` is made once and never replaced: what it sealed must open.
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
    "ENCRYPTION_FILE",
    "PSEUDONYM_FILE",
    "PUBLIC_FILE",
    "SIGNING_FILE",
    "KeyRing",
    "KeysError",
    "SignatureInvalid",
    "init_keys",
    "key_id",
    "load_public_keys",
    "rotate_pseudonym",
    "rotate_signing",
    "verify_signature",
]

PUBLIC_FILE = "hub-keys.json"
SIGNING_FILE = "signing.pem"
PSEUDONYM_FILE = "pseudonym.key"
ENCRYPTION_FILE = "encryption.key"


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
    pseudonym_keys: Mapping[str, bytes]  # every version → HMAC key, e.g. {"v1": …, "v2": …}
    pseudonym_version: str  # the version new pseudonyms are made with (the newest)

    def sign(self, payload: bytes) -> tuple[str, str]:
        """Base64 Ed25519 signature of `payload` and the key id that made it."""
        return _b64(self.signing.sign(payload)), self.signing_kid

    def public_json(self) -> dict[str, object]:
        return self.public_json_of(self.public)

    @staticmethod
    def public_json_of(public: Mapping[str, Ed25519PublicKey]) -> dict[str, object]:
        """The `hub-keys.json` document of `public` (a JWK-like set of Ed25519 keys)."""
        return {"keys": [
            {"kid": kid, "kty": "OKP", "crv": "Ed25519",
             "x": _b64(pub.public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw))}
            for kid, pub in public.items()
        ]}

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        if not directory.is_dir():
            raise KeysError(f"no keys directory at {directory}; run: hub keys init {directory}")
        private = _read_signing(directory / SIGNING_FILE)
        kid = key_id(private.public_key())
        public = dict(load_public_keys(directory / PUBLIC_FILE)) if (
            directory / PUBLIC_FILE).exists() else {}
        public[kid] = private.public_key()
        versions = _read_versions(directory / PSEUDONYM_FILE)
        return cls(private, kid, public, versions, list(versions)[-1])


def _read_signing(pem: Path) -> Ed25519PrivateKey:
    try:
        private = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeysError(f"no signing key at {pem}; run: hub keys init {pem.parent}") from None
    except PermissionError:
        raise KeysError(f"{pem} cannot be read by this user") from None
    except ValueError:
        raise KeysError(f"{pem} is not a PEM Ed25519 private key") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeysError(f"{pem} is not an Ed25519 key")
    return private


def _read_versions(path: Path) -> dict[str, bytes]:
    """Every `VERSION:HEX` line of a versioned key file, oldest first; the last is current."""
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        raise KeysError(f"no key at {path}; run: hub keys init {path.parent}") from None
    except PermissionError:
        raise KeysError(f"{path} cannot be read by this user") from None
    versions: dict[str, bytes] = {}
    for number, line in enumerate(lines, 1):
        version, _, hexkey = line.partition(":")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            key = b""
        if not version or len(key) < 32:
            raise KeysError(f"{path} line {number}: must be VERSION:HEX with at least 32 bytes "
                            "of key")
        if version in versions:
            raise KeysError(f"{path} line {number}: version {version} appears twice; a "
                            "version names one key for ever")
        versions[version] = key
    if not versions:
        raise KeysError(f"{path} holds no key; run: hub keys init {path.parent}")
    return versions


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
    """Create a signing key, a first pseudonym key version and the encryption key in
    `directory`.

    Existing keys are never replaced: without `overwrite` they are refused; with it, the
    signing key and the pseudonym key are rotated (a new key, a new version), so that what
    was signed before still verifies and pseudonyms made before stay matchable, and an
    existing encryption key is kept (what it sealed must still open; one missing is made).
    """
    directory.mkdir(parents=True, exist_ok=True)
    existing = [directory / name for name in (SIGNING_FILE, PSEUDONYM_FILE)
                if (directory / name).exists()]
    if existing and not overwrite:
        raise KeysError(f"{existing[0]} exists; keys are never overwritten silently (hub keys "
                        "rotate adds a new version)")
    if (directory / SIGNING_FILE).exists():
        rotate_signing(directory)
    else:
        _write_secret(directory / SIGNING_FILE, _pem(Ed25519PrivateKey.generate()))
    if (directory / PSEUDONYM_FILE).exists():
        rotate_pseudonym(directory)
    else:
        _write_secret(directory / PSEUDONYM_FILE, f"v1:{secrets.token_hex(32)}\n".encode())
    if not (directory / ENCRYPTION_FILE).exists():
        _write_secret(directory / ENCRYPTION_FILE, f"v1:{secrets.token_hex(32)}\n".encode())
    ring = KeyRing.load(directory)
    _publish(directory, ring.public)
    return ring


def rotate_signing(directory: Path) -> tuple[str, str]:
    """Start signing with a new key; return (old key id, new key id).

    The new public key is published (with every earlier one) before the private key is
    replaced, so a crash in between leaves the old key in use and nothing unverifiable.
    """
    ring = KeyRing.load(directory)
    fresh = Ed25519PrivateKey.generate()
    new_kid = key_id(fresh.public_key())
    _publish(directory, {**ring.public, new_kid: fresh.public_key()})
    _write_secret(directory / SIGNING_FILE, _pem(fresh))
    return ring.signing_kid, new_kid


def rotate_pseudonym(directory: Path) -> tuple[str, str]:
    """Add a pseudonym key version and make it current; return (old, new) version labels."""
    path = directory / PSEUDONYM_FILE
    versions = _read_versions(path)
    numbers = [int(v[1:]) for v in versions if v[:1] == "v" and v[1:].isdigit()]
    label = f"v{max(numbers, default=0) + 1}"
    while label in versions:  # labels written by hand may not follow vN
        label = f"v{int(label[1:]) + 1}"
    lines = [f"{v}:{k.hex()}" for v, k in versions.items()]
    lines.append(f"{label}:{secrets.token_hex(32)}")
    _write_secret(path, ("\n".join(lines) + "\n").encode())
    return list(versions)[-1], label


def _pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def _publish(directory: Path, public: Mapping[str, Ed25519PublicKey]) -> None:
    doc = KeyRing.public_json_of(public)
    tmp = directory / (PUBLIC_FILE + ".tmp")
    tmp.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    tmp.replace(directory / PUBLIC_FILE)


def _write_secret(path: Path, data: bytes) -> None:
    """Write a secret file whole (mode 0600) and move it into place, never half-written."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
