"""The demo callers and the settings `hub demo` runs with (CONTRACT.md, "Demo callers")."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from connectors.config import SourceConfig
from connectors.licences import LibraryConfig
from consent.enforcement import Role
from hub.config.licences import parse_licences
from hub.config.objections import ObjectionSettings, parse_objections
from hub.config.settings import CallerConfig, Settings, hash_key
from hub.logs import LogSettings
from licence.issuers import TrustedIssuer

__all__ = ["DEMO_CALLERS", "DEMO_LOG", "demo_settings", "sandbox_services"]

# name, display name, role. What each may do is the purpose catalogue's (consent.catalogue).
DEMO_CALLERS: tuple[tuple[str, str, Role], ...] = (
    ("fgw", "市发改委", "lead"),
    ("xzsp", "市行政审批和政务信息管理局", "lead"),
    ("court", "市中级人民法院", "lead"),
    ("portal", "一体化政务服务平台", "portal"),
    ("window", "一件事综合窗口", "window"),
    ("auditor", "监督审计", "auditor"),
    ("gateway", "联邦网关", "gateway"),  # the federation router: may read _service { sdl }
)


# The demo prints its own banner; its log shows warnings and errors only.
DEMO_LOG = LogSettings(level="warning")


def sandbox_services(raw: Mapping[str, Any], base: Path
                     ) -> dict[str, Any]:
    """The licence library, trusted issuers and objection desks of a sandbox's printed
    configuration, as keyword arguments of `demo_settings`."""
    licences, issuers = parse_licences(raw.get("licences"), base)
    return {"licences": licences, "issuers": issuers,
            "objections": parse_objections(raw.get("objections"), base)}


def demo_settings(home: Path, sources: Sequence[SourceConfig], *, host: str, port: int,
                  licences: LibraryConfig | None = None,
                  issuers: Mapping[str, TrustedIssuer] | None = None,
                  objections: ObjectionSettings | None = None
                  ) -> tuple[Settings, dict[str, str]]:
    """Settings for a demo under `home`, with fresh API keys (returned in clear once), and the
    sandbox's licence library, trusted issuers and objection desks when given."""
    keys = {name: "hub_" + secrets.token_urlsafe(24) for name, *_ in DEMO_CALLERS}
    callers = tuple(CallerConfig(name, display, role, hash_key(keys[name]))
                    for name, display, role in DEMO_CALLERS)
    settings = Settings(sources=tuple(sources), callers=callers, keys_dir=home / "keys",
                        store_url=f"sqlite+aiosqlite:///{(home / 'hub.sqlite').resolve()}",
                        demo=True, host=host, port=port, licences=licences,
                        issuers=dict(issuers or {}),
                        objections=objections or ObjectionSettings())
    return settings, keys
