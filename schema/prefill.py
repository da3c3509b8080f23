"""`prefill(matter, applicant)`: a matter's form fields generated from shared data.

The matter's categories go through the same choke point as `person` (`Gateway.person`): each
category is decided (purpose, catalogue, consent) and only then loaded. What cannot be filled is
listed as a gap with its code, so the window knows which paper to ask for; nothing denied is
ever fetched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from connectors.catalogue import PERSON_CATEGORIES
from connectors.records import Record
from consent.errors import AccessDenied
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput, SourceFailed

__all__ = ["Prefill", "PrefillField", "PrefillGap", "resolve_prefill"]


@strawberry.type(description="One pre-filled form field, with where its value came from.")
class PrefillField:
    name: str = strawberry.field(description='e.g. "household.address", "property[0].area_m2"')
    value: str
    category: str
    source: str


@strawberry.type(description="A data category that could not be filled, and why.")
class PrefillGap:
    category: str
    label: str
    code: str
    reason: str


@strawberry.type
class Prefill:
    matter: str
    fields: list[PrefillField]
    gaps: list[PrefillGap]
    filled_share: float = strawberry.field(
        description="share of the matter's categories filled from shared data")


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


async def resolve_prefill(info: Info[RequestContext, None], matter_code: str,
                          applicant: str) -> Prefill:
    gateway = info.context.gateway
    matter = gateway.person_scope()
    if matter.code != matter_code:
        raise BadUserInput(f"matter: {matter_code} differs from X-Hub-Purpose {matter.code}; "
                           "a request serves the one purpose it declares")
    path = path_of(info)
    pending: list[tuple[str, Awaitable[tuple[Record, ...] | None]]] = []
    gaps: list[PrefillGap] = []
    for category in matter.categories:
        try:
            pending.append((category, gateway.person(f"{path}.{category}", applicant, category)))
        except (AccessDenied, SourceFailed) as exc:
            gaps.append(_gap(category, exc.code, exc.message))
    answers = await asyncio.gather(*(p for _, p in pending), return_exceptions=True)
    fields: list[PrefillField] = []
    for (category, _), answer in zip(pending, answers, strict=True):
        if isinstance(answer, AccessDenied | SourceFailed):
            gaps.append(_gap(category, answer.code, answer.message))
            continue
        if isinstance(answer, BaseException):
            raise answer
        if not answer:
            gaps.append(_gap(category, "NOT_FOUND", "the department holds no record"))
            continue
        source = gateway.source_of(category)
        many = len(answer) > 1
        for i, record in enumerate(answer):
            prefix = f"{category}[{i}]" if many else category
            fields += [PrefillField(name=f"{prefix}.{k}", value=_text(v), category=category,
                                    source=source)
                       for k, v in record.values.items() if v is not None]
    filled = len({f.category for f in fields})
    share = filled / len(matter.categories) if matter.categories else 0.0
    return Prefill(matter=matter.code, fields=fields, gaps=gaps, filled_share=round(share, 3))


def _gap(category: str, code: str, reason: str) -> PrefillGap:
    return PrefillGap(category=category, label=PERSON_CATEGORIES[category], code=code,
                      reason=reason)
