"""The search form: what an auditor may filter by, checked field by field.

The filters are those of `auditEntries` — caller, operator, subject, purpose, consent, case,
outcome, time range, application — and job, which the log does not record yet: its field is
ready and matches once it does. A subject is typed in clear (a resident ID or a USCC)
and turned into the keys the log holds (the person's pseudonym under every key version, or the
USCC); the clear ID is never kept — the session remembers the keys and a masked label. Times
from the form are local to the console's time zone. Cursors are the GraphQL API's.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from audit.entry import OUTCOMES, format_time
from audit.search import SearchFilter
from connectors.identifiers import InvalidIdentifier, verify_resident_id, verify_uscc
from schema.errors import BadUserInput

__all__ = ["ConsoleFilter", "FilterProblem", "cursor", "mask", "parse_filter", "seq_after"]

_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
_PURPOSE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_KEY = re.compile(r"^(v[0-9]{1,4}:[0-9a-f]{64}|[0-9A-Z]{18})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FilterProblem(ValueError):
    """A search form field that cannot be used: which field, and what is wrong with it as a
    key of `hub.console.i18n` (`err.*`) with its values, so the page can say it in the
    auditor's language. The request is audited as BAD_USER_INPUT."""

    def __init__(self, field: str, problem: str, **values: str) -> None:
        super().__init__(f"{field}: {problem} {values}")
        self.field = field
        self.problem = problem
        self.values = values


@dataclass(frozen=True, slots=True)
class ConsoleFilter:
    caller: str | None = None
    operator: str | None = None
    subject_keys: tuple[str, ...] = ()  # pseudonyms under each key version, or one USCC
    subject_label: str | None = None  # masked, for display only
    purpose: str | None = None
    consent: str | None = None
    case: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    application: str | None = None
    job: str | None = None

    def search(self) -> SearchFilter:
        return SearchFilter(
            caller=self.caller, subjects=self.subject_keys, purpose=self.purpose,
            consent_id=self.consent, case=self.case, outcome=self.outcome,
            since=format_time(self.since) if self.since else None,
            until=format_time(self.until) if self.until else None, operator=self.operator,
            application=self.application, job=self.job)

    def describe(self, *, label: bool = False) -> dict[str, Any]:
        """The filter as plain JSON, with no clear identifier: for exports and the audit
        entry's query hash (and, with the masked `label`, for the session)."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, ())
               and (label or k != "subject_label")}
        for key in ("since", "until"):
            if key in out:
                out[key] = out[key].isoformat()
        if "subject_keys" in out:
            out["subject_keys"] = list(out["subject_keys"])
        return out

    def to_json(self) -> str:
        return orjson.dumps(self.describe(label=True)).decode()

    @classmethod
    def from_json(cls, text: str | None) -> ConsoleFilter:
        """The filter a session remembers (an unreadable one reads as no filter)."""
        try:
            raw = orjson.loads(text) if text else {}
            if not isinstance(raw, dict):
                return cls()
            for key in ("since", "until"):
                if key in raw:
                    raw[key] = dt.datetime.fromisoformat(raw[key])
            if "subject_keys" in raw:
                raw["subject_keys"] = tuple(raw["subject_keys"])
            return cls(**raw)
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return cls()


def mask(resident_id: str) -> str:
    """A resident ID as the page may show it: region and check digits only."""
    return resident_id[:6] + "*" * 8 + resident_id[-4:]


def _text(form: Mapping[str, str], key: str) -> str | None:
    value = form.get(key, "").strip()
    return value or None


def _token(form: Mapping[str, str], key: str) -> str | None:
    value = _text(form, key)
    if value is not None and not _TOKEN.match(value):
        raise FilterProblem(key, "token")
    return value


def _time(form: Mapping[str, str], key: str, zone: ZoneInfo) -> dt.datetime | None:
    value = _text(form, key)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FilterProblem(key, "time", value=value[:40]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _subject(form: Mapping[str, str], today: dt.date,
             pseudonyms: Callable[[str], tuple[str, ...]]) -> tuple[tuple[str, ...], str | None]:
    clear = _text(form, "subject")
    if clear is None and "clear_subject" in form:
        return (), None
    if clear is None:
        kept = tuple(k for k in (_text(form, "subject_keys") or "").split(",") if k)
        if any(not _KEY.match(k) for k in kept) or len(kept) > 8:
            raise FilterProblem("subject", "kept")
        label = _text(form, "subject_label")
        return kept, (label[:40] if label and kept else None)
    try:
        return (verify_uscc(clear),), verify_uscc(clear)
    except InvalidIdentifier:
        pass
    try:
        rid = verify_resident_id(clear, today=today)
    except InvalidIdentifier as exc:
        raise FilterProblem("subject", "subject", detail=str(exc)) from None
    return pseudonyms(rid), mask(rid)


def parse_filter(form: Mapping[str, str], *, zone: ZoneInfo, today: dt.date,
                 callers: Collection[str], pseudonyms: Callable[[str], tuple[str, ...]]
                 ) -> ConsoleFilter:
    """The search form's filter; raise `FilterProblem` naming the first bad field."""
    caller = _text(form, "caller")
    if caller is not None and caller not in callers:
        raise FilterProblem("caller", "caller", value=caller[:64])
    purpose = _text(form, "purpose")
    if purpose is not None and not _PURPOSE.match(purpose):
        raise FilterProblem("purpose", "purpose")
    outcome = _text(form, "outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise FilterProblem("outcome", "outcome", values=", ".join(OUTCOMES))
    case = _text(form, "case")
    if case is not None and (len(case) > 128 or _CONTROL.search(case)):
        raise FilterProblem("case", "case")
    since = _time(form, "since", zone)
    until = _time(form, "until", zone)
    if since and until and until < since:
        raise FilterProblem("until", "order")
    keys, label = _subject(form, today, pseudonyms)
    return ConsoleFilter(
        caller=caller, operator=_token(form, "operator"), subject_keys=keys,
        subject_label=label, purpose=purpose, consent=_token(form, "consent"),
        case=case, outcome=outcome, since=since, until=until,
        application=_token(form, "application"), job=_token(form, "job"))


def cursor(seq: int) -> str:
    """The cursor after entry `seq` (the GraphQL API's cursors)."""
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def seq_after(text: str | None) -> int | None:
    """The seq a cursor names; raise `BadUserInput` for one this hub did not give out."""
    if not text:
        return None
    try:
        kind, _, value = base64.urlsafe_b64decode(text.encode()).decode().partition(":")
        if kind != "seq" or not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ValueError
    except ValueError:
        raise BadUserInput("after: not a cursor this hub gave out") from None
    return int(value)
