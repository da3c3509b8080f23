"""Hostile and careless input through the real app: bounded work before execution, coded
client mistakes with no traceback logged, no suggestions, no internal names."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

CLIENT_CODES = {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}
ENTITIES = ('query($r: [_Any!]!) { _entities(representations: $r) '
            '{ ... on Enterprise { uscc } } }')
# What a response must never carry: exception classes, module paths, tracebacks.
INTERNAL = re.compile(r"Error\b|Exception|Traceback|<class|strawberry|graphql\.|schema\.|"
                      r"sqlalchemy|aiohttp|\.py\b")


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Fails the test if the hub logged an error (an internal error's traceback)."""
    caplog.set_level(logging.WARNING)
    yield caplog
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage() for r in logged]


def test_thirty_doubling_fragments_are_refused_before_any_work(
        hub: HubHarness, clean_sandbox: SandboxProcess, quiet: pytest.LogCaptureFixture) -> None:
    """1.3 KB that stands for 2^30 fields: QUERY_TOO_COMPLEX at once, and /healthz answers."""
    frags = "".join(f"fragment F{i} on Source {{ name ...F{i + 1} ...F{i + 1} }} "
                    for i in range(29))
    query = "query { sources { ...F0 } } " + frags + "fragment F29 on Source { name }"
    r = hub.post(query, purpose=None)
    assert r.status_code == 400 and codes(r.json()) == ["QUERY_TOO_COMPLEX"]
    assert "fragments are expanded" in r.text
    assert hub.client.get("/healthz").status_code == 200
    assert clean_sandbox.total_calls() == 0


@pytest.mark.parametrize(("query", "variables", "hinted"), [
    ('{ auditEntries(filter: {calle: "x"}) { totalCount } }', None, "caller"),
    ('query($f: AuditFilter) { auditEntries(filter: $f) { totalCount } }', {"f": {"calle": "x"}},
     "caller"),
    ('{ auditEntries(filte: {}) { totalCount } }', None, "filter"),
    ('{ auditEntrie { totalCount } }', None, "auditEntries"),
    ('{ auditEntries { totalCont } }', None, "totalCount"),
    ('{ auditEntries(filter: {outcome: "x"}) { edges { node { seq } } pageInf { x } } }', None,
     "pageInfo"),
])
def test_no_suggestion_anywhere_in_a_message(hub: HubHarness, query: str,
                                             variables: dict[str, Any] | None,
                                             hinted: str, quiet: pytest.LogCaptureFixture
                                             ) -> None:
    """Neither "Did you mean" nor the names it would suggest, even mid-message."""
    r = hub.post(query, variables, caller="auditor", purpose=None)
    body = r.json()
    assert body["errors"] and set(codes(body)) <= CLIENT_CODES
    for error in body["errors"]:
        assert "Did you mean" not in error["message"]
        assert f"'{hinted}'" not in error["message"]


def test_service_sdl_only_for_the_gateway(hub: HubHarness, sandbox: SandboxProcess,
                                          tmp_path: Path, quiet: pytest.LogCaptureFixture
                                          ) -> None:
    for caller in ("xzsp", "portal", "auditor"):
        r = hub.post("{ _service { sdl } }", caller=caller, purpose=None)
        assert codes(r.json()) == ["FORBIDDEN"], r.text
        assert "type Query" not in r.text and r.json()["data"] is None
    r = hub.post("{ _service { sdl } }", caller="gateway", purpose=None)
    assert "complianceCheck" in r.json()["data"]["_service"]["sdl"]
    demo = HubHarness(sandbox, tmp_path, demo=True)
    try:
        r = demo.post("{ _service { sdl } }", caller="xzsp", purpose=None)
        assert "complianceCheck" in r.json()["data"]["_service"]["sdl"]
    finally:
        demo.close()


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


AUDIT = 'query($a: String) { auditEntries(after: $a) { totalCount } }'
SINCE = 'query($f: AuditFilter) { auditEntries(filter: $f) { totalCount } }'


