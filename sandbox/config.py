"""`hub sandbox --print-config`: the source configuration that matches a running sandbox.

An integrator transcribes each department's interface document into a `[sources.NAME]` table;
for the sandbox that transcription is generated, so `hub serve --config` can use it directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.departments import SourceSpec
from sandbox.exchange import AS_OF_COLUMN, database_file
from sandbox.licence_data import ISSUERS
from sandbox.render import envelope_names, field_names

if TYPE_CHECKING:
    from sandbox.server import Sandbox

__all__ = ["DISABLED_BY_DEFAULT", "render_config", "render_services", "source_table",
           "toml_value"]

DISABLED_BY_DEFAULT = ("culture_tourism",)  # "纳入条件成熟时": included when conditions mature


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def source_table(sandbox: Sandbox, spec: SourceSpec) -> dict[str, Any]:
    names = envelope_names(spec)
    table: dict[str, Any] = {
        "department": spec.department, "subject": spec.subject,
        **({"check": spec.check} if spec.check else {}),
        "domain": spec.domain, "record": spec.record, "transport": spec.transport,
        "envelope": spec.envelope,
        "enabled": spec.domain not in DISABLED_BY_DEFAULT or spec.subject != "enterprise",
        "timeout_s": 3.0 if spec.latency_ms >= 200 else 2.0,
        "max_batch": spec.max_batch, "concurrency": spec.concurrency,
        "date_format": spec.date_format, "money_unit": spec.money_unit,
        "bool_style": spec.bool_style, "max_age": spec.max_age,
    }
    secret = sandbox.sources[spec.name].secret
    if spec.transport == "sql":
        path = database_file(sandbox.data_dir, spec).resolve()
        table.update(dsn=f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true", table=spec.path,
                     key_field=names["key"], as_of_column=AS_OF_COLUMN)
        if spec.roster:
            table["subjects_table"] = spec.roster
        else:
            table["absent"] = spec.absent
    else:
        table.update(url=sandbox.url_of(spec.name), auth=spec.auth, credential=f"value:{secret}",
                     key_param=names["param"], key_field=names["key"],
                     records_field=names["records"])
        if spec.auth == "app-key-header":
            table["auth_header"] = spec.auth_header
        if spec.auth == "hmac-sha256":
            table["app_id"] = spec.name
    return table


def _section(header: str, table: Mapping[str, Any]) -> list[str]:
    lines = [f"[{header}]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return lines


def render_config(sandbox: Sandbox) -> str:
    lines = [
        "# Sources of the sandbox departments (hub sandbox --print-config).",
        f"# Seed {sandbox.seed}; the credentials below are sandbox secrets, not real ones.",
        "",
    ]
    for source in sandbox.sources.values():
        spec = source.spec
        lines += [f"# {spec.department} — {spec.domain} ({spec.transport})"]
        lines += _section(f"sources.{spec.name}", source_table(sandbox, spec))
        lines += _section(f"sources.{spec.name}.fields", field_names(spec))
        lines.append("")
    return "\n".join(lines) + "\n" + render_services(sandbox)


def render_services(sandbox: Sandbox) -> str:
    """The `[licences]` (library and trusted issuers) and `[objections]` (desks) tables."""
    lib = sandbox.licences
    lines = ["# The licence library (电子证照库) and the issuers whose keys the hub trusts.",
             "[licences]",
             f"url = {toml_value(lib.url)}",
             f"credential = {toml_value('value:' + lib.secret)}",
             'auth_header = "X-Dzzz-AppKey"',
             f"department = {toml_value(lib.department)}",
             "timeout_s = 2.0", "max_batch = 50", ""]
    for code, doc in lib.issuer_documents().items():
        if code not in ISSUERS:
            continue  # an out-of-province issuer: the hub is not told to trust it
        keys = ", ".join(f"{{kid = {toml_value(k['kid'])}, x = {toml_value(k['x'])}}}"
                         for k in doc["keys"])
        lines += [f"# published at {lib.keys_url(code)}", f"[licences.issuers.{code}]",
                  f"name = {toml_value(doc['name'])}", f"keys = [{keys}]", ""]
    lines += ["# The departments' objection desks (数据异议).", "[objections]",
              "deadline_working_days = 5", ""]
    for code, desk in sandbox.desks.desks.items():
        lines += [f"[objections.departments.{code}]", f"name = {toml_value(desk.name)}",
                  f"url = {toml_value(sandbox.desks.url(code))}",
                  f"credential = {toml_value('value:' + desk.secret)}", ""]
    return "\n".join(lines)
