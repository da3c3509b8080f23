"""The per-request context handed to every resolver: a typed dataclass, never a dict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from audit.log import AuditLog
from consent.store import ConsentStore
from schema.gateway import Caller, Gateway
from signing.keys import KeyRing

__all__ = ["RequestContext"]


@dataclass(slots=True)
class RequestContext:
    request_id: str
    caller: Caller
    gateway: Gateway
    keys: KeyRing
    now: dt.datetime
    max_batch: int = 1000
    operator: str | None = None
    case: str | None = None
    consent_ids: tuple[str, ...] = field(default_factory=tuple)
    consent_store: ConsentStore | None = None
    audit: AuditLog | None = None
    caller_names: Mapping[str, str] = field(default_factory=dict)
