"""Evidence export of the current search: every matching entry as CSV, or as a signed export
with proofs in the `hub audit export` format (a selection export: its signed header names the
filter and the chosen seqs), which `hub audit verify-export` checks offline.

An export holds every matching entry or none: past `[console] export_max` the auditor is asked
to narrow the filter, since a silently shortened evidence file would mislead.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from hub.console.csvfile import entries_csv
from hub.console.entries import Entry
from hub.console.filters import ConsoleFilter
from hub.console.pipeline import Shown, Visit
from schema.errors import BadUserInput

__all__ = ["export_csv", "export_signed"]


async def _matching(visit: Visit, path: str) -> tuple[ConsoleFilter, list[Entry]]:
    f = ConsoleFilter.from_json(visit.session.search)
    most = visit.console.settings.console.export_max
    rows, total, _ = await visit.gateway.audit_search(path, f.search(), first=most,
                                                      before_seq=None)
    if total > most:
        raise BadUserInput(visit.t("search.too_many", count=total, max=most))
    entries = [Entry.from_body(seq, body, digest) for seq, body, digest in rows]
    return f, sorted(entries, key=lambda e: e.seq)


def _name(visit: Visit, suffix: str) -> str:
    stamp = visit.now.astimezone(visit.console.zone).strftime("%Y%m%d-%H%M%S")
    return f"audit-{stamp}.{suffix}"


def _download(content: bytes, media: str, filename: str) -> Response:
    return Response(content, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


async def export_csv(visit: Visit) -> Shown:
    f, entries = await _matching(visit, "console.export.csv")
    names = {c.name: c.display for c in visit.console.settings.callers}
    content = entries_csv(entries, visit.console.zone, names)
    return Shown(_download(content, "text/csv; charset=utf-8", _name(visit, "csv")),
                 query={"view": "export.csv", **f.describe()})


async def export_signed(visit: Visit) -> Shown:
    f, entries = await _matching(visit, "console.export.signed")
    # Who exported it, and when, is the export's own audit entry.
    lines = await visit.gateway.audit_export("console.export.signed", [e.seq for e in entries],
                                             f.describe())
    content = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    return Shown(_download(content, "application/jsonl", _name(visit, "jsonl")),
                 query={"view": "export.signed", **f.describe()})
