"""Assemble the GraphQL schema: an Apollo Federation 2 subgraph with `Enterprise @key(uscc)`.

The two federation fields are the hub's own rather than strawberry's defaults: `_entities`
takes at most `max_batch` representations, refuses a malformed one at its own index with
BAD_USER_INPUT (never an internal error), and resolves each through the gateway like any other
enterprise query; `_service { sdl }` describes the whole schema, so it answers only a caller
with the `gateway` role (the federation router) or anyone in demo mode, like introspection.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import Info

from consent.errors import AccessDenied, Forbidden
from schema.applications import ApplicationMutations, ApplicationQueries
from schema.consents import Mutation
from schema.context import RequestContext
from schema.errors import BadUserInput, CodedError, HubError
from schema.jobs_api import JobMutations, JobQueries
from schema.licences import LicenceQueries
from schema.objections import ObjectionMutations, ObjectionQueries
from schema.person import PERSON_RECORD_TYPES
from schema.query import Query
from schema.records import ENTERPRISE_RECORD_TYPES
from schema.scalars import SCALAR_MAP
from schema.types import Enterprise

__all__ = ["build_schema"]

# Entity types by __typename, with the key fields a representation must carry.
_ENTITIES: dict[str, tuple[type[Enterprise], tuple[str, ...]]] = {
    "Enterprise": (Enterprise, ("uscc",)),
}


@strawberry.type(name="_Service")
class _Service:
    @strawberry.field
    def sdl(self, info: Info[RequestContext, None]) -> str:
        return print_schema(info.schema)


def _reference(info: Info[RequestContext, None], index: int, unverified: Any
               ) -> Enterprise | CodedError:
    where = f"representations[{index}]"
    if not isinstance(unverified, dict):
        return BadUserInput(f"{where}: give an object with __typename and the entity's key")
    typename = unverified.get("__typename")
    entity = _ENTITIES.get(typename) if isinstance(typename, str) else None
    if entity is None:
        return BadUserInput(f"{where}: __typename must name an entity of this service "
                            f"({', '.join(_ENTITIES)})")
    cls, keys = entity
    stray = sorted(set(unverified) - {"__typename", *keys})
    if stray:
        return BadUserInput(f"{where}: {typename} is keyed by {', '.join(keys)} only; "
                            f"{stray[0][:40]!r} is not a key field")
    values: dict[str, str] = {}
    for key in keys:
        value = unverified.get(key)
        if not isinstance(value, str):
            return BadUserInput(f"{where}: {key} must be given as a string")
        values[key] = value
    try:
        return cls.resolve_reference(info, **values)
    except (HubError, AccessDenied) as exc:
        return exc


def build_schema(*, sdl_for_all: bool = False) -> strawberry.federation.Schema:
    """The hub's schema; `sdl_for_all` (demo mode) lets any caller read `_service { sdl }`."""

    @strawberry.type
    class FederatedQuery(Query, LicenceQueries, ObjectionQueries, ApplicationQueries,
                         JobQueries):
        @strawberry.field(name="_service")
        def service(self, info: Info[RequestContext, None]) -> _Service:
            if not sdl_for_all and info.context.caller.role != "gateway":
                raise Forbidden("only the federation gateway reads this service's schema")
            return _Service()

    class HubSchema(strawberry.federation.Schema):
        def entities_resolver(self, info: Info[RequestContext, None],
                              representations: list[FederationAny]) -> list[FederationAny]:
            limit = info.context.max_batch
            if len(representations) > limit:
                raise BadUserInput(f"representations: at most {limit} per query, got "
                                   f"{len(representations)}; split the list")
            return [_reference(info, i, r)  # type: ignore[misc]
                    for i, r in enumerate(representations)]

    return HubSchema(
        query=FederatedQuery,
        mutation=merge_types("Mutation", (Mutation, ObjectionMutations, ApplicationMutations,
                                                JobMutations)),
        types=[Enterprise, *ENTERPRISE_RECORD_TYPES.values(), *PERSON_RECORD_TYPES.values()],
        config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP),
    )
