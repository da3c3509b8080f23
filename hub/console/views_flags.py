"""What looks wrong: the rules explained, the flags found in the window, one flag with the
entries behind it, and the review an auditor leaves on it (stored, and audited as
`console.review`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.responses import RedirectResponse

from audit.reviews import FlagReview
from hub.config.console import RULES, RuleSettings
from hub.console.findings import (
    Window,
    days_of,
    find_flags,
    load_window,
    review_state,
    reviews_of,
)
from hub.console.i18n import Translator
from hub.console.pipeline import Shown, Visit
from hub.console.rules import Flag

__all__ = ["explain", "finding", "flag_page", "flags_page", "review_flag"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_NOTE = 2000


def explain(t: Translator, rule: str, s: RuleSettings, zone: str, hours: str) -> str:
    """The rule in words, with its thresholds."""
    table: dict[str, dict[str, Any]] = {
        "fishing": {"minutes": s.fishing_window_minutes, "threshold": s.fishing_distinct_subjects,
                    "persons": t("rule.fishing.persons") if s.fishing_persons_only else ""},
        "no_case": {},
        "out_of_hours": {"hours": hours, "zone": zone},
        "rare_purpose": {"threshold": round(100 * s.rare_purpose_max_share, 2),
                         "min": s.rare_purpose_min_entries},
        "burst": {"minutes": s.burst_bucket_minutes, "factor": s.burst_factor,
                  "min": s.burst_min_count},
        "consent_probing": {"minutes": s.probing_window_minutes,
                            "threshold": s.probing_min_denials},
        "consent_edge": {"minutes": s.edge_last_minutes, "min": s.edge_min_uses},
    }
    return t(f"rule.{rule}.explain", **table[rule])


def finding(t: Translator, flag: Flag) -> str:
    """What this flag found, in words."""
    facts = dict(flag.facts)
    if flag.rule == "consent_edge":
        return t(f"rule.consent_edge.found.{facts.pop('kind')}", **facts)
    if flag.rule == "out_of_hours" and facts.get("holiday"):
        facts["holiday"] = f" ({facts['holiday']})"
    return t(f"rule.{flag.rule}.found", **facts)


def _rules(visit: Visit) -> list[dict[str, Any]]:
    s = visit.console.settings.console
    hours = f"{s.work_start:%H:%M}-{s.work_end:%H:%M}"
    return [{"id": r, "name": visit.t(f"rule.{r}.name"), "on": r in s.rules.enabled,
             "explain": explain(visit.t, r, s.rules, s.timezone, hours)} for r in RULES]


def _stale_years(visit: Visit, window: Window) -> list[int]:
    years = {window.since.astimezone(visit.console.zone).year,
             window.until.astimezone(visit.console.zone).year}
    return sorted(y for y in years if not visit.console.calendar.covers(y))


async def flags_page(visit: Visit) -> Shown:
    days = days_of(visit)
    window = await load_window(visit, days)
    flags = await find_flags(visit, window)
    reviews = await reviews_of(visit, flags)
    page = visit.page("flags.html", nav="flags", window=window, flags=flags,
                      state=lambda f: review_state(f, reviews.get(f.id, [])),
                      rules=_rules(visit), finding=lambda f: finding(visit.t, f),
                      stale=_stale_years(visit, window), choices=(1, 7, 30))
    return Shown(page, query={"view": "flags", "days": days})


async def _one(visit: Visit) -> tuple[Window, Flag | None]:
    window = await load_window(visit, days_of(visit))
    wanted = visit.request.path_params["flag"]
    found = [f for f in await find_flags(visit, window) if f.id == wanted]
    return window, found[0] if found else None


def _gone(visit: Visit, flag_id: str) -> Shown:
    page = visit.page("error.html", status=404, message=visit.t("flags.gone"),
                      code="BAD_USER_INPUT")
    return Shown(page, (("console.flag", "BAD_USER_INPUT"),), {"view": "flag", "id": flag_id})


async def flag_page(visit: Visit, *, error: str | None = None, status: int = 200) -> Shown:
    window, flag = await _one(visit)
    if flag is None:
        return _gone(visit, visit.request.path_params["flag"])
    reviews = await reviews_of(visit, [flag])
    behind = set(flag.seqs)
    entries = [e for e in window.entries if e.seq in behind]
    rule = next(r for r in _rules(visit) if r["id"] == flag.rule)
    page = visit.page("flag.html", status=status, nav="flags", flag=flag, rule=rule,
                      found=finding(visit.t, flag), entries=entries,
                      reviews=reviews.get(flag.id, []), error=error, days=window.days,
                      state=lambda f: review_state(f, reviews.get(f.id, [])))
    errors = (("console.review", "BAD_USER_INPUT"),) if error else ()
    return Shown(page, errors, {"view": "flag", "id": flag.id})


async def review_flag(visit: Visit) -> Shown:
    note = visit.form.get("note", "").strip()
    if not note or len(note) > _MAX_NOTE or _CONTROL.search(note):
        return await flag_page(visit, error=visit.t("flags.bad_note"), status=400)
    window, flag = await _one(visit)
    if flag is None:
        return _gone(visit, visit.request.path_params["flag"])
    review = FlagReview(flag.id, flag.rule, f"{flag.about}: {finding(visit.t, flag)}",
                        flag.seqs, note, visit.caller.name, visit.session.operator,
                        dt.datetime.now(dt.UTC))
    await visit.gateway.review_flag("console.review", review)
    return Shown(RedirectResponse(f"/console/flags/{flag.id}?days={window.days}",
                                  status_code=303), query={"view": "review", "id": flag.id})
