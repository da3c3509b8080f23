"""The auditor's API (`auditEntries`, `auditVerification`) and the citizen's `myAccessLog`.

Auditors search by caller, operator, subject (the clear ID in the query, matched by pseudonym),
purpose, consent, case number, outcome and time, newest first with cursor pagination. A citizen, through
the portal, sees which department used which of their data categories, when and why, and
nothing about other subjects or the clerk who did it. Both readings are audited like any query.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from audit.checkpoint import Checkpoint
from audit.entry import format_time, parse_time
from audit.search import SearchFilter
from audit.verify import uncovered_note
from connectors.identifiers import InvalidIdentifier, verify_subject
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput

__all__ = [
    "MAX_PAGE",
    "AuditEntry",
    "AuditEntryConnection",
    "AuditEntryEdge",
    "AuditFilter",
    "AuditVerification",
    "CheckpointType",
    "PageInfo",
    "SourceCall",
    "resolve_access_log",
    "resolve_entries",
    "resolve_verification",
    "subject_keys",
]

MAX_PAGE = 200


@strawberry.type
class SourceCall:
    source: str
    status: str
    latency_ms: float
    keys: int


@strawberry.type
class AuditEntry:
    seq: int
    time: dt.datetime
    request_id: str
    caller: str | None
    operator: str | None
    case: str | None
    purpose: str | None
    consent_ids: list[str]
    legal_basis: str | None
    outcome: str
    application: str | None = strawberry.field(description="X-Hub-Application, if it was sent")
    refs: list[str] = strawberry.field(description='what it issued: "report:<no>", '
                                                   '"objection:<id>"')
    subjects: list[str] = strawberry.field(description="USCCs and person pseudonyms")
    released: list[str]
    denied: list[str] = strawberry.field(description='"path: CODE" per refused field')
    sources: list[SourceCall]
    entry_hash: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(name="Checkpoint")
class CheckpointType:
    log_id: str
    size: int
    head_hash: str
    root_hash: str
    time: str
    key_id: str
    signature: str


@strawberry.type
class AuditVerification:
    ok: bool
    size: int
    head_hash: str | None
    first_bad_seq: int | None
    detail: str | None
    checkpoint: CheckpointType | None
    uncovered: int = strawberry.field(description="entries after the last signed checkpoint: "
                                      "not yet covered by a checkpoint")


@strawberry.input
class AuditFilter:
    caller: str | None = None
    operator: str | None = strawberry.field(
        default=None, description="the human operator the caller named (X-Hub-Operator)")
    subject: str | None = strawberry.field(
        default=None, description="a resident ID or a USCC, in clear; matched by pseudonym")
    purpose: str | None = None
    consent_id: str | None = None
    case: str | None = None
    application: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        # A seq is a store integer (at most 2^63 - 1): 18 digits are always in range.
        if kind != "seq" or not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ValueError
    except ValueError:
        raise BadUserInput("after: not a cursor this hub gave out") from None
    return int(value)


def _first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first: must be 1 to {MAX_PAGE}")
    return first


def subject_keys(ctx: RequestContext, clear: str) -> tuple[str, ...]:
    """What records of `filter.subject` are kept under: the USCC itself, or a person's
    pseudonyms under every key version."""
    try:
        number, kind = verify_subject(clear, today=ctx.now.date())
    except InvalidIdentifier as exc:
        raise BadUserInput(f"filter.subject: {exc}") from None
    return (number,) if kind == "enterprise" else ctx.gateway.subject_pseudonyms(number)


def _node(seq: int, body: dict[str, Any], entry_hash: str) -> AuditEntry:
    return AuditEntry(
        seq=seq, time=parse_time(body["time"]), request_id=body["requestId"], caller=body["caller"],
        operator=body["operator"], case=body["case"], purpose=body["purpose"],
        consent_ids=body["consentIds"], legal_basis=body["legalBasis"],
        outcome=body["outcome"], application=body.get("application"),
        refs=body.get("refs", []), subjects=body["subjects"], released=body["released"],
        denied=[f"{d['path']}: {d['code']}" for d in body["denied"]],
        sources=[SourceCall(source=s["source"], status=s["status"], latency_ms=s["latencyMs"],
                            keys=s["keys"]) for s in body["sources"]],
        entry_hash=entry_hash)


def _connection(rows: list[tuple[int, dict[str, Any], str]], total: int, more: bool,
                node: Any) -> AuditEntryConnection:
    edges = [AuditEntryEdge(cursor=_cursor(seq), node=node(seq, body, h))
             for seq, body, h in rows]
    return AuditEntryConnection(
        edges=edges, total_count=total,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None))


async def resolve_entries(info: Info[RequestContext, None], f: AuditFilter | None, first: int,
                          after: str | None) -> AuditEntryConnection:
    ctx = info.context
    ctx.gateway.require_auditor()
    f = f or AuditFilter()
    search = SearchFilter(
        caller=f.caller, subjects=subject_keys(ctx, f.subject) if f.subject else (),
        purpose=f.purpose, consent_id=f.consent_id, case=f.case, outcome=f.outcome,
        application=f.application,
        since=format_time(f.since) if f.since else None,
        until=format_time(f.until) if f.until else None, operator=f.operator)
    rows, total, more = await ctx.gateway.audit_search(path_of(info), search, first=_first(first),
                                                       before_seq=_after(after))
    return _connection(rows, total, more, _node)


def _checkpoint(cp: Checkpoint | None) -> CheckpointType | None:
    if cp is None:
        return None
    return CheckpointType(log_id=cp.log_id, size=cp.size, head_hash=cp.head_hash,
                          root_hash=cp.root_hash, time=cp.time, key_id=cp.key_id,
                          signature=cp.signature)


async def resolve_verification(info: Info[RequestContext, None]) -> AuditVerification:
    v = await info.context.gateway.audit_verification(path_of(info))
    detail = v.detail if not v.ok or not v.uncovered else uncovered_note(v.uncovered)
    return AuditVerification(ok=v.ok, size=v.size, head_hash=v.head_hash,
                             first_bad_seq=v.first_bad_seq, detail=detail,
                             checkpoint=_checkpoint(v.checkpoint), uncovered=v.uncovered)


async def resolve_access_log(info: Info[RequestContext, None], subject: str, first: int,
                             after: str | None) -> AuditEntryConnection:
    ctx = info.context
    ctx.gateway.require_access_log()
    (rows, total, more), mine = await ctx.gateway.access_log(
        path_of(info), subject, first=_first(first), before_seq=_after(after))
    names = ctx.caller_names

    def citizen_view(seq: int, body: dict[str, Any], entry_hash: str) -> AuditEntry:
        categories = sorted({c for s in mine for c in body["subjectCategories"].get(s, [])})
        return AuditEntry(
            seq=seq, time=parse_time(body["time"]), request_id=body["requestId"],
            caller=names.get(body["caller"] or "", body["caller"]), operator=None, case=None,
            purpose=body["purpose"], consent_ids=[], legal_basis=body["legalBasis"],
            outcome=body["outcome"], application=None, refs=[], subjects=[],
            released=categories, denied=[], sources=[],
            entry_hash=entry_hash)

    return _connection(rows, total, more, citizen_view)

