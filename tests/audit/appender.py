"""A separate process that appends audit entries: `python -m tests.audit.appender URL KEYS N`."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from audit.entry import AuditRecord
from audit.log import AuditLog
from signing.keys import KeyRing


async def main(url: str, keys: Path, count: int, concurrency: int) -> None:
    log = await AuditLog.open(url, KeyRing.load(keys), checkpoint_every=97)
    pid = os.getpid()
    try:
        async def one(i: int) -> None:
            await log.append(AuditRecord(time=dt.datetime.now(dt.UTC),
                                         request_id=f"p{pid}-{i}", outcome="ALLOWED",
                                         caller="fgw", purpose="IPO_COMPLIANCE",
                                         released=["complianceCheck"]))

        for start in range(0, count, concurrency):
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + concurrency))))
            print(start + concurrency, flush=True)
    finally:
        await log.close()


if __name__ == "__main__":
    url, keys, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    asyncio.run(main(url, keys, n, int(sys.argv[4]) if len(sys.argv) > 4 else 20))
