"""Source declarations: the `[sources.NAME]` tables of the hub's TOML configuration.

Sources are declared, not discovered: each names its department, the domain or data category it
serves, its transport and address, its limits (timeout, batch size, concurrency), its credential
reference, and the mapping from the department's own field names to the hub's record fields.
The declarations are read and validated by the hub's configuration (`hub.config.sources`); this
module holds only what a connector needs: the validated record and the closed sets of options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.catalogue import CheckKind

__all__ = ["BOOL_STYLES", "DATE_FORMATS", "ENVELOPES", "MONEY_UNITS", "TRANSPORTS", "SourceConfig"]

TRANSPORTS = ("rest-batch", "rest-single", "sql")
ENVELOPES = {"rest-batch": ("list", "hits", "map"), "rest-single": ("single",), "sql": ("sql",)}
DATE_FORMATS = ("iso", "compact", "slash", "epoch_ms")
MONEY_UNITS = ("yuan", "fen", "yuan_str")
BOOL_STYLES = ("bool", "digit", "zh")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    department: str
    subject: str  # enterprise | person
    check: CheckKind | None
    domain: str
    record: str
    transport: str
    envelope: str
    fields: Mapping[str, str]
    enabled: bool = True
    timeout_s: float = 2.0
    max_batch: int = 100
    concurrency: int = 4
    coalesce: bool = True  # share calls across concurrent requests (batch sources only)
    coalesce_window_ms: float = 0.0  # how long an idle batch source waits for more keys
    url: str = ""
    auth: str = "app-key-header"
    auth_header: str = "X-App-Key"
    app_id: str = ""
    credential: str = ""
    key_param: str = ""
    key_field: str = ""
    records_field: str = ""
    dsn: str = ""
    table: str = ""
    as_of_column: str = ""
    # SQL: how a subject the department does not hold is recognised. "not_found": it has no
    # row (every subject held has one at least); "empty" with `subjects_table`: it is not in
    # the department's roster, and held subjects with no rows have no records.
    absent: str = "not_found"
    subjects_table: str = ""
    max_age_s: float | None = None  # older data are stale (UNAVAILABLE); None: not declared
    date_format: str = "iso"
    money_unit: str = "yuan"
    bool_style: str = "bool"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keys_per_call(self) -> int:
        """How many subject keys one department call carries: one for a one-key-per-call
        source, its batch size otherwise."""
        return 1 if self.transport == "rest-single" else self.max_batch
