"""What a report says about a domain, in Chinese: the `detail` a clerk reads.

The transports explain a department that did not answer in Chinese already (`connectors.rest`,
`connectors.sql`: the department, and what went wrong); answers that could not be understood are
explained in English by the parser (`connectors.parse`), for the hub's logs. A report is read by
clerks, administrators and courts, so its `detail` is Chinese: the parser's common findings are
translated whole, and one this table does not know keeps its words in parentheses after a Chinese
sentence saying what it means for the check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

__all__ = ["circuit_open", "failure_detail", "not_found_detail", "stale_detail", "when"]

_CHINA = dt.timezone(dt.timedelta(hours=8))
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLOSING = "，本领域未能核查"

Rewrite = Callable[[re.Match[str], str], str]

# The parser's English (connectors.parse) → Chinese.
_INVALID: tuple[tuple[re.Pattern[str], Rewrite], ...] = (
    (re.compile(r"subject the hub did not ask for|lists the same subject twice|says nothing "
                r"about \d+ of the \d+ subjects"),
     lambda m, d: f"{d}的答复与中枢查询的主体不符，已整体弃用"),
    (re.compile(r"not valid JSON|is not a JSON (object|array)"),
     lambda m, d: f"{d}的答复不是约定的 JSON 格式，已整体弃用"),
    (re.compile(r"reported failure"),
     lambda m, d: f"{d}的答复表明查询失败，已整体弃用"),
)


def when(moment: dt.datetime) -> str:
    """A data time as a clerk reads it: China time, to the minute."""
    return moment.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")


def failure_detail(department: str, status: str, detail: str | None) -> str:
    """Why a department gave no usable answer, in Chinese (UNAVAILABLE or INVALID)."""
    said = (detail or "").strip()
    who = department or "该部门"
    if said and _CJK.search(said):  # the transport's own Chinese words
        return said if said.endswith(_CLOSING[1:]) else f"{said}{_CLOSING}"
    if status == "INVALID":
        for pattern, rewrite in _INVALID:
            match = pattern.search(said)
            if match:
                return rewrite(match, who) + _CLOSING
        lead = f"{who}的答复不符合约定格式，已整体弃用"
    else:
        lead = f"{who}未能提供答复"
    return f"{lead}{_CLOSING}（{said}）" if said else f"{lead}{_CLOSING}"


def stale_detail(department: str, as_of: dt.datetime | None, max_age_s: float | None) -> str:
    """A department's data older than the age its source may have (max_age)."""
    limit = "" if max_age_s is None else f"约定时效 {_duration(max_age_s)}"
    since = "数据日期不详" if as_of is None else f"数据截至 {when(as_of)}"
    return (f"{department}的{since}，已超过{limit or '约定时效'}，数据过期，不能作为核查依据"
            "（按未获答复处理）")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} 小时"
    if seconds >= 60:
        return f"{seconds / 60:g} 分钟"
    return f"{seconds:g} 秒"


def not_found_detail(department: str) -> str:
    """NOT_FOUND after the registry confirmed the subject: the department holds no record."""
    return f"{department}未登记该企业，无相关记录"


def circuit_open(department: str, retry_s: float) -> str:
    return (f"{department}接口连续失败，已暂停调用（熔断），约 {max(1, round(retry_s))} 秒后自动"
            f"重试{_CLOSING}")
