"""`python -m bench.null_audit CONFIG`: the hub with a null audit sink, for `audit.on_off_ratio`.

The hub has no switch that turns auditing off; the benchmark measures the audit log's cost by
injecting a sink that writes nothing (`create_app(settings, audit_sink=...)`). Since a check's
reports are filed in its entry's transaction (the entry's effects), this hub files none either.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from audit.entry import AuditRecord
from hub.app import create_app
from hub.config.settings import load_settings

__all__ = ["NullAuditSink", "main"]


class NullAuditSink:
    """Accepts every record and keeps none: the hub's cost without its audit log."""

    def __init__(self) -> None:
        self.seq = 0

    async def append(self, record: AuditRecord) -> tuple[int, str]:
        self.seq += 1
        return self.seq, "0" * 64


def main(config: str) -> None:
    settings = load_settings(Path(config))
    uvicorn.run(create_app(settings, audit_sink=NullAuditSink()), host=settings.host,
                port=settings.port, log_level="warning", timeout_keep_alive=75,
                access_log=False)


if __name__ == "__main__":
    main(sys.argv[1])
