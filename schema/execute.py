"""Executing GraphQL operations: cached parse and validation, limits, and coded errors.

The hub runs graphql-core directly on the strawberry schema rather than through a stack of
schema extensions. Parse and validation results are cached per query text (measured: no cache
costs 5x) in a cache bounded by bytes, not only by entries, so that no caller can pin memory
with large documents. The limits (`schema.limits`) are checked in one linear pass before
graphql-core's own rules run. Every error leaves with a stable `extensions.code`, and no
message carries a suggestion ("Did you mean ...") wherever graphql-core put one. Errors that
are not coded are masked as INTERNAL; the original goes to the hub's log only.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
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
from schema.limits import Limits, check_limits

__all__ = ["Executor", "ParseCache", "Prepared", "format_error", "scrub"]

log = logging.getLogger("hub.graphql")
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# A parsed document keeps every token (for error locations) and an AST node per few tokens;
# measured with tracemalloc, a token costs about this many bytes once parsed and validated.
_TOKEN_BYTES = 700
_ENTRY_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed and validated document, or the errors that stop it."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    query_hash: str
    cost: int = 0  # bytes it holds while cached (estimated)

    def operations(self) -> list[OperationDefinitionNode]:
        if self.document is None:
            return []
        return [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        ops = self.operations()
        if name is None:
            return ops[0] if len(ops) == 1 else None
        return next((o for o in ops if o.name is not None and o.name.value == name), None)

    def root_field(self, name: str | None) -> str:
        """The first root field the operation selects (for metrics: a small, fixed set of
        names), or "-" when there is none."""
        op = self.operation(name)
        if op is None:
            return "-"
        first = next((s for s in op.selection_set.selections if isinstance(s, FieldNode)), None)
        return "-" if first is None else first.name.value

    def is_mutation(self, name: str | None) -> bool:
        op = self.operation(name)
        return op is not None and op.operation == OperationType.MUTATION

    def selection_problem(self, name: str | None) -> str | None:
        """Why `operationName` does not pick one operation of the document, if it does not."""
        if self.operation(name) is not None:
            return None
        if name is None:
            return (f"the document holds {len(self.operations())} operations; name the one to "
                    "run in operationName")
        return f"the document has no operation named {name[:64]!r}; check operationName"


@dataclass(slots=True)
class ParseCache:
    """Least recently used prepared documents, bounded by entries and by estimated bytes."""

    max_bytes: int
    max_entries: int = 1024
    bytes: int = 0
    _entries: OrderedDict[str, Prepared] = field(default_factory=OrderedDict)

    def get(self, query: str) -> Prepared | None:
        found = self._entries.get(query)
        if found is not None:
            self._entries.move_to_end(query)
        return found

    def put(self, query: str, prepared: Prepared) -> None:
        if prepared.cost > self.max_bytes // 8:
            return  # one document may not take more than an eighth of the cache
        old = self._entries.pop(query, None)
        if old is not None:
            self.bytes -= old.cost
        self._entries[query] = prepared
        self.bytes += prepared.cost
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.cost

    def __len__(self) -> int:
        return len(self._entries)


class Executor:
    def __init__(self, schema: strawberry.Schema, limits: Limits, *, introspection: bool,
                 cache_entries: int = 1024) -> None:
        self.schema = schema
        self.limits = limits
        self._gql = schema._schema
        self._executor_class = schema.execution_context_class
        rules = list(specified_rules)
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = rules
        self.cache = ParseCache(limits.parse_cache_bytes, cache_entries)

    def prepare(self, query: str) -> Prepared:
        cached = self.cache.get(query)
        if cached is not None:
            return cached
        prepared = self._prepare(query)
        self.cache.put(query, prepared)
        return prepared

    def _prepare(self, query: str) -> Prepared:
        size = len(query.encode())
        try:
            document = parse(query, max_tokens=self.limits.max_tokens, no_location=False)
        except GraphQLSyntaxError as exc:
            code = ("QUERY_TOO_COMPLEX" if "tokens" in exc.message else "GRAPHQL_PARSE_FAILED")
            return Prepared(None, (_coded(exc, code, scrub(exc.message)),), _sha256(query),
                            2 * size)
        # The text, a copy of it in the tokens, the tokens and the AST, and a fixed part.
        cost = 2 * size + _TOKEN_BYTES * _tokens(document) + _ENTRY_BYTES
        digest = _sha256(print_ast(document))  # the normalised query, for the audit trail
        # The limits first, in one linear pass: graphql-core's rules only see bounded documents.
        errors = check_limits(document, self.limits) or validate(
            self._gql, document, self._rules, max_errors=50, hide_suggestions=True)
        if errors:
            return Prepared(document, tuple(_validation_error(e, document) for e in errors),
                            digest, cost)
        return Prepared(document, (), digest, cost)

    async def execute(self, prepared: Prepared, variables: dict[str, Any] | None,
                      operation_name: str | None, context: Any) -> ExecutionResult:
        if prepared.document is None:
            raise ValueError("cannot execute a document that did not parse")
        problem = prepared.selection_problem(operation_name)
        if problem is not None:
            return ExecutionResult(None, [GraphQLError(
                problem, extensions={"code": "BAD_USER_INPUT"})])
        result = execute(
            self._gql, prepared.document, context_value=context, variable_values=variables,
            operation_name=operation_name, is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            executor_class=self._executor_class, hide_suggestions=True,
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
        return result  # type: ignore[return-value]


def _tokens(document: DocumentNode) -> int:
    """How many tokens the parsed document keeps (its locations link them all)."""
    loc = document.loc
    token = loc.start_token if loc is not None else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


def scrub(message: str) -> str:
    """The message without any suggestion graphql-core may have put anywhere in it."""
    return _SUGGESTION.sub("", message)


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
    message = scrub(error.message)
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
        code, message = "BAD_USER_INPUT", error.message
    else:
        log.error("internal error in request %s", request_id, exc_info=original or error)
        code = "INTERNAL"
        message = f"internal error; quote request id {request_id} to the hub's operators"
    out: dict[str, Any] = {"message": scrub(message), "extensions": {"code": code}}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    return out
