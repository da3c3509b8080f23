"""The demo callers and the settings `hub demo` runs with (CONTRACT.md, "Demo callers")."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from connectors.config import SourceConfig
from consent.enforcement import Role
from hub.config.settings import CallerConfig, Settings, hash_key

__all__ = ["DEMO_CALLERS", "demo_settings"]

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


def demo_settings(home: Path, sources: Sequence[SourceConfig], *, host: str, port: int
                  ) -> tuple[Settings, dict[str, str]]:
    """Settings for a demo under `home`, with fresh API keys (returned in clear once)."""
    keys = {name: "hub_" + secrets.token_urlsafe(24) for name, *_ in DEMO_CALLERS}
    callers = tuple(CallerConfig(name, display, role, hash_key(keys[name]))
                    for name, display, role in DEMO_CALLERS)
    settings = Settings(sources=tuple(sources), callers=callers, keys_dir=home / "keys",
                        store_url=f"sqlite+aiosqlite:///{(home / 'hub.sqlite').resolve()}",
                        demo=True, host=host, port=port)
    return settings, keys
