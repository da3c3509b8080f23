"""The printable 核查结果告知书 as HTML: A4, Chinese, one self-contained page of markup.

Sections: the heading with the report number; the subject, period, requester, operator and case
number; the conclusion; a table of every domain with its department, conclusion, data date and
legal basis; the findings (for a bankruptcy check, the whole inventory) with their records; and a
footer with a QR code of the verification URL and the verification code. Everything the
departments said is escaped; the only markup is ours. Fonts are named by family
("Noto Sans CJK SC", from Debian's fonts-noto-cjk), never embedded here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import segno

from hub.report.labels import KIND_TITLES, conclusion, summarise, verdict_text
from hub.report.view import DomainView, ReportView, verification_url

__all__ = ["CSS", "render_html"]

CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                         font-size: 8.5pt; color: #555; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 10pt;
       color: #111; line-height: 1.45; }
h1 { font-size: 20pt; text-align: center; letter-spacing: 0.3em; margin: 4mm 0 1mm; }
.issuer { text-align: center; font-size: 11pt; margin: 0; }
.number { text-align: center; font-size: 10pt; margin: 1mm 0 5mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.6pt solid #333; padding: 1.2mm 1.6mm; vertical-align: top; }
th { background: #eee; font-weight: bold; text-align: left; }
table.facts th { width: 24%; }
.verdict { margin: 5mm 0; padding: 3mm 4mm; border: 1.2pt solid #111; font-size: 13pt; }
.verdict.FINDINGS, .verdict.SUBJECT_UNKNOWN { border-color: #a40000; color: #a40000; }
.verdict.INCOMPLETE { border-color: #8a5a00; color: #8a5a00; }
tr.finding td { background: #fbe3e3; }
tr.failed td { background: #fff3d6; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 0.8pt solid #333; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; }
ol.records { margin: 0 0 2mm 5mm; padding-left: 4mm; }
ol.records li { margin-bottom: 0.8mm; }
.small { font-size: 8.5pt; color: #333; }
.footer { margin-top: 7mm; display: flex; gap: 5mm; align-items: flex-start;
          page-break-inside: avoid; }
.footer img { width: 30mm; height: 30mm; }
.code { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 13pt; letter-spacing: 0.15em; }
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _or_dash(text: str) -> str:
    return _e(text) if text else "—"


def _row_class(d: DomainView) -> str:
    if d.findings:
        return "finding"
    if d.status in ("UNAVAILABLE", "INVALID", "STALE"):
        return "failed"
    return ""


def _when(moment: str) -> str:
    """ISO 8601 time as 2026年11月28日 21:37 (China time as written), or as given."""
    if len(moment) >= 16 and moment[4] == "-" and moment[10] == "T":
        return f"{moment[:4]}年{moment[5:7]}月{moment[8:10]}日 {moment[11:16]}"
    return moment


def _period(view: ReportView) -> str:
    if view.since or view.until:
        return f"{_or_dash(view.since)} 至 {_or_dash(view.until)}"
    return "—"


def _facts(view: ReportView) -> str:
    rows = [
        ("核查事项", KIND_TITLES.get(view.kind, {}).get("zh", view.kind)),
        ("被核查主体", f"{view.name or '（名称未知）'}"),
        ("统一社会信用代码", view.uscc),
        ("登记状态", view.status + (f"（成立日期 {view.registered_on}）" if view.registered_on
                                    else "")),
        ("核查期间", None),
        ("受理日（基准日）", view.base_date),
        ("申请单位", view.requested_by), ("经办人", view.operator), ("案号", view.case),
        ("核查时间", _when(view.checked_at)),
    ]
    out = []
    for label, value in rows:
        if label == "核查期间":
            out.append(f"<tr><th>{label}</th><td>{_period(view)}</td></tr>")
        elif label != "受理日（基准日）" or value:
            out.append(f"<tr><th>{label}</th><td>{_or_dash(value or '')}</td></tr>")
    return '<table class="facts">' + "".join(out) + "</table>"


def _domains(view: ReportView) -> str:
    head = ("<tr><th>序号</th><th>领域</th><th>核查部门</th><th>结论</th><th>数据日期</th>"
            "<th>依据</th></tr>")
    rows = []
    for n, d in enumerate(view.domains, start=1):
        verdict = conclusion(d, "zh") + ("（两部门答复不一致）" if d.disputed else "")
        rows.append(
            f'<tr class="{_row_class(d)}"><td>{n}</td><td>{_e(d.title or d.domain)}</td>'
            f"<td>{_or_dash(d.department)}</td><td>{_e(verdict)}</td>"
            f"<td>{_or_dash(d.as_of[:10])}</td><td>{_or_dash(d.legal_basis)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _records(view: ReportView) -> str:
    """Findings with their records; for a bankruptcy check every record (the inventory)."""
    inventory = view.kind == "BANKRUPTCY"
    parts = []
    for d in view.domains:
        shown = d.records if inventory else d.findings
        if not shown:
            continue
        items = "".join(f"<li>{_e(summarise(r))}</li>" for r in shown)
        parts.append(f"<h3>{_e(d.title or d.domain)}（{_e(d.department)}）</h3>"
                     f'<ol class="records">{items}</ol>')
    title = "财产及债务清单" if inventory else "发现的问题及记录"
    body = "".join(parts) or "<p>无。</p>"
    return f"<h2>{title}</h2>{body}"


def _notes(view: ReportView) -> Iterable[str]:
    for d in view.domains:
        if d.status in ("UNAVAILABLE", "INVALID", "STALE") and d.detail:
            yield f"{d.title or d.domain}（{d.department}）：{d.detail}"


def render_html(view: ReportView, *, verify_base: str) -> str:
    """The whole 告知书 as an HTML document."""
    url = verification_url(verify_base, view.report_no, view.code)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=1)
    notes = "".join(f"<li>{_e(n)}</li>" for n in _notes(view))
    notes_html = f'<h2>未获有效答复的部门</h2><ol class="records">{notes}</ol>' if notes else ""
    title = KIND_TITLES.get(view.kind, {}).get("zh", "核查")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>核查结果告知书 {_e(view.report_no)}</title>
<style>{CSS}</style></head><body>
<p class="issuer">一件事数据共享核验中枢 · {_e(title)}</p>
<h1>核查结果告知书</h1>
<p class="number">编号：{_e(view.report_no)}</p>
{_facts(view)}
<div class="verdict {_e(view.verdict)}">核查结论：<strong>{_e(verdict_text(view.verdict, "zh"))}</strong></div>
<h2>各领域核查情况</h2>
{_domains(view)}
{_records(view)}
{notes_html}
<div class="footer">
  <img src="{qr}" alt="验证二维码">
  <div>
    <p>验证码：<span class="code">{_e(view.code)}</span></p>
    <p class="small">扫描二维码或访问 {_e(url)} 核验本告知书的真实性。验证码为签名的 SHA-256
    摘要的 base32 编码前 8 位。</p>
    <p class="small">本告知书依据各部门共享数据生成，经电子签名（密钥 {_e(view.key_id)}），
    可使用中枢公布的公钥离线验证（hub report verify）。</p>
  </div>
</div>
</body></html>
"""
