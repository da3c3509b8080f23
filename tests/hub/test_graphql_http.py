"""GraphQL over HTTP: authentication, authorisation, input, limits and media types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schema.limits import Limits
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

SIMPLE = "query($u: USCC!) { complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) { verdict } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_no_key_is_unauthenticated_and_calls_no_source(hub: HubHarness,
                                                       clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    for headers, caller in (({}, None), ({"Authorization": "Bearer nope"}, None),
                            ({"Authorization": "Basic abc"}, None)):
        r = hub.post(SIMPLE, {"u": uscc}, caller=caller, headers=headers)
        assert r.status_code == 401
        assert codes(r.json()) == ["UNAUTHENTICATED"]
        assert "data" not in r.json()
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert clean_sandbox.total_calls() == 0


@pytest.mark.parametrize(("caller", "kind"), [("fgw", "BANKRUPTCY"), ("court", "IPO_COMPLIANCE"),
                                              ("portal", "IPO_COMPLIANCE"),
                                              ("auditor", "BANKRUPTCY")])
def test_a_caller_not_allowed_the_kind_is_forbidden(hub: HubHarness,
                                                    clean_sandbox: SandboxProcess, caller: str,
                                                    kind: str) -> None:
    r = hub.post(CHECK, {"kind": kind, "uscc": clean_sandbox.enterprise("clean")},
                 caller=caller, purpose=kind)
    assert r.status_code == 200
    assert codes(r.json()) == ["FORBIDDEN"]
    assert r.json()["data"] is None
    assert clean_sandbox.total_calls() == 0


def test_purpose_header_is_required_and_must_match(hub: HubHarness,
                                                   clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    r = hub.post(SIMPLE, {"u": uscc}, purpose=None)
    assert codes(r.json()) == ["PURPOSE_REQUIRED"]
    r = hub.post(SIMPLE, {"u": uscc}, purpose="BANKRUPTCY")
    assert codes(r.json()) == ["FORBIDDEN"] and "X-Hub-Purpose is BANKRUPTCY" in r.text
    r = hub.post(SIMPLE, {"u": uscc}, purpose="not a code")
    assert r.status_code == 400 and "X-Hub-Purpose" in r.json()["errors"][0]["message"]
    assert clean_sandbox.total_calls() == 0


@pytest.mark.parametrize(("value", "says"), [
    ("91110000600037341M", "check character"),
    ("123", "18 characters"),
    ("9111000060003734IL", "not allowed"),
])
def test_a_bad_uscc_is_bad_user_input_naming_the_argument(hub: HubHarness,
                                                          clean_sandbox: SandboxProcess,
                                                          value: str, says: str) -> None:
    literal = f'{{ complianceCheck(kind: IPO_COMPLIANCE, uscc: "{value}") {{ verdict }} }}'
    r = hub.post(literal)
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "argument uscc" in error["message"] and says in error["message"]
    r = hub.post(SIMPLE, {"u": value})
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$u" in error["message"] and says in error["message"]
    assert clean_sandbox.total_calls() == 0


def test_uscc_input_is_normalised(hub: HubHarness, clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    messy = " " + "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in uscc)
    r = hub.post("query($u: USCC!) { complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) "
                 "{ subject { uscc } } }", {"u": messy})
    assert r.json()["data"]["complianceCheck"]["subject"]["uscc"] == uscc


def test_batch_limit(hub: HubHarness, clean_sandbox: SandboxProcess) -> None:
    query = "query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) { verdict } }"
    uscc = clean_sandbox.enterprise("clean")
    r = hub.post(query, {"u": [uscc] * 1001})
    assert codes(r.json()) == ["BAD_USER_INPUT"] and "at most 1000" in r.text
    assert clean_sandbox.total_calls() == 0
    r = hub.post(query, {"u": [uscc] * 1000})
    assert "errors" not in r.json() and len(r.json()["data"]["complianceChecks"]) == 1000
    r = hub.post(query, {"u": []})
    assert codes(r.json()) == ["BAD_USER_INPUT"]


@pytest.fixture(scope="module")
def tight_hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("tight"),
                         limits=Limits(max_depth=3, max_aliases=3, max_tokens=200,
                                       max_repeats=1000))
    yield harness
    harness.close()


def test_depth_limit_just_under_and_just_over(tight_hub: HubHarness,
                                              clean_sandbox: SandboxProcess) -> None:
    """Depth 3 passes; depth 4 is refused, also when reached through a fragment."""
    check = '{ complianceCheck(kind: IPO_COMPLIANCE, uscc: "91110000600037341L") { %s } }'
    at_limit = check % "domains { domain } subject { uscc }"
    assert "QUERY_TOO_COMPLEX" not in codes(tight_hub.post(at_limit).json())
    clean_sandbox.reset()
    via_fragment = (check % "subject { ...R }") + " fragment R on Enterprise { registration { name } }"
    for over in (check % "subject { registration { name } }", via_fragment):
        r = tight_hub.post(over)
        assert r.status_code == 400 and codes(r.json()) == ["QUERY_TOO_COMPLEX"], r.text
        assert "4 levels deep; the limit is 3" in r.text
    assert clean_sandbox.total_calls() == 0


def test_alias_limit_just_under_and_just_over(tight_hub: HubHarness,
                                              clean_sandbox: SandboxProcess) -> None:
    three = "{ a: sources { name } b: sources { name } c: sources { name } }"
    four = "{ a: sources { name } b: sources { name } c: sources { name } d: sources { name } }"
    assert "errors" not in tight_hub.post(three).json()
    r = tight_hub.post(four)
    assert r.status_code == 400 and codes(r.json()) == ["QUERY_TOO_COMPLEX"]
    assert "more than 3 aliases" in r.text


def test_token_limit_just_under_and_just_over(tight_hub: HubHarness) -> None:
    # "{ sources { name } }" is 6 tokens; each extra " name" adds one (a repeated field).
    def query(tokens: int) -> str:
        return "{ sources { " + " ".join(["name"] * (tokens - 5)) + " } }"

    assert "errors" not in tight_hub.post(query(200)).json()
    r = tight_hub.post(query(201))
    assert r.status_code == 400 and codes(r.json()) == ["QUERY_TOO_COMPLEX"]
    assert "200 tokens" in r.text


def test_no_field_suggestions(hub: HubHarness) -> None:
    r = hub.post("{ complianceChek(kind: IPO_COMPLIANCE, uscc: \"91110000600037341L\") { verdict } }")
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in error["message"]


def test_introspection_only_in_demo_mode(hub: HubHarness, sandbox: SandboxProcess,
                                         tmp_path: Path) -> None:
    query = "{ __schema { queryType { name } } }"
    r = hub.post(query)
    assert r.status_code == 400 and "introspection" in r.text.lower()
    demo = HubHarness(sandbox, tmp_path, demo=True)
    try:
        r = demo.post(query)
        assert r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
        page = demo.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    finally:
        demo.close()
    assert hub.client.get("/graphql", headers={"Accept": "text/html"}).status_code != 200 or \
        "graphiql" not in hub.client.get("/graphql", headers={"Accept": "text/html"}).text.lower()


def test_get_queries_work_and_get_mutations_are_405(hub: HubHarness) -> None:
    headers = {"Authorization": f"Bearer {hub.api_keys['xzsp']}",
               "Accept": "application/graphql-response+json"}
    r = hub.client.get("/graphql", params={"query": "{ sources { name } }"}, headers=headers)
    assert r.status_code == 200 and len(r.json()["data"]["sources"]) >= 25
    r = hub.client.get("/graphql", params={"query": "mutation { x }"}, headers=headers)
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_media_types_and_status_codes(hub: HubHarness) -> None:
    bad = "{ nope }"
    r = hub.post(bad, accept="application/graphql-response+json")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    r = hub.post(bad, accept="application/json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "data" not in r.json()
    r = hub.post("{ sources { name } }", accept="text/csv")
    assert r.status_code == 406


@pytest.mark.parametrize(("content", "ctype", "status", "says"), [
    (b"{not json", "application/json", 400, "not JSON"),
    (b"[1, 2]", "application/json", 400, "JSON object"),
    (b'{"query": 3}', "application/json", 400, "query must be a string"),
    (b'{"query": "{ sources { name } }", "variables": [1]}', "application/json", 400,
     "variables must be"),
    (b'{"query": "{ sources { name } }"}', "text/plain", 415, "Content-Type"),
    (b'{"query": "' + b" " * 600_000 + b'{ sources { name } }"}', "application/json", 413,
     "exceeds"),
])
def test_malformed_requests(hub: HubHarness, content: bytes, ctype: str, status: int,
                            says: str) -> None:
    r = hub.client.post("/graphql", content=content, headers={
        "Content-Type": ctype, "Authorization": f"Bearer {hub.api_keys['xzsp']}",
        "Accept": "application/json"})
    assert r.status_code == status
    assert says in r.json()["errors"][0]["message"]


def test_request_id_is_echoed_or_generated(hub: HubHarness) -> None:
    r = hub.post("{ sources { name } }", headers={"X-Request-Id": "case-42.abc"})
    assert r.headers["x-request-id"] == "case-42.abc"
    r = hub.post("{ sources { name } }", headers={"X-Request-Id": "bad id with spaces"})
    assert len(r.headers["x-request-id"]) == 32


@pytest.mark.parametrize(("header", "value"), [("X-Hub-Operator", "x" * 200),
                                               ("X-Hub-Case", "case%011"),
                                               ("X-Hub-Consent", "a b")])
def test_bad_header_values_are_refused(hub: HubHarness, header: str, value: str) -> None:
    r = hub.client.post("/graphql", json={"query": "{ sources { name } }"}, headers={
        "Authorization": f"Bearer {hub.api_keys['xzsp']}", header: value})
    assert r.status_code == 400 and header in r.json()["errors"][0]["message"]


def test_federation_entities_go_through_the_choke_point(hub: HubHarness,
                                                        clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    query = ('query($r: [_Any!]!) { _entities(representations: $r) '
             '{ ... on Enterprise { uscc name } } }')
    reps = [{"__typename": "Enterprise", "uscc": uscc}]
    r = hub.post(query, {"r": reps}, caller="portal", purpose="SCHOOL_ENROLMENT")
    assert "FORBIDDEN" in codes(r.json())
    assert clean_sandbox.total_calls() == 0
    r = hub.post(query, {"r": reps}, caller="fgw", purpose="IPO_COMPLIANCE")
    entity = r.json()["data"]["_entities"][0]
    assert entity["uscc"] == uscc and entity["name"].startswith("新乡市")
    r = hub.post(query, {"r": [{"__typename": "Enterprise", "uscc": "123"}]}, caller="fgw")
    assert "BAD_USER_INPUT" in codes(r.json())


def test_probes_and_keys(hub: HubHarness) -> None:
    assert hub.client.get("/healthz").json() == {"status": "ok"}
    ready = hub.client.get("/readyz").json()
    assert ready["status"] == "ready" and len(ready["sources"]) >= 25
    assert ready["store"] == "reachable"
    keys = hub.client.get("/.well-known/hub-keys").json()["keys"]
    assert keys and keys[0]["crv"] == "Ed25519"
    metrics = hub.client.get("/metrics")
    assert "hub_request_duration_seconds" in metrics.text
    assert metrics.headers["content-type"].startswith("text/plain")


def test_admission_control_sheds_excess_at_once(sandbox: SandboxProcess, tmp_path: Path,
                                                clean_sandbox: SandboxProcess) -> None:
    """With one operation in flight allowed, a second concurrent one gets RATE_LIMITED."""
    import threading

    harness = HubHarness(sandbox, tmp_path, max_in_flight=1)
    try:
        clean_sandbox.fault("cgj_penalties", "slow:1500")
        uscc = clean_sandbox.enterprise("clean")
        slow: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: slow.update(r=harness.post(SIMPLE, {"u": uscc})))
        thread.start()
        import time

        time.sleep(0.5)
        started = time.monotonic()
        shed = harness.post("{ sources { name } }", purpose=None)
        assert time.monotonic() - started < 1.0
        assert shed.status_code == 503 and codes(shed.json()) == ["RATE_LIMITED"]
        assert shed.headers["retry-after"] == "1"
        thread.join()
        assert slow["r"].json()["data"]["complianceCheck"]["verdict"] == "CLEAN"
        assert "errors" not in harness.post("{ sources { name } }", purpose=None).json()
    finally:
        harness.close()
