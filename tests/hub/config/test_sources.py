"""Source declarations: every bad value is refused with the source and key named."""

from __future__ import annotations

import re
from typing import Any

import pytest

from connectors.errors import CredentialError
from connectors.registry import Connectors
from hub.config.errors import ConfigError
from hub.config.sources import parse_sources
from tests.sandbox_process import SandboxProcess


def with_change(sandbox: SandboxProcess, name: str, **change: Any) -> dict[str, Any]:
    table = dict(sandbox.config["sources"][name])
    for key, value in change.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return {name: table}


def test_sandbox_config_parses(sandbox: SandboxProcess) -> None:
    configs = parse_sources(sandbox.config["sources"])
    assert len(configs) >= 25
    assert len({c.department for c in configs}) >= 20
    assert {c.transport for c in configs} == {"rest-batch", "rest-single", "sql"}


@pytest.mark.parametrize(("change", "says"), [
    ({"timeout_s": "2"}, "sources.cgj_penalties.timeout_s: must be a number"),
    ({"timeout_s": 0}, "timeout_s: must be a number"),
    ({"max_batch": 0}, "max_batch: must be a whole number"),
    ({"max_batch": 1.5}, "max_batch: must be a whole number"),
    ({"concurrency": True}, "concurrency: must be a whole number"),
    ({"transport": "soap"}, "transport: 'soap' is not one of"),
    ({"envelope": "single"}, "envelope: 'single' is not one of"),
    ({"domain": "astrology"}, "domain: 'astrology' is not a domain of IPO_COMPLIANCE"),
    ({"check": None}, "check: required"),
    ({"url": "ftp://x/y"}, "url: 'ftp://x/y' is not an http(s) URL"),
    ({"url": None}, "url: required"),
    ({"auth": "none"}, "auth: 'none' is not one of"),
    ({"credential": ""}, "credential: must be a non-empty string"),
    ({"enabled": "yes"}, "enabled: must be true or false"),
    ({"colour": "blue"}, "sources.cgj_penalties.colour: unknown key"),
    ({"fields": {"decision_no": "x"}}, "fields: no department field given for 'authority'"),
    ({"record": "unicorn"}, "record: 'unicorn' is not one of"),
    ({"coalesce": "on"}, "coalesce: must be true or false"),
    ({"coalesce_window_ms": 5}, "coalesce_window_ms: must be a number from 0.0 to 1.0, got 5"),
    ({"coalesce_window_ms": -0.5}, "coalesce_window_ms: must be a number from 0.0 to 1.0"),
    ({"coalesce_window_ms": "1ms"}, "coalesce_window_ms: must be a number"),
])
def test_bad_values_name_source_and_key(sandbox: SandboxProcess, change: dict[str, Any],
                                        says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sources(with_change(sandbox, "cgj_penalties", **change))
    assert says in str(info.value)
    assert "sources.cgj_penalties" in str(info.value)


def test_stray_field_is_named(sandbox: SandboxProcess) -> None:
    fields = dict(sandbox.config["sources"]["cgj_penalties"]["fields"], colour="ys")
    with pytest.raises(ConfigError, match=r"fields\.colour: not a field of record type"):
        parse_sources(with_change(sandbox, "cgj_penalties", fields=fields))


def test_sql_identifiers_must_be_plain(sandbox: SandboxProcess) -> None:
    with pytest.raises(ConfigError, match=r"table: .* is not a plain SQL identifier"):
        parse_sources(with_change(sandbox, "gjj_deposit", table="v; DROP TABLE x"))
    fields = dict(sandbox.config["sources"]["gjj_deposit"]["fields"], scheme="a b")
    with pytest.raises(ConfigError, match=r"fields\.scheme: 'a b' is not a plain SQL column"):
        parse_sources(with_change(sandbox, "gjj_deposit", fields=fields))


def test_empty_sources_and_non_table() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        parse_sources({})
    with pytest.raises(ConfigError, match=r"sources\.x: must be a table"):
        parse_sources({"x": 3})


@pytest.mark.parametrize(("credential", "says"), [
    ("env:HUB_TEST_NO_SUCH_VARIABLE", "environment variable HUB_TEST_NO_SUCH_VARIABLE is not set"),
    ("file:/nonexistent/secret", "cannot read credential file"),
    ("vault:x", "unknown credential kind"),
    ("plain", "a credential is written env:NAME"),
])
async def test_unresolvable_credentials(sandbox: SandboxProcess, credential: str,
                                        says: str) -> None:
    (config,) = parse_sources(with_change(sandbox, "cgj_penalties", credential=credential))
    with pytest.raises(CredentialError, match=re.escape("sources.cgj_penalties.credential: " + says)):
        await Connectors.open([config], environ={})


@pytest.mark.parametrize(("name", "change", "says"), [
    ("gjj_contrib", {"absent": "empty"}, "absent: \"empty\" cannot tell"),
    ("gjj_deposit", {"absent": "not_found"}, "absent: with subjects_table"),
    ("gjj_deposit", {"subjects_table": "v; DROP"}, "subjects_table: 'v; DROP' is not a plain"),
    ("cgj_penalties", {"subjects_table": "v_x"}, "subjects_table: only for SQL sources"),
    ("cgj_penalties", {"absent": "not_found"}, "absent: only for SQL sources"),
    ("cgj_penalties", {"max_age": "2 days"}, "max_age: '2 days' is not a duration"),
    ("cgj_penalties", {"max_age": "2w"}, "max_age: '2w' is not a duration"),
    ("cgj_penalties", {"max_age": True}, "max_age: True is not a duration"),
    ("cgj_penalties", {"max_age": "10s"}, "max_age: must be from 1 minute to 400 days"),
    ("cgj_penalties", {"max_age": "401d"}, "max_age: must be from 1 minute to 400 days"),
])
def test_bad_freshness_and_absence_declarations(sandbox: SandboxProcess, name: str,
                                                change: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sources(with_change(sandbox, name, **change))
    assert f"sources.{name}.{says}" in str(info.value)


@pytest.mark.parametrize(("value", "seconds"), [
    ("90m", 5400.0), ("36h", 129600.0), ("2d", 172800.0), (3600, 3600.0), (None, None)])
def test_max_age_durations(sandbox: SandboxProcess, value: Any, seconds: float | None) -> None:
    (config,) = parse_sources(with_change(sandbox, "cgj_penalties", max_age=value))
    assert config.max_age_s == seconds


def test_optional_fields_may_be_left_unmapped(sandbox: SandboxProcess) -> None:
    """A department without 重大违法 or 整改日期 still configures; required fields may not be left."""
    fields = dict(sandbox.config["sources"]["cgj_penalties"]["fields"])
    for optional in ("major_violation", "rectified_on", "fine_paid"):
        fields.pop(optional)
    (config,) = parse_sources(with_change(sandbox, "cgj_penalties", fields=fields))
    assert "major_violation" not in config.fields
    fields.pop("rectified")
    with pytest.raises(ConfigError, match="no department field given for 'rectified'"):
        parse_sources(with_change(sandbox, "cgj_penalties", fields=fields))


def test_a_matter_source_names_its_category_and_the_record_it_answers(
        sandbox: SandboxProcess) -> None:
    """An enterprise source outside the checks serves an enterprise data category; a source
    answering a category with another record type is refused."""
    (licence,) = parse_sources(with_change(sandbox, "scjg_licence"))
    assert licence.check is None and licence.domain == "business_licence"
    with pytest.raises(ConfigError, match=r"sources\.scjg_licence\.check: required for an "
                                          r"enterprise source of a check domain .*; without "
                                          r"one, domain is an enterprise data category"):
        parse_sources(with_change(sandbox, "scjg_licence", domain="household"))
    with pytest.raises(ConfigError, match=r"sources\.scjg_licence\.record: business_licence "
                                          r"data is answered as record type business_licence"):
        parse_sources(with_change(sandbox, "scjg_licence", record="registration",
                                  fields=sandbox.config["sources"]["scjg_registration"]["fields"]))
    with pytest.raises(ConfigError, match=r"sources\.rsj_pension\.domain: 'seal' is not a domain "
                                          r"of person data"):
        parse_sources(with_change(sandbox, "rsj_pension", domain="seal"))


def test_coalescing_is_on_by_default_and_can_be_tuned(sandbox: SandboxProcess) -> None:
    (default,) = parse_sources(with_change(sandbox, "cgj_penalties"))
    assert (default.coalesce, default.coalesce_window_ms) == (True, 0.0)
    (tuned,) = parse_sources(with_change(sandbox, "cgj_penalties", coalesce=False,
                                         coalesce_window_ms=0.5))
    assert (tuned.coalesce, tuned.coalesce_window_ms) == (False, 0.5)


@pytest.mark.parametrize(("change", "says"), [
    ({"credential": "value:key\r\nX-Injected: 1"}, "credential contains a line break"),
    ({"credential": "value:密钥"}, "credential is not plain ASCII text"),
    ({"auth_header": "X-Key\nX-Injected"}, "auth_header contains a line break"),
])
async def test_header_values_that_would_break_the_request_are_refused(
        sandbox: SandboxProcess, change: dict[str, Any], says: str) -> None:
    """A credential or header name is written into request headers: no line breaks there."""
    (config,) = parse_sources(with_change(sandbox, "cgj_penalties", **change))
    with pytest.raises(CredentialError, match=re.escape(f"sources.cgj_penalties.{says}")):
        await Connectors.open([config], environ={})
