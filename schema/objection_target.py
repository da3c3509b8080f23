"""What an objection disputes, and whose record that is: the department that must answer.

Pure: a person's objection names a data category (and maybe a field), as does an enterprise's
about its own data; the source that serves the category names the department. An enterprise's
objection to a check report names the report, a domain of that report's check and, when the
domain has two sources (housing and construction, social and medical insurance), which one;
the plan of the check names the department.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from connectors.catalogue import CheckKind
from connectors.config import SourceConfig
from objection.model import Target
from schema.checks import plan
from schema.errors import BadUserInput

__all__ = ["enterprise_target", "person_target"]


def person_target(subject: str, item: str, field: str | None, record_ref: str | None,
                  source: SourceConfig | None, *,
                  kind: Literal["person", "enterprise"] = "person") -> tuple[Target, str]:
    """A subject's data category (a person's, or an enterprise's own) and its department."""
    if source is None:
        raise BadUserInput(f"input.path: no department serves {item} data at this hub")
    return Target(subject, kind, item, field, None, record_ref, source.name), \
        source.department


def enterprise_target(uscc: str, item: str, field: str | None, report_no: str,
                      record_ref: str | None, source: str | None, kind: CheckKind | None,
                      configs: Mapping[str, SourceConfig]) -> tuple[Target, str]:
    items = [] if kind is None else [i.source for i in plan(configs, kind)
                                     if i.domain.code == item and i.source is not None]
    sources = [s for s in items if s is not None]
    if not sources:
        raise BadUserInput(f"input.domain: {item!r} is not a domain of report {report_no}")
    chosen = [s for s in sources if source in (None, s.name)]
    if len(chosen) != 1:
        names = ", ".join(s.name for s in sources)
        raise BadUserInput(f"input.source: name the source whose record is wrong (report "
                           f"{report_no} has {item} from {names})")
    return Target(uscc, "enterprise", item, field, report_no, record_ref, chosen[0].name), \
        chosen[0].department
