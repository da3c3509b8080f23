"""The demo callers and the settings `hub demo` runs with (CONTRACT.md, "Demo callers")."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from connectors.config import SourceConfig
from hub.settings import CallerConfig, Settings, hash_key

__all__ = ["DEMO_CALLERS", "demo_settings"]

IPO, BANKRUPTCY = "IPO_COMPLIANCE", "BANKRUPTCY"
PORTAL_PURPOSES = ("SCHOOL_ENROLMENT", "PUBLIC_RENTAL_HOUSING", "HOUSING_FUND_LOAN", "NEWBORN",
                   "RETIREMENT", "DISABILITY_SERVICES", "STUDY_ABROAD", "SUBJECT_ACCESS")

# name, display name, role, purposes
DEMO_CALLERS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("fgw", "市发改委", "lead", frozenset({IPO})),
    ("xzsp", "市行政审批和政务信息管理局", "lead", frozenset({IPO, BANKRUPTCY})),
    ("court", "市中级人民法院", "lead", frozenset({BANKRUPTCY})),
    ("portal", "一体化政务服务平台", "portal", frozenset(PORTAL_PURPOSES)),
    ("auditor", "监督审计", "auditor", frozenset({"AUDIT"})),
)


def demo_settings(home: Path, sources: Sequence[SourceConfig], *, host: str, port: int
                  ) -> tuple[Settings, dict[str, str]]:
    """Settings for a demo under `home`, with fresh API keys (returned in clear once)."""
    keys = {name: "hub_" + secrets.token_urlsafe(24) for name, *_ in DEMO_CALLERS}
    callers = tuple(CallerConfig(name, display, role, purposes, hash_key(keys[name]))
                    for name, display, role, purposes in DEMO_CALLERS)
    settings = Settings(sources=tuple(sources), callers=callers, keys_dir=home / "keys",
                        store_url=f"sqlite+aiosqlite:///{(home / 'hub.sqlite').resolve()}",
                        demo=True, host=host, port=port)
    return settings, keys
