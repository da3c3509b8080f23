"""The overview (pictures, the newest flags, integrity at a glance) and the integrity page.

Integrity comes from `audit.verify`: the log's size and latest signed checkpoint (its signature
checked), the entries not yet covered by a checkpoint, and the last full verification this hub
process ran (run on first view, and again by the button), with the first bad seq if any. That
result is this worker's own: the page says when it ran, for whom, whether by the button or on
first view, and in which worker (host, pid, start), so that with several hub workers nobody
takes another worker's result, or an old one, for a fresh check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from audit.checkpoint import Checkpoint, verify_checkpoint
from audit.verify import Verification
from hub.console.charts import Series, bar_chart, dot_chart, line_chart
from hub.console.findings import (
    ReviewState,
    days_of,
    find_flags,
    load_window,
    review_state,
    reviews_of,
)
from hub.console.pipeline import Shown, VerificationRun, Visit
from hub.console.rules import Flag
from hub.console.stats import Stats, compute
from signing.keys import SignatureInvalid

__all__ = ["Integrity", "dashboard_page", "integrity_page", "integrity_status", "verify_now"]


@dataclass(frozen=True, slots=True)
class Integrity:
    size: int
    checkpoint: Checkpoint | None
    signature_ok: bool
    uncovered: int
    run: VerificationRun | None  # this worker's last full verification
    worker: str
    started: dt.datetime  # when this worker started

    @property
    def verified_at(self) -> dt.datetime | None:
        return None if self.run is None else self.run.at

    @property
    def verification(self) -> Verification | None:
        return None if self.run is None else self.run.verification


async def integrity_status(visit: Visit, *, run: bool = False) -> Integrity:
    """The log at a glance; a full verification runs if asked or none has run yet."""
    size, cp = await visit.gateway.audit_status("console.status")
    signature_ok = True
    if cp is not None:
        try:
            verify_checkpoint(cp, visit.console.services.keys.public)
        except SignatureInvalid:
            signature_ok = False
    console = visit.console
    if run or console.last_verification is None:
        result = await visit.gateway.audit_verification("console.verify")
        console.last_verification = VerificationRun(visit.now, result, visit.caller.name,
                                                    visit.session.operator, automatic=not run)
    return Integrity(size, cp, signature_ok, size - (cp.size if cp else 0),
                     console.last_verification, console.worker, console.started)


def _charts(visit: Visit, stats: Stats) -> dict[str, str]:
    t = visit.t
    no_data = t("chart.no_data")
    matrix = [Series(c, tuple(float(stats.matrix.get((c, p), 0)) for p in stats.matrix_purposes))
              for c in stats.matrix_callers]
    return {
        "by_caller": line_chart(t("chart.by_caller"), stats.labels, stats.by_caller,
                                no_data=no_data),
        "by_purpose": line_chart(t("chart.by_purpose"), stats.labels, stats.by_purpose,
                                 no_data=no_data),
        "denials": bar_chart(t("chart.denials"), [c for c, _ in stats.denials],
                             [float(n) for _, n in stats.denials], t("chart.count"),
                             no_data=no_data),
        "matrix": dot_chart(t("chart.matrix"), stats.matrix_purposes, matrix, no_data=no_data),
        "availability": line_chart(t("chart.availability"), stats.labels, stats.availability,
                                   no_data=no_data, unit="%"),
        "latency": line_chart(t("chart.latency"), stats.labels, stats.latency, no_data=no_data,
                              unit=" ms"),
    }


async def dashboard_page(visit: Visit) -> Shown:
    days = days_of(visit)
    window = await load_window(visit, days)
    names = {c.name: c.display for c in visit.console.settings.callers}
    stats = compute(window.entries, window.since, window.until, visit.console.zone, names)
    flags = await find_flags(visit, window)
    reviews = await reviews_of(visit, flags)
    integrity = await integrity_status(visit)

    def state(f: Flag) -> tuple[ReviewState, int]:
        return review_state(f, reviews.get(f.id, []))

    page = visit.page("dashboard.html", nav="dashboard", window=window, stats=stats,
                      charts=_charts(visit, stats), flags=flags[:8], state=state,
                      open_flags=sum(1 for f in flags if state(f)[0] != "reviewed"),
                      integrity=integrity, denials=sum(n for _, n in stats.denials),
                      choices=(1, 7, 30), max_entries=visit.console.settings.console.max_entries)
    return Shown(page, query={"view": "dashboard", "days": days})


async def integrity_page(visit: Visit) -> Shown:
    integrity = await integrity_status(visit)
    return Shown(visit.page("integrity.html", nav="integrity", integrity=integrity),
                 query={"view": "integrity"})


async def verify_now(visit: Visit) -> Shown:
    """Run the full verification and show its result (on this page: another hub worker keeps
    its own last result)."""
    integrity = await integrity_status(visit, run=True)
    return Shown(visit.page("integrity.html", nav="integrity", integrity=integrity),
                 query={"view": "integrity.verify"})
