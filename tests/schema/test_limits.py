"""Query limits: measured linearly, checked against a naive expansion written here."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections import Counter

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_introspection_query,
    parse,
)

from schema.build import build_schema
from schema.execute import Executor, ParseCache, Prepared
from schema.limits import Limits, check_limits, measure


def doubling(n: int) -> str:
    """Fragments that each spread the next twice: 2^n fields from ~45 bytes per fragment."""
    frags = "".join(f"fragment F{i} on Source {{ name ...F{i + 1} ...F{i + 1} }}\n"
                    for i in range(n - 1))
    return "query { sources { ...F0 } }\n" + frags + f"fragment F{n - 1} on Source {{ name }}\n"


def naive(document: DocumentNode) -> tuple[int, int, int, int]:
    """(fields, depth, aliases, repeats) by expanding every spread literally: the oracle."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    paths: Counter[tuple[str, ...]] = Counter()
    aliases = 0

    def walk(node: SelectionSetNode, prefix: tuple[str, ...]) -> None:
        nonlocal aliases
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                path = (*prefix, (sel.alias or sel.name).value)
                paths[path] += 1
                aliases += sel.alias is not None
                if sel.selection_set is not None:
                    walk(sel.selection_set, path)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, prefix)
            elif isinstance(sel, FragmentSpreadNode):
                walk(fragments[sel.name.value].selection_set, prefix)

    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            walk(d.selection_set, ())
    return (sum(paths.values()), max(map(len, paths), default=0), aliases,
            max(paths.values(), default=0))


def random_document(rng: random.Random) -> str:
    """A random acyclic document over made-up names (limits do not look at the schema)."""
    names = ["a", "b", "c"]
    count = rng.randint(0, 4)

    def selection(depth: int, frag_floor: int) -> str:
        parts = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.2 and frag_floor < count:
                parts.append(f"...G{rng.randint(frag_floor, count - 1)}")
            elif roll < 0.3:
                parts.append("... on T { " + selection(depth, frag_floor) + " }")
            else:
                alias = f"x{rng.randint(0, 2)}: " if rng.random() < 0.2 else ""
                name = rng.choice(names)
                if depth < 4 and rng.random() < 0.5:
                    parts.append(f"{alias}{name} {{ {selection(depth + 1, frag_floor)} }}")
                else:
                    parts.append(alias + name)
        return " ".join(parts)

    # Fragment i only spreads fragments after it, so the document has no cycle.
    frags = [f"fragment G{i} on T {{ {selection(1, i + 1)} }}" for i in range(count)]
    ops = [f"query Q{i} {{ {selection(0, 0)} }}" for i in range(rng.randint(1, 2))]
    return "\n".join(ops + frags)


@pytest.mark.parametrize("seed", range(60))
def test_the_linear_measure_agrees_with_a_naive_expansion(seed: int) -> None:
    document = parse(random_document(random.Random(seed)))
    m = measure(document, 10**9)
    assert (m.fields, m.depth, m.aliases, m.repeats) == naive(document)


def test_thirty_doubling_fragments_are_refused_at_once() -> None:
    """1.3 KB standing for 2^30 fields: refused without expanding them (it would take hours)."""
    document = parse(doubling(30))
    assert len(doubling(30)) < 1400
    (error,) = check_limits(document, Limits())
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "more than 2000 fields once its fragments are expanded" in error.message
    # A short chain is measured exactly: 2^n - 1 fields named `name` under `sources`.
    small = measure(parse(doubling(6)), 10**9)
    assert small.fields == 1 + 63 and small.repeats == 63 and small.depth == 2


