"""What a report says about a domain, in Chinese: the `detail` a clerk reads.

Connectors explain failures in English for the hub's logs (`connectors.rest`, `connectors.sql`,
`connectors.parse`); a report is read by clerks, administrators and courts, so its `detail` is
Chinese. The known failures are translated whole; a failure this table does not know keeps the
connector's words in parentheses after a Chinese sentence that says what it means for the check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

__all__ = ["circuit_open", "failure_detail", "not_found_detail", "stale_detail", "when"]

_CHINA = dt.timezone(dt.timedelta(hours=8))

Rewrite = Callable[[re.Match[str], str], str]

# English connector detail (after the department's name is taken out) → Chinese.
_UNAVAILABLE: tuple[tuple[re.Pattern[str], Rewrite], ...] = (
    (re.compile(r"^ did not answer within ([\d.]+) s$"),
     lambda m, d: f"{d}在 {m[1]} 秒内未答复"),
    (re.compile(r"^ could not be reached"),
     lambda m, d: f"无法连接{d}（连接被拒绝或中断）"),
    (re.compile(r"^the call to  failed \((\w+)\)$"),
     lambda m, d: f"调用{d}接口失败（{m[1]}）"),
    (re.compile(r"^ refused the hub's credential \(HTTP (\d+)\); check (\S+)$"),
     lambda m, d: f"{d}拒绝了中枢的调用凭证（HTTP {m[1]}），请核对配置项 {m[2]}"),
    (re.compile(r"^ answered with an error \(HTTP (\d+)\)$"),
     lambda m, d: f"{d}接口返回错误（HTTP {m[1]}）"),
    (re.compile(r"^'s exchange database did not answer within ([\d.]+) s$"),
     lambda m, d: f"{d}前置库在 {m[1]} 秒内未答复"),
    (re.compile(r"^'s exchange database cannot be opened"),
     lambda m, d: f"{d}前置库无法打开"),
    (re.compile(r"^'s exchange database is locked$"),
     lambda m, d: f"{d}前置库被锁定，暂时无法读取"),
    (re.compile(r"^'s exchange database (?:failed|refused the query) \((\w+)\)$"),
     lambda m, d: f"{d}前置库查询失败（{m[1]}）"),
)
_INVALID: tuple[tuple[re.Pattern[str], Rewrite], ...] = (
    (re.compile(r"subject the hub did not ask for|roster does not list"),
     lambda m, d: f"{d}的答复涉及中枢未查询的主体，已整体弃用"),
    (re.compile(r"^ answered with a redirect \(HTTP (\d+)\)"),
     lambda m, d: f"{d}接口返回重定向（HTTP {m[1]}），中枢不跟随重定向"),
    (re.compile(r"^ answered .* content, not JSON$|^the answer is not valid JSON$"),
     lambda m, d: f"{d}的答复不是约定的 JSON 格式，已整体弃用"),
    (re.compile(r"^'s answer is larger than (\d+) MiB$"),
     lambda m, d: f"{d}的答复超过 {m[1]} MiB，已整体弃用"),
    (re.compile(r"^'s exchange view (\w+) does not have the agreed columns$"),
     lambda m, d: f"{d}前置库视图 {m[1]} 缺少约定的字段，已整体弃用"),
)


def when(moment: dt.datetime) -> str:
    """A data time as a clerk reads it: China time, to the minute."""
    return moment.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")


def failure_detail(department: str, status: str, detail: str | None) -> str:
    """Why a department gave no usable answer, in Chinese (UNAVAILABLE or INVALID)."""
    english = (detail or "").strip()
    rest = english.replace(department, "", 1) if department else english
    table = _UNAVAILABLE if status == "UNAVAILABLE" else _INVALID
    for pattern, rewrite in table:
        match = pattern.search(rest)
        if match:
            return rewrite(match, department or "该部门") + "，本领域未能核查"
    if "熔断" in english:  # already Chinese: the circuit breaker's own words
        return english
    lead = (f"{department or '该部门'}未能提供答复，本领域未能核查" if status == "UNAVAILABLE"
            else f"{department or '该部门'}的答复不符合约定格式，已整体弃用，本领域未能核查")
    return f"{lead}（{english}）" if english else lead


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
            "重试，本领域未能核查")
