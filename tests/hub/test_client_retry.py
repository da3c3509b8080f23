"""The command line's client waits for a hub that sheds its request (RATE_LIMITED with
`Retry-After`) and sends it again, within its patience; nothing else is sent twice."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from email.message import Message

import orjson
import pytest

from hub.client import ClientError, HubClient, shed_wait
from hub.config.settings import hash_key
from tests.hub.procs import ServeProcess, free_port, hub_cmd, prepared_home
from tests.sandbox_process import SandboxProcess

# Two callers the IPO check's catalogue entry names, with quotas of one request at a time:
PATIENT_KEY = "patient-caller-key-0123456789"  # xzsp, 0.5 per second: a wait of 2 s
HURRIED_KEY = "hurried-caller-key-0123456789"  # fgw, 0.01 per second: 100 s, too long


def headers(**values: str) -> Message:
    message = Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


def errors(code: str) -> bytes:
    return orjson.dumps({"data": None, "errors": [{"message": "m", "extensions": {"code": code}}]})


@pytest.mark.parametrize(("status", "retry_after", "body", "expected"), [
    (503, "1", errors("RATE_LIMITED"), 1.0),  # the concurrency limit
    (429, "7", errors("RATE_LIMITED"), 7.0),  # the caller's quota
    (200, "1", errors("RATE_LIMITED"), None),
    (500, "1", errors("RATE_LIMITED"), None),
    (503, "5", errors("AUDIT_UNAVAILABLE"), None),  # the request ran; not sent again
    (503, None, errors("RATE_LIMITED"), None),  # no wait given
    (503, "soon", errors("RATE_LIMITED"), None),
    (503, "-1", errors("RATE_LIMITED"), None),
    (503, "Wed, 21 Oct 2026 07:28:00 GMT", errors("RATE_LIMITED"), None),
    (503, "1", b"Service Unavailable", None),  # a proxy's page, not the hub's answer
    (503, "1", b"[]", None),
    (503, "1", orjson.dumps({"errors": []}), None),
    (503, "1", orjson.dumps({"errors": [{"extensions": None}]}), None),
])
def test_a_shed_request_is_recognised_by_status_code_and_wait(
        status: int, retry_after: str | None, body: bytes, expected: float | None) -> None:
    given = headers() if retry_after is None else headers(Retry_After=retry_after)
    assert shed_wait(status, given, body) == expected


@pytest.fixture(scope="module")
def quota_hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("quota-hub")
    port = free_port()
    callers = "".join(
        f'[callers.{name}]\nname = "{name}"\nrole = "lead"\nkey_sha256 = "{hash_key(key)}"\n'
        f'rate = {rate}\nburst = 1\n\n'
        for name, key, rate in (("xzsp", PATIENT_KEY, 0.5), ("fgw", HURRIED_KEY, 0.01)))
    config = prepared_home(sandbox, home, port=port, callers=callers)
    hub = ServeProcess(config, port)
    try:
        hub.wait_ready()
        yield hub
    finally:
        hub.stop()


def check(hub: ServeProcess, uscc: str, key: str, *lang: str) -> tuple[int, str, float]:
    started = time.monotonic()
    run = hub_cmd("check", "ipo", uscc, "--url", f"{hub.url}/graphql", "--api-key", key,
                  *lang)
    return run.returncode, run.stderr, time.monotonic() - started


def test_a_check_over_its_quota_waits_and_is_answered(quota_hub: ServeProcess,
                                                      sandbox: SandboxProcess) -> None:
    clean = sandbox.enterprise("clean")
    assert check(quota_hub, clean, PATIENT_KEY)[0] == 0  # the burst's one request
    code, said, seconds = check(quota_hub, clean, PATIENT_KEY, "--lang", "zh")
    assert code == 0, said  # answered, after the wait the hub asked for
    assert "中枢繁忙" in said and "秒后重试" in said
    assert seconds >= 1.0
    time.sleep(2.0)  # the bucket refills
    assert check(quota_hub, clean, PATIENT_KEY)[0] == 0
    code, said, _ = check(quota_hub, clean, PATIENT_KEY, "--lang", "en")
    assert code == 0 and "the hub is busy; trying again in" in said


def test_a_wait_longer_than_the_patience_is_not_waited_for(quota_hub: ServeProcess,
                                                          sandbox: SandboxProcess) -> None:
    clean = sandbox.enterprise("clean")
    assert check(quota_hub, clean, HURRIED_KEY)[0] == 0
    code, said, seconds = check(quota_hub, clean, HURRIED_KEY)
    assert code == 1 and "RATE_LIMITED" in said and "busy" not in said
    assert seconds < 30  # told at once: the hub asked for 100 s, more than 60 s of patience


class _Page(http.server.BaseHTTPRequestHandler):
    """Not a GraphQL endpoint: an HTML page at every path (a web server's, a proxy's)."""

    def do_POST(self) -> None:
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answer_that_is_not_json_says_the_status_and_where_graphql_is(page: str) -> None:
    with pytest.raises(ClientError) as root:
        HubClient(page, "key").query("{ sources { name } }", {}, {})
    assert str(root.value) == (f"the hub at {page} did not answer JSON (HTTP 404); --url (or "
                               f"HUB_URL) is the hub's GraphQL endpoint, e.g. {page}/graphql")
    with pytest.raises(ClientError) as endpoint:  # the endpoint itself: no hint to give
        HubClient(page + "/graphql", "key").query("{ sources { name } }", {}, {})
    assert str(endpoint.value) == f"the hub at {page}/graphql did not answer JSON (HTTP 404)"
