"""Query limits (OWASP GraphQL cheat sheet): tokens, depth, aliases and complexity, checked
before any other validation.

Tokens are counted by the parser itself, which stops at the limit, so an oversized document
costs no more than the limit to reject. Depth, aliases, complexity (the number of fields once
every fragment spread is expanded) and repeats (fields merged into one response path) are
measured in one pass that measures each fragment once and reuses it wherever the fragment is
spread, and stops past the complexity limit: the work is linear in the document, however often
fragments spread each other (a chain of 30 fragments that each spread the next twice stands
for 2^30 fields and is refused at once). Only a document within these limits goes on to
graphql-core's own rules, whose cost then stays bounded too: the overlapping-fields rule
compares the fields merged into each response path pairwise, hence the repeat limit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["Limits", "Measure", "check_limits", "measure"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_complexity: int = 2000  # fields once fragments are expanded, all operations together
    max_repeats: int = 10  # fields merged into one response path (fragments expanded)
    max_batch: int = 1000
    max_body_bytes: int = 512 * 1024
    parse_cache_bytes: int = 32 * 2**20


Path = tuple[str, ...]
_INTROSPECTION = frozenset({"__schema", "__type"})


class _TooComplex(Exception):
    """More fields than the complexity limit: measured no further."""


@dataclass(slots=True)
class Measure:
    """What a selection set stands for once its fragment spreads are expanded: how many
    fields fall on each response path (fields of one name merge, so their children share
    paths), and how many of them are aliased."""

    paths: Counter[Path] = field(default_factory=Counter)
    fields: int = 0
    aliases: int = 0

    @property
    def depth(self) -> int:
        return max(map(len, self.paths), default=0)

    @property
    def data_depth(self) -> int:
        """The depth outside introspection (`__schema`, `__type`): GraphiQL's own schema query
        is 15 levels deep, and introspection is only open in demo mode anyway."""
        return max((len(p) for p in self.paths if p[0] not in _INTROSPECTION), default=0)

    @property
    def repeats(self) -> int:
        """The most fields merged into one response path."""
        return max(self.paths.values(), default=0)

    def add(self, other: Measure) -> None:
        self.paths.update(other.paths)
        self.fields += other.fields
        self.aliases += other.aliases


class _Walker:
    """Measures selection sets; each fragment is measured once (memoised), and measuring
    stops as soon as more fields than `cap` have been counted, so the work stays linear."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], cap: int) -> None:
        self._fragments = fragments
        self._memo: dict[str, Measure] = {}
        self._active: set[str] = set()  # fragments being measured: a cycle counts as empty
        self._cap = cap

    def fragment(self, name: str) -> Measure:
        known = self._memo.get(name)
        if known is not None:
            return known
        definition = self._fragments.get(name)
        if definition is None or name in self._active:
            return Measure()  # unknown fragments and cycles are the spec rules' to report
        self._active.add(name)
        try:
            result = self.selection_set(definition.selection_set)
        finally:
            self._active.discard(name)
        self._memo[name] = result
        return result

    def selection_set(self, node: SelectionSetNode) -> Measure:
        result = Measure()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                result.paths[(name,)] += 1
                result.fields += 1
                result.aliases += selection.alias is not None
                if selection.selection_set is not None:
                    child = self.selection_set(selection.selection_set)
                    for path, count in child.paths.items():
                        result.paths[(name, *path)] += count
                    result.fields += child.fields
                    result.aliases += child.aliases
            elif isinstance(selection, InlineFragmentNode):
                result.add(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                result.add(self.fragment(selection.name.value))
            if result.fields > self._cap:
                raise _TooComplex
        return result


def measure(document: DocumentNode, cap: int) -> Measure:
    """The whole document's measure, its operations together; raise `_TooComplex` past
    `cap` fields."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(fragments, cap)
    total = Measure()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total.add(walker.selection_set(definition.selection_set))
            if total.fields > cap:
                raise _TooComplex
    return total


def check_limits(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """QUERY_TOO_COMPLEX errors for every limit the document exceeds (none if within)."""
    try:
        total = measure(document, limits.max_complexity)
    except _TooComplex:
        return [_too_complex(f"the query selects more than {limits.max_complexity} fields once "
                             "its fragments are expanded; ask for less, or split it")]
    errors = []
    if total.data_depth > limits.max_depth:
        errors.append(f"the query is {total.data_depth} levels deep; the limit is "
                      f"{limits.max_depth}")
    if total.aliases > limits.max_aliases:
        errors.append(f"the query uses more than {limits.max_aliases} aliases")
    if total.repeats > limits.max_repeats:
        path = ".".join(total.paths.most_common(1)[0][0])
        errors.append(f"the query selects {path} {total.repeats} times; the limit is "
                      f"{limits.max_repeats} (select a field once)")
    return [_too_complex(m) for m in errors]


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})