@pytest.mark.parametrize(("query", "says"), [
    ("{ a { b { c { d } } } }", "4 levels deep; the limit is 3"),
    ("query { ...F } fragment F on Query { a { ...G } } fragment G on A { b { c { d } } }",
     "4 levels deep; the limit is 3"),
    ("{ x1: a x2: a x3: a x4: a }", "more than 3 aliases"),
    ("{ a { b } a { b } a { b } }", "3 times; the limit is 2"),
    ("{ a { b b b } }", "selects a.b 3 times; the limit is 2"),
    ("query { ...F ...F ...F } fragment F on Query { a }", "selects a 3 times; the limit is 2"),
    ("{ " + "a " * 11 + "}", "more than 10 fields"),
])
def test_each_limit_just_over(query: str, says: str) -> None:
    limits = Limits(max_depth=3, max_aliases=3, max_repeats=2, max_complexity=10)
    errors = check_limits(parse(query), limits)
    assert [e.extensions for e in errors] == [{"code": "QUERY_TOO_COMPLEX"}]
    assert says in errors[0].message


@pytest.mark.parametrize("query", [
    "{ a { b { c } } }", "{ x1: a x2: a x3: a }", "{ a { b } a { b } }", "{ " + "a " * 2 + "}",
    "query { ...F } fragment F on Query { ...F }",  # a cycle: the spec rule reports it
])
def test_each_limit_at_the_limit(query: str) -> None:
    limits = Limits(max_depth=3, max_aliases=3, max_repeats=2, max_complexity=10)
    assert check_limits(parse(query), limits) == []


def test_introspection_is_exempt_from_depth_only() -> None:
    """GraphiQL's schema query (15 levels) passes the limits; its fields still count."""
    document = parse(get_introspection_query(descriptions=True))
    assert measure(document, 10**9).depth == 15
    assert check_limits(document, Limits()) == []
    (error,) = check_limits(document, Limits(max_complexity=100))
    assert "more than 100 fields" in error.message
    (deep,) = check_limits(parse("{ a { b { c { d } } } __schema { types { name } } }"),
                           Limits(max_depth=3))
    assert "4 levels deep" in deep.message


def executor(**limits: int) -> Executor:
    return Executor(build_schema(), Limits(**limits), introspection=False)


def test_the_parse_cache_is_bounded_by_bytes() -> None:
    """Distinct large documents never pin more than the cache's byte budget."""
    ex = executor(parse_cache_bytes=4 * 2**20)
    for i in range(40):
        padding = " " * 200_000  # 200 KB of text that parses to almost nothing
        ex.prepare(f"query Q{i} {{ sources {{ name }} }}{padding}")
        assert ex.cache.bytes <= 4 * 2**20
    assert 0 < len(ex.cache) < 40
    many = executor(parse_cache_bytes=4 * 2**20)
    for i in range(200):
        many.prepare("query Q%d { sources { %s } }" % (i, " ".join(["name"] * 9)))
    assert len(many.cache) == 200  # small documents all fit


def test_a_document_larger_than_an_eighth_of_the_cache_is_not_kept() -> None:
    cache = ParseCache(max_bytes=800)
    cache.put("big", Prepared(None, (), "h", cost=101))
    cache.put("small", Prepared(None, (), "h", cost=100))
    assert cache.get("big") is None and cache.get("small") is not None


@pytest.mark.parametrize("template", [
    "query Q%d { sources { " + "name " * 1900 + "} }",
    "query Q%d($u: USCC!) { complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) { reportId verdict "
    "domains { domain title department source status detail latencyMs asOf } } }",
    'query Q%d { auditEntries(filter: {caller: "' + "x" * 300_000 + '"}) { totalCount } }',
])
def test_the_cost_estimate_covers_what_a_document_really_holds(template: str) -> None:
    """Kept documents hold no more memory than the cache counts for them (tracemalloc)."""
    ex = executor(max_complexity=5000, max_repeats=5000)
    ex._prepare(template % 0)  # the first time fills graphql-core's per-schema caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [ex._prepare(template % i) for i in range(1, 6 if len(template) > 5000 else 60)]
        gc.collect()  # validation leaves reference cycles behind; they are not held
        held = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert held <= kept[0].cost * 1.2, (held, kept[0].cost)
