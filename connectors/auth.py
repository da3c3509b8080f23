"""Department credentials: how an outbound request proves which system is calling.

Departments on the exchange platform use one of three schemes: an application key in a header,
an application key in the query string, or an HMAC-SHA256 signature over the request (method,
path with query, timestamp, SHA-256 of the body) keyed with a per-application secret, as the
common API gateways do. Credentials come from configuration by reference (`env:NAME`,
`file:PATH` or `value:SECRET`), never from code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from connectors.errors import CredentialError

__all__ = [
    "AUTH_SCHEMES",
    "HMAC_KEY_HEADER",
    "HMAC_SIGNATURE_HEADER",
    "HMAC_TIMESTAMP_HEADER",
    "resolve_credential",
    "sign",
    "signed_headers",
]

AUTH_SCHEMES = ("app-key-header", "app-key-query", "hmac-sha256")
HMAC_KEY_HEADER = "X-Ca-Key"
HMAC_TIMESTAMP_HEADER = "X-Ca-Timestamp"
HMAC_SIGNATURE_HEADER = "X-Ca-Signature"


def resolve_credential(reference: str, environ: Mapping[str, str] | None = None) -> str:
    """Turn `env:NAME`, `file:PATH` or `value:SECRET` into the secret it names."""
    kind, sep, rest = reference.partition(":")
    if not sep or not rest:
        raise CredentialError("a credential is written env:NAME, file:PATH or value:SECRET")
    if kind == "env":
        env = os.environ if environ is None else environ
        if rest not in env or not env[rest]:
            raise CredentialError(f"environment variable {rest} is not set")
        return env[rest]
    if kind == "file":
        try:
            secret = Path(rest).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(f"cannot read credential file {rest}: {exc.strerror}") from None
        if not secret:
            raise CredentialError(f"credential file {rest} is empty")
        return secret
    if kind == "value":
        return rest
    raise CredentialError(f"unknown credential kind {kind!r}; use env:, file: or value:")


def sign(secret: str, method: str, path_qs: str, timestamp: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 over method, path with query, timestamp and the body's digest."""
    message = "\n".join((method.upper(), path_qs, timestamp, hashlib.sha256(body).hexdigest()))
    mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def signed_headers(app_id: str, secret: str, method: str, path_qs: str, body: bytes,
                   now_ms: int) -> dict[str, str]:
    timestamp = str(now_ms)
    return {
        HMAC_KEY_HEADER: app_id,
        HMAC_TIMESTAMP_HEADER: timestamp,
        HMAC_SIGNATURE_HEADER: sign(secret, method, path_qs, timestamp, body),
    }
