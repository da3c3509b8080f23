"""HTML pages from Jinja2 templates (autoescaped) in `hub/console/templates`.

Jinja2 escapes every value by default, so text from the log (case numbers, paths, notes) can
never become markup. Times are shown in the console's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from audit.entry import parse_time

__all__ = ["Renderer"]


class Renderer:
    def __init__(self, zone: ZoneInfo, caller_names: Mapping[str, str]) -> None:
        self.zone = zone
        self.env = Environment(loader=PackageLoader("hub.console", "templates"),
                               autoescape=select_autoescape(default=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["local"] = self.local
        self.env.filters["day"] = lambda m: self.local(m, "%Y-%m-%d")
        self.env.filters["caller"] = lambda name: caller_names.get(name or "", name or "—")
        self.env.filters["short"] = lambda h, n=12: (h[:n] + "…") if h and len(h) > n else h
        self.env.filters["logtime"] = lambda text: self.local(parse_time(text))  # log's UTC text

    def local(self, moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return "" if moment is None else moment.astimezone(self.zone).strftime(fmt)

    def html(self, template: str, values: Mapping[str, Any]) -> str:
        return self.env.get_template(template).render(**values)
