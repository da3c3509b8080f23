"""Query limits (OWASP GraphQL cheat sheet): depth, aliases and tokens, checked before execution.

Depth and aliases are validation rules over the parsed document (fragments followed, each
fragment once per path); tokens are counted by the parser itself, which stops at the limit, so
an oversized document costs no more than the limit to reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["Limits", "limit_rules"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_batch: int = 1000
    max_body_bytes: int = 512 * 1024


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})


def _depth(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
           seen: frozenset[str]) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            deepest = max(deepest, 1 + _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, InlineFragmentNode):
            deepest = max(deepest, _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                deepest = max(deepest, _depth(fragment.selection_set, fragments, seen | {name}))
    return deepest


def limit_rules(limits: Limits) -> list[type[ASTValidationRule]]:
    class DepthLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            ctx = self.context
            fragments = {f.name.value: f for f in ctx.document.definitions
                         if isinstance(f, FragmentDefinitionNode)}
            depth = _depth(node.selection_set, fragments, frozenset())
            if depth > limits.max_depth:
                ctx.report_error(_too_complex(
                    f"the query is {depth} levels deep; the limit is {limits.max_depth}"))

    class AliasLimit(ASTValidationRule):
        count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1
                if self.count == limits.max_aliases + 1:
                    self.context.report_error(_too_complex(
                        f"the query uses more than {limits.max_aliases} aliases"))

    return [DepthLimit, AliasLimit]