@pytest.mark.parametrize(("body", "caller", "says"), [
    ({"query": "query A { sources { name } }", "operationName": "B"}, "xzsp",
     "no operation named 'B'"),
    ({"query": "query A { sources { name } } query B { matters { code } }"}, "xzsp",
     "holds 2 operations; name the one to run in operationName"),
    ({"query": AUDIT, "variables": {"a": _cursor("seq:" + "9" * 40)}}, "auditor",
     "not a cursor this hub gave out"),
    ({"query": AUDIT, "variables": {"a": _cursor("seq:٣")}}, "auditor", "not a cursor"),
    ({"query": SINCE, "variables": {"f": {"since": "9999-12-31T23:59:59-23:59"}}}, "auditor",
     "outside the years 1 to 9999"),
    ({"query": '{ auditEntries(filter: {since: "0001-01-01T00:00:00+23:59"}) { totalCount } }'},
     "auditor", "outside the years 1 to 9999"),
    ({"query": SINCE, "variables": {"f": {"until": "2026-11-01T09:00:00"}}}, "auditor",
     "give a time zone offset"),
    ({"query": SINCE, "variables": {"f": {"until": "yesterday"}}}, "auditor",
     "not an ISO 8601 date and time"),
], ids=["unknown-operation", "two-operations", "huge-cursor", "non-ascii-cursor",
        "datetime-minus-2359", "datetime-literal-plus-2359", "datetime-no-offset",
        "datetime-garbage"])
def test_client_mistakes_are_coded_and_log_no_traceback(
        hub: HubHarness, body: dict[str, Any], caller: str, says: str,
        quiet: pytest.LogCaptureFixture) -> None:
    r = hub.client.post("/graphql", json=body, headers={
        "Authorization": f"Bearer {hub.api_keys[caller]}", "Accept": "application/json"})
    out = r.json()
    assert set(codes(out)) <= CLIENT_CODES and codes(out), out
    assert says in out["errors"][0]["message"]
    assert not INTERNAL.search(r.text), r.text


GOOD = "91110000600037341L"


@pytest.mark.parametrize(("representation", "says"), [
    ({"uscc": GOOD}, "__typename must name an entity of this service (Enterprise)"),
    ({"__typename": "Nope", "uscc": GOOD}, "__typename must name an entity"),
    ({"__typename": "Query"}, "__typename must name an entity"),
    ("a string", "give an object with __typename"),
    (17, "give an object with __typename"),
    ({"__typename": "Enterprise"}, "uscc must be given as a string"),
    ({"__typename": "Enterprise", "uscc": 5}, "uscc must be given as a string"),
    ({"__typename": "Enterprise", "uscc": GOOD, "x": 1}, "'x' is not a key field"),
    ({"__typename": "Enterprise", "uscc": "91110000600037341M"}, "check character"),
])
def test_malformed_entity_representations_are_bad_user_input(
        hub: HubHarness, clean_sandbox: SandboxProcess, representation: Any, says: str,
        quiet: pytest.LogCaptureFixture) -> None:
    reps = [{"__typename": "Enterprise", "uscc": GOOD}, representation]
    r = hub.post(ENTITIES, {"r": reps}, caller="fgw")
    body = r.json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    (error,) = body["errors"]
    assert error["path"] == ["_entities", 1] and says in error["message"]
    assert body["data"]["_entities"][0] == {"uscc": GOOD}  # the good one still resolves
    assert not INTERNAL.search(r.text), r.text


def test_entities_are_bounded_like_compliance_checks(hub: HubHarness,
                                                     clean_sandbox: SandboxProcess,
                                                     quiet: pytest.LogCaptureFixture) -> None:
    rep = {"__typename": "Enterprise", "uscc": GOOD}
    query = ('query($r: [_Any!]!) { _entities(representations: $r) '
             '{ ... on Enterprise { uscc name } } }')
    r = hub.post(query, {"r": [rep] * 1001}, caller="fgw")
    assert codes(r.json()) == ["BAD_USER_INPUT"] and "at most 1000" in r.text
    assert clean_sandbox.total_calls() == 0
    r = hub.post(ENTITIES, {"r": [rep] * 1000}, caller="fgw")
    assert len(r.json()["data"]["_entities"]) == 1000
