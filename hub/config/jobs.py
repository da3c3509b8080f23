"""Reading `[jobs]`: how the batch check jobs of this hub are run.

    [jobs]
    deadline_s = 3600        # how long a job retries departments that did not answer
    chunk = 100              # enterprises per chunk (one audit entry, one batch per source)
    chunks_in_flight = 2     # chunks one hub process runs at once
    lease_s = 300            # a claimed chunk is taken over by another worker after this
    idle_s = 1               # how often an idle worker looks for work
    retry_base_s = 2         # backoff of a retry: base · 2^attempt, capped, with jitter
    retry_cap_s = 300
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.config.errors import ConfigError
from hub.config.reader import TableReader
from jobs.pacing import Pacing

__all__ = ["JobSettings", "parse_jobs"]

_KNOWN = {"deadline_s", "chunk", "chunks_in_flight", "lease_s", "idle_s", "retry_base_s",
          "retry_cap_s"}


@dataclass(frozen=True)
class JobSettings:
    deadline_s: float = 3600.0
    pacing: Pacing = field(default_factory=Pacing)


def parse_jobs(table: Any) -> JobSettings:
    if table is None:
        return JobSettings()
    if not isinstance(table, Mapping):
        raise ConfigError("jobs: must be a table")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"jobs.{unknown[0]}: unknown key (known: {', '.join(sorted(_KNOWN))})")
    r = TableReader("jobs", table)
    return JobSettings(
        deadline_s=r.number("deadline_s", 3600.0, 1.0, 7 * 86400),
        pacing=Pacing(chunk=r.integer("chunk", 100, 1, 1000),
                      chunks_in_flight=r.integer("chunks_in_flight", 2, 1, 64),
                      lease_s=r.number("lease_s", 300.0, 1.0, 86400),
                      idle_s=r.number("idle_s", 1.0, 0.01, 60),
                      retry_base_s=r.number("retry_base_s", 2.0, 0.01, 3600),
                      retry_cap_s=r.number("retry_cap_s", 300.0, 0.01, 86400)))
