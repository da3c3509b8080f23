"""Printing 告知书 PDFs for `GET /reports/{reportNo}.pdf`, off the event loop.

Laying out a PDF is CPU work of a second or so (WeasyPrint is mostly Python), which would stall
every other request on the loop, and a thread would still hold the GIL. The printer hands each
job to a small pool of worker processes, started with `spawn` (never forked from a process that
runs threads and an event loop) on first use and shut down with the app. A worker receives the
signed report as plain data and returns the PDF bytes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["Printer", "print_pdf"]


def print_pdf(signed: Mapping[str, Any], verify_base: str) -> bytes:
    """In a worker: the 告知书 of a signed report (`{"report", "signature", "keyId"}`) as PDF."""
    from hub.report.pdf import render_pdf
    from hub.report.view import ReportView

    return render_pdf(ReportView.from_signed(signed), verify_base=verify_base)


class Printer:
    def __init__(self, verify_base: str, workers: int = 1) -> None:
        self.verify_base = verify_base
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def pdf(self, signed: Mapping[str, Any]) -> bytes:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, print_pdf, dict(signed), self.verify_base)

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
