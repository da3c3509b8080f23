"""The per-request context handed to every resolver: a typed dataclass, never a dict.

It carries no key, store or connector: subject data, consents and the audit log are reached
only through the request's `Gateway`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info

from consent.catalogue import Matter
from consent.enforcement import Caller
from schema.gateway import Gateway

__all__ = ["RequestContext", "path_of"]


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    caller: Caller
    gateway: Gateway
    now: dt.datetime
    max_batch: int = 1000
    job_deadline_s: float = 3600.0  # how long a submitted job retries departments
    matters: Mapping[str, Matter] = field(default_factory=dict)
    caller_names: Mapping[str, str] = field(default_factory=dict)


def path_of(info: Info[Any, Any]) -> str:
    """The response path of the field being resolved, as the audit trail records it."""
    return ".".join(str(p) for p in info.path.as_list())
