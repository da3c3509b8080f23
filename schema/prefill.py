"""`prefill(matter, applicant)`: a matter's form fields generated from shared data.

The matter's categories go through the same choke point as `person`: each category is decided
(purpose, catalogue, consent) and only then loaded. What cannot be filled is listed as a gap
with its code, so the window knows which paper to ask for; nothing denied is ever fetched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from connectors.base import Answer
from connectors.catalogue import PERSON_CATEGORIES
from consent.errors import ConsentError
from schema.context import RequestContext
from schema.errors import BadUserInput

__all__ = ["Prefill", "resolve_prefill"]


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
    matter = gateway.person_matter()
    if matter.code != matter_code:
        raise BadUserInput(f"matter: {matter_code} differs from X-Hub-Purpose {matter.code}; "
                           "a request serves the one purpose it declares")
    path = ".".join(str(p) for p in info.path.as_list())
    pending: list[tuple[str, str, Awaitable[Answer]]] = []
    gaps: list[PrefillGap] = []
    for category in matter.categories:
        source = gateway.sources.person_source(category)
        try:
            gateway.authorize_person(applicant, category)
        except ConsentError as exc:
            gateway.record_denied(f"{path}.{category}", exc.code)
            gaps.append(PrefillGap(category=category, label=PERSON_CATEGORIES[category],
                                   code=exc.code, reason=exc.message))
            continue
        if source is None:
            gaps.append(PrefillGap(category=category, label=PERSON_CATEGORIES[category],
                                   code="SOURCE_UNAVAILABLE", reason="no source is configured"))
            continue
        gateway.record_released(f"{path}.{category}")
        pending.append((category, source.name, gateway.load(source.name, applicant)))
    answers = await asyncio.gather(*(p[2] for p in pending))
    fields: list[PrefillField] = []
    for (category, source_name, _), answer in zip(pending, answers, strict=True):
        if answer.status not in ("OK", "NOT_FOUND"):
            gaps.append(PrefillGap(category=category, label=PERSON_CATEGORIES[category],
                                   code=f"SOURCE_{answer.status}",
                                   reason=answer.detail or "the source did not answer"))
            continue
        if not answer.records:
            gaps.append(PrefillGap(category=category, label=PERSON_CATEGORIES[category],
                                   code="NOT_FOUND", reason="the department holds no record"))
            continue
        many = len(answer.records) > 1
        for i, record in enumerate(answer.records):
            prefix = f"{category}[{i}]" if many else category
            fields += [PrefillField(name=f"{prefix}.{k}", value=_text(v), category=category,
                                    source=source_name)
                       for k, v in record.values.items() if v is not None]
    filled = len({f.category for f in fields})
    share = filled / len(matter.categories) if matter.categories else 0.0
    return Prefill(matter=matter.code, fields=fields, gaps=gaps, filled_share=round(share, 3))
