"""Executing GraphQL operations: cached parse and validation, limits, and coded errors.

The hub runs graphql-core directly on the strawberry schema rather than through a stack of
schema extensions: parse and validation results are cached per query text (measured: no cache
costs 5x), limits are validation rules, and every error leaves with a stable `extensions.code`.
Errors that are not coded are masked as INTERNAL; the original goes to the hub's log only.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.execution.is_awaitable import optimized_is_awaitable

from schema.errors import CODES, coded
from schema.limits import Limits, limit_rules

__all__ = ["Executor", "Prepared", "format_error"]

log = logging.getLogger("hub.graphql")
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed and validated document, or the errors that stop it."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    query_hash: str

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        if self.document is None:
            return None
        ops = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            return ops[0] if len(ops) == 1 else None
        return next((o for o in ops if o.name is not None and o.name.value == name), None)

    def is_mutation(self, name: str | None) -> bool:
        op = self.operation(name)
        return op is not None and op.operation == OperationType.MUTATION


class Executor:
    def __init__(self, schema: strawberry.Schema, limits: Limits, *, introspection: bool,
                 cache_size: int = 1024) -> None:
        self.schema = schema
        self.limits = limits
        self._gql = schema._schema
        self._executor_class = schema.execution_context_class
        rules = [*specified_rules, *limit_rules(limits)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = rules
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._cache_size = cache_size

    def prepare(self, query: str) -> Prepared:
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return cached
        prepared = self._prepare(query)
        self._cache[query] = prepared
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query, max_tokens=self.limits.max_tokens, no_location=False)
        except GraphQLSyntaxError as exc:
            code = ("QUERY_TOO_COMPLEX" if "tokens" in exc.message else "GRAPHQL_PARSE_FAILED")
            return Prepared(None, (_coded(exc, code, exc.message),), _sha256(query))
        digest = _sha256(print_ast(document))  # the normalised query, for the audit trail
        errors = validate(self._gql, document, self._rules)
        if errors:
            return Prepared(document, tuple(_validation_error(e, document) for e in errors),
                            digest)
        return Prepared(document, (), digest)

    async def execute(self, prepared: Prepared, variables: dict[str, Any] | None,
                      operation_name: str | None, context: Any) -> ExecutionResult:
        if prepared.document is None:
            raise ValueError("cannot execute a document that did not parse")
        result = execute(
            self._gql, prepared.document, context_value=context, variable_values=variables,
            operation_name=operation_name, is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            executor_class=self._executor_class,
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
        return result  # type: ignore[return-value]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _coded(error: GraphQLError, code: str, message: str) -> GraphQLError:
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path,
                        error.original_error, {"code": code})


def _argument_of(document: DocumentNode, error: GraphQLError) -> str | None:
    """The name of the argument whose value an error points at, for a clearer message."""
    if not error.nodes:
        return None
    target = error.nodes[0].loc
    if target is None:
        return None
    found: list[str] = []

    def visit(node: Any) -> None:
        if found or node is None:
            return
        for arg in getattr(node, "arguments", None) or ():
            loc = arg.value.loc
            if loc is not None and loc.start <= target.start and target.end <= loc.end:
                found.append(arg.name.value)
                return
        for attr in ("definitions", "selection_set", "selections"):
            child = getattr(node, attr, None)
            if isinstance(child, tuple | list):
                for item in child:
                    visit(item)
            elif child is not None:
                visit(child)

    visit(document)
    return found[0] if found else None


def _validation_error(error: GraphQLError, document: DocumentNode) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    code = (error.extensions or {}).get("code")
    if code == "BAD_USER_INPUT" or message.startswith("Expected value of type"):
        argument = _argument_of(document, error)
        if argument is not None:
            message = f"argument {argument}: {message}"
        return _coded(error, "BAD_USER_INPUT", message)
    if code in CODES:
        return _coded(error, code, message)
    return _coded(error, "GRAPHQL_VALIDATION_FAILED", message)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The error as sent to the caller: coded, masked unless the code is a public one."""
    original = error.original_error
    known = coded(original) if original is not None else None
    if known is not None:
        code, message = known
    elif isinstance(original, GraphQLError) and (original.extensions or {}).get("code") in CODES:
        code, message = (original.extensions or {})["code"], error.message
    elif (error.extensions or {}).get("code") in CODES:
        code, message = (error.extensions or {})["code"], error.message
    elif not error.path and error.message.startswith("Variable '$"):
        code, message = "BAD_USER_INPUT", _SUGGESTION.sub("", error.message)
    else:
        log.error("internal error in request %s", request_id, exc_info=original or error)
        code = "INTERNAL"
        message = f"internal error; quote request id {request_id} to the hub's operators"
    out: dict[str, Any] = {"message": message, "extensions": {"code": code}}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    return out
