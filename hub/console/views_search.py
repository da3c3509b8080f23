"""Search pages: the filter form, the results with cursor paging, and one entry with its proof.

The form is POSTed (a clear resident ID never appears in a URL, a browser history or an access
log), turned into a filter the session remembers, and the browser is sent to the results
(`GET /console/search?after=…`), so paging and the back button work. An entry's page shows
its paths, source calls and consents, and its inclusion proof, checked by the hub here and
again, independently, by the page's script in the browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import RedirectResponse

from audit.entry import OUTCOMES, decode
from audit.merkle import ProofInvalid
from audit.proofs import EntryNotCovered, verify_entry_proof
from hub.console.entries import Entry
from hub.console.filters import ConsoleFilter, FilterProblem, cursor, parse_filter, seq_after
from hub.console.pipeline import Shown, Visit
from signing.keys import SignatureInvalid

__all__ = ["PAGE_SIZE", "entry_page", "search_page", "search_submit"]

PAGE_SIZE = 50


def _form_values(visit: Visit, f: ConsoleFilter) -> dict[str, str]:
    """The filter as the form shows it (times local, as a datetime-local input wants them)."""
    def local(moment: dt.datetime | None) -> str:
        return moment.astimezone(visit.console.zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    return {"caller": f.caller or "", "operator": f.operator or "", "purpose": f.purpose or "",
            "consent": f.consent or "", "case": f.case or "", "outcome": f.outcome or "",
            "since": local(f.since), "until": local(f.until),
            "application": f.application or "", "job": f.job or "",
            "subject_keys": ",".join(f.subject_keys), "subject_label": f.subject_label or ""}


def _choices(visit: Visit) -> dict[str, Any]:
    console = visit.console
    return {"callers": [(c.name, c.display) for c in console.settings.callers],
            "purposes": sorted(console.settings.matters), "outcomes": OUTCOMES,
            "export_max": console.settings.console.export_max}


async def search_page(visit: Visit) -> Shown:
    f = ConsoleFilter.from_json(visit.session.search)
    after = seq_after(visit.request.query_params.get("after"))
    rows, total, more = await visit.gateway.audit_search(
        "console.search", f.search(), first=PAGE_SIZE, before_seq=after)
    entries = [Entry.from_body(seq, body, digest) for seq, body, digest in rows]
    page = visit.page("search.html", nav="search", filter=f, form=_form_values(visit, f),
                      entries=entries, total=total, error=None, paged=after is not None,
                      next=cursor(entries[-1].seq) if more and entries else None,
                      **_choices(visit))
    return Shown(page, query={"view": "search", "after": after, **f.describe()})


async def search_submit(visit: Visit) -> Shown:
    console = visit.console
    if "reset" in visit.form:
        f = ConsoleFilter()
    else:
        try:
            f = parse_filter(visit.form, zone=console.zone,
                             today=visit.now.astimezone(console.zone).date(),
                             callers={c.name for c in console.settings.callers},
                             pseudonyms=lambda rid: visit.gateway.subject_pseudonyms(rid))
        except FilterProblem as exc:
            t = visit.t
            message = f"{t('f.' + exc.field)}：{t('err.' + exc.problem, **exc.values)}"
            shown = {k: v for k, v in visit.form.items() if k != "csrf"}
            page = visit.page("search.html", status=400, nav="search", filter=ConsoleFilter(),
                              form=shown, entries=[], total=None, error=message,
                              paged=False, next=None, **_choices(visit))
            return Shown(page, (("console.search", "BAD_USER_INPUT"),))
    await console.sessions.remember_search(visit.session, f.to_json())
    return Shown(RedirectResponse("/console/search", status_code=303),
                 query={"view": "search.set", **f.describe()})


async def entry_page(visit: Visit) -> Shown:
    raw = visit.request.path_params["seq"]
    # Seqs are store integers; a number past any of them is simply not there.
    proof = await visit.gateway.audit_entry("console.entry", raw) if raw < 2**31 else None
    if proof is None:
        page = visit.page("error.html", status=404, message=visit.t("error.not_found"),
                          code="BAD_USER_INPUT")
        return Shown(page, (("console.entry", "BAD_USER_INPUT"),), {"view": "entry", "seq": str(raw)})
    problem = None
    try:
        verify_entry_proof(proof, visit.console.services.keys.public)
    except EntryNotCovered:
        pass  # sound, and the page says it awaits the next checkpoint
    except (ProofInvalid, SignatureInvalid) as exc:
        problem = str(exc)
    try:
        entry: Entry | None = Entry.from_body(proof.entry.seq, decode(proof.entry.body),
                                              proof.entry.entry_hash)
    except (ValueError, KeyError, TypeError):  # a tampered body: show it raw, with the problem
        entry = None
    departments = {cfg.name: cfg.department for cfg, _ in visit.gateway.source_states()}
    page = visit.page("entry.html", nav="search", entry=entry, proof=proof, problem=problem,
                      departments=departments)
    return Shown(page, query={"view": "entry", "seq": str(raw)})
