"""Assemble the GraphQL schema: an Apollo Federation 2 subgraph with `Enterprise @key(uscc)`."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.consents import Mutation
from schema.person import PERSON_RECORD_TYPES
from schema.query import Query
from schema.records import ENTERPRISE_RECORD_TYPES
from schema.scalars import SCALAR_MAP
from schema.types import Enterprise

__all__ = ["build_schema"]


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=Query,
        mutation=Mutation,
        types=[Enterprise, *ENTERPRISE_RECORD_TYPES.values(), *PERSON_RECORD_TYPES.values()],
        config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP),
    )
