"""A job's results as a file people open: CSV (UTF-8 with a byte-order mark, so that Excel
shows the Chinese) or XLSX (openpyxl), one row per enterprise in list order — its verdict, the
domains with findings, the departments that did not answer, and its report number — with
Chinese headings by default and English ones on request. Lines of the list that were not
valid codes, and left out, follow (CSV) or have a sheet of their own (XLSX)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal

from connectors.catalogue import CheckKind, reported_domains
from jobs.errors import BadLine
from jobs.store import ResultRow

__all__ = ["HEADINGS", "Lang", "csv_lines", "domain_titles", "verdict_text", "xlsx_bytes"]

Lang = Literal["zh", "en"]
HEADINGS: dict[Lang, tuple[str, ...]] = {
    "zh": ("序号", "统一社会信用代码", "企业名称", "核查结论", "发现问题的领域",
           "未答复的数据来源", "报告编号"),
    "en": ("No.", "USCC", "Enterprise", "Verdict", "Domains with findings",
           "Sources without an answer", "Report number"),
}
_SKIPPED: dict[Lang, tuple[str, ...]] = {
    "zh": ("行号", "原始内容", "原因"),
    "en": ("Line", "Text", "Reason"),
}
_VERDICTS: dict[Lang, dict[str, str]] = {
    "zh": {"CLEAN": "未发现问题", "FINDINGS": "发现问题", "INCOMPLETE": "核查不完整",
           "SUBJECT_UNKNOWN": "登记机关无此企业"},
    "en": {"CLEAN": "clean", "FINDINGS": "findings", "INCOMPLETE": "incomplete",
           "SUBJECT_UNKNOWN": "unknown to the registry"},
}
_INVALID: dict[Lang, str] = {"zh": "无效代码（未核查）", "en": "invalid code (not checked)"}


def verdict_text(verdict: str, lang: Lang) -> str:
    return _VERDICTS[lang].get(verdict, verdict)


def domain_titles(kind: str, lang: Lang) -> dict[str, str]:
    """The check's domains by code, in words, the registration (the subject gate) included
    (codes the catalogue does not know stay codes)."""
    try:
        domains = reported_domains(CheckKind(kind))
    except ValueError:
        return {}
    return {d.code: d.title if lang == "zh" else d.english for d in domains}


def _row(r: ResultRow, lang: Lang, titles: dict[str, str]) -> list[str | int]:
    found = [titles.get(code, code) for code in r.findings]
    return [r.seq + 1, r.uscc, r.subject_name or "", verdict_text(r.verdict, lang),
            "；".join(found) if lang == "zh" else ", ".join(found),
            "；".join(r.failed) if lang == "zh" else ", ".join(r.failed), r.report_no]


def _text(cells: Sequence[str | int]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def csv_lines(kind: str, pages: Iterable[Sequence[ResultRow]], skipped: Sequence[BadLine],
              lang: Lang) -> Iterable[str]:
    """The CSV text, line by line (the first carries the byte-order mark)."""
    titles = domain_titles(kind, lang)
    yield "\ufeff" + _text(HEADINGS[lang])
    for page in pages:
        yield "".join(_text(_row(r, lang, titles)) for r in page)
    for b in skipped:
        yield _text(["", b.text, "", _INVALID[lang], "", b.reason, f"#{b.line}"])


def xlsx_bytes(kind: str, rows: Sequence[ResultRow], skipped: Sequence[BadLine], lang: Lang
               ) -> bytes:
    """The XLSX workbook: the results, and the skipped lines on a second sheet if any."""
    from openpyxl import Workbook

    titles = domain_titles(kind, lang)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("核查结果" if lang == "zh" else "Results")
    sheet.append(list(HEADINGS[lang]))
    for r in rows:
        sheet.append(_row(r, lang, titles))
    if skipped:
        bad = book.create_sheet("无效行" if lang == "zh" else "Invalid lines")
        bad.append(list(_SKIPPED[lang]))
        for b in skipped:
            bad.append([b.line, b.text, b.reason])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
