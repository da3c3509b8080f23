from __future__ import annotations

import dataclasses
from typing import Any

from connectors.config import SourceConfig
from connectors.registry import Connectors
from hub.config.sources import parse_sources
from tests.sandbox_process import SandboxProcess


def source_configs(sandbox: SandboxProcess, **overrides: Any) -> dict[str, SourceConfig]:
    configs = {c.name: c for c in parse_sources(sandbox.config["sources"])}
    if overrides:
        configs = {n: dataclasses.replace(c, **overrides) for n, c in configs.items()}
    return configs


async def open_connectors(sandbox: SandboxProcess, *names: str, **overrides: Any
                          ) -> Connectors:
    configs = source_configs(sandbox, **overrides)
    chosen = [configs[n] for n in names] if names else list(configs.values())
    return await Connectors.open(chosen)
