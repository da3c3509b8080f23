"""The licence library's and the objection desks' own APIs, over real HTTP: credentials, bad
requests, published keys, and desks that answer as they were told."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest

from tests.sandbox_process import SandboxProcess


def library(sandbox: SandboxProcess) -> tuple[str, str]:
    lib = sandbox.config["licences"]
    return lib["url"], lib["credential"].removeprefix("value:")


def desk(sandbox: SandboxProcess, code: str) -> tuple[str, dict[str, str]]:
    d = sandbox.config["objections"]["departments"][code]
    return d["url"], {"X-App-Key": d["credential"].removeprefix("value:")}


@pytest.mark.parametrize("body, status", [
    (b"not json", 400), (b'{"queries": []}', 400), (b'{"queries": [{"qid": "1"}]}', 400),
    (b'{"queries": [' + b",".join([b'{"qid": "1", "czztdm": "x"}'] * 51) + b"]}", 400),
])
def test_the_library_refuses_malformed_queries(clean_sandbox: SandboxProcess, body: bytes,
                                               status: int) -> None:
    url, key = library(clean_sandbox)
    r = httpx2.post(url, content=body, headers={"X-Dzzz-AppKey": key})
    assert r.status_code == status and r.json()["msg"]


def test_the_library_wants_its_app_key(clean_sandbox: SandboxProcess) -> None:
    url, _ = library(clean_sandbox)
    r = httpx2.post(url, json={"queries": [{"qid": "1", "czztdm": "x"}]},
                    headers={"X-Dzzz-AppKey": "wrong"})
    assert r.status_code == 401


def test_each_issuer_publishes_its_key_document(clean_sandbox: SandboxProcess) -> None:
    url, _ = library(clean_sandbox)
    base = url.replace("/api/v1/licences/query", "")
    doc = httpx2.get(f"{base}/issuers/jtj/.well-known/licence-keys").json()
    trusted = clean_sandbox.config["licences"]["issuers"]["jtj"]
    assert doc["issuer"] == "jtj" and doc["keys"][0]["kid"] == trusted["keys"][0]["kid"]
    assert doc["keys"][0]["x"] == trusted["keys"][0]["x"]
    assert httpx2.get(f"{base}/issuers/nobody/.well-known/licence-keys").status_code == 404


def file(sandbox: SandboxProcess, code: str, ref: str, **extra: Any) -> httpx2.Response:
    url, headers = desk(sandbox, code)
    return httpx2.post(f"{url}/tj", headers=headers, json={
        "hubRef": ref, "subject": "410702196708144574", "dataItem": "household",
        "reason": "地址有误", **extra})


def status(sandbox: SandboxProcess, code: str, number: str) -> dict[str, Any]:
    url, headers = desk(sandbox, code)
    r = httpx2.get(f"{url}/cx", params={"slbh": number}, headers=headers)
    return r.json()  # type: ignore[no-any-return]


def control(sandbox: SandboxProcess, payload: Any) -> httpx2.Response:
    return sandbox.client.post("/_sandbox/objections", json=payload)


def test_a_desk_files_once_per_reference_and_answers_as_told(
        clean_sandbox: SandboxProcess) -> None:
    assert control(clean_sandbox, {"department": "mzj", "answer": "REJECTED",
                                   "delay_ms": 300}).status_code == 200
    first, again = file(clean_sandbox, "mzj", "obj_1"), file(clean_sandbox, "mzj", "obj_1")
    number = first.json()["data"]["slbh"]
    assert again.json()["data"]["slbh"] == number
    assert status(clean_sandbox, "mzj", number)["data"]["zt"] == "处理中"
    deadline = time.monotonic() + 10
    while status(clean_sandbox, "mzj", number)["data"]["zt"] == "处理中":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answered = status(clean_sandbox, "mzj", number)["data"]
    assert answered["zt"] == "不予更正" and answered["clsj"]
    # What a desk does is fixed when it receives an objection, not when it is asked.
    control(clean_sandbox, {"department": "mzj", "answer": "never"})
    assert status(clean_sandbox, "mzj", number)["data"]["zt"] == "不予更正"
    later = file(clean_sandbox, "mzj", "obj_2").json()["data"]["slbh"]
    assert status(clean_sandbox, "mzj", later)["data"]["zt"] == "处理中"


@pytest.mark.parametrize("payload, words", [
    ({"department": "nobody", "answer": "CORRECTED"}, "no department desk"),
    ({"department": "*", "answer": "MAYBE"}, "answer must be"),
    ({"department": "*", "answer": "never", "delay_ms": -1}, "delay_ms"),
    (["*"], "send JSON"),
])
def test_the_desks_control_api_says_what_it_accepts(clean_sandbox: SandboxProcess,
                                                    payload: Any, words: str) -> None:
    r = control(clean_sandbox, payload)
    assert r.status_code == 400 and words in r.json()["error"]


def test_a_desk_wants_its_key_and_the_required_fields(clean_sandbox: SandboxProcess) -> None:
    url, _ = desk(clean_sandbox, "sw")
    assert httpx2.post(f"{url}/tj", json={}, headers={"X-App-Key": "x"}).status_code == 401
    assert file(clean_sandbox, "sw", "").status_code == 400
    assert status(clean_sandbox, "sw", "SJYY-SW-999999")["code"] == 404
