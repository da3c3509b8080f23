"""The printable 核查结果告知书 as HTML: A4, Chinese, one self-contained page of markup.

Sections: the heading with the report number; the subject as registered, period, base date,
requester, operator, case number and legal basis; the conclusion (with why, when the subject was
not confirmed or is itself a finding); a table of every domain with its department, conclusion,
data date and legal basis; for a bankruptcy check the inventory (assets, then liabilities by
creditor class with totals, the liabilities two departments reported and which answer was kept)
and every department's records; for an IPO check the findings with their records; the
departments that gave no usable answer; and a footer with a QR code of the verification URL and
the verification code. Everything the
departments said is escaped; the only markup is ours. Fonts are named by family
("Noto Sans CJK SC", from Debian's fonts-noto-cjk), never embedded here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import segno

from hub.report.labels import KIND_TITLES, conclusion, money, summarise, verdict_text
from hub.report.view import ENDED, DomainView, ReportView, verification_url

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
.why { font-size: 10pt; margin: 1.5mm 0 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; background: #f4f4f4; }
.ended { color: #a40000; font-weight: bold; }
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
    if view.since:
        return f"{_e(view.since)} 至 {_or_dash(view.until)}"
    if view.until:
        return f"截至 {_e(view.until)}（各部门所存全部记录）"
    return "—"


def _status(view: ReportView) -> str:
    if not view.status:
        return "登记机关无此企业" if view.verdict == "SUBJECT_UNKNOWN" else "—"
    text = _e(view.status)
    if view.status in ENDED:
        text = f'<span class="ended">{text}</span>'
    return text + (f"（成立日期 {_e(view.registered_on)}）" if view.registered_on else "")


def _facts(view: ReportView) -> str:
    rows: list[tuple[str, str]] = [
        ("核查事项", _e(KIND_TITLES.get(view.kind, {}).get("zh", view.kind))),
        ("被核查主体", _e(view.name or "（登记机关无此企业）")),
        ("统一社会信用代码", _e(view.uscc)),
        ("登记状态", _status(view)),
        ("核查期间", _period(view)),
    ]
    if view.base_date:
        rows.append(("受理日（基准日）", _e(view.base_date)))
    rows += [("申请单位", _or_dash(view.requested_by)), ("经办人", _or_dash(view.operator)),
             ("案号", _or_dash(view.case)), ("核查时间", _e(_when(view.checked_at)))]
    if view.legal_basis:
        rows.append(("核查依据", _e(view.legal_basis)))
    body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="facts">{body}</table>'


def _domains(view: ReportView) -> str:
    head = ("<tr><th>序号</th><th>领域</th><th>核查部门</th><th>结论</th><th>数据日期</th>"
            "<th>依据</th></tr>")
    if not view.domains:
        registry = view.registry
        if registry is None:
            return "<p>未向其他部门查询。</p>"
        said = ("无此企业" if registry.status == "NOT_FOUND"
                else conclusion(registry, "zh"))
        return (f'<table>{head}<tr class="{_row_class(registry) or "failed"}"><td>—</td>'
                f"<td>主体登记信息</td><td>{_or_dash(registry.department)}</td>"
                f"<td>{_e(said)}</td><td>{_or_dash(registry.as_of[:10])}</td>"
                f"<td>{_or_dash(registry.legal_basis)}</td></tr></table>"
                "<p>主体未经登记机关确认，未向其他部门查询。</p>")
    rows = []
    for n, d in enumerate(view.domains, start=1):
        verdict = conclusion(d, "zh") + d.marks
        rows.append(
            f'<tr class="{_row_class(d)}"><td>{n}</td><td>{_e(d.title or d.domain)}</td>'
            f"<td>{_or_dash(d.department)}</td><td>{_e(verdict)}</td>"
            f"<td>{_or_dash(d.as_of[:10])}</td><td>{_or_dash(d.legal_basis)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _assets(inventory: Mapping[str, Any] | None) -> str:
    assets = inventory.get("assets") if inventory else None
    if not isinstance(assets, list) or not assets:
        return ""
    rows = "".join(
        f"<tr><td>{_e(a.get('title'))}</td><td>{_e(a.get('department'))}</td>"
        f"<td class=num>{_e(a.get('count'))}</td><td class=num>{_e(a.get('seized'))}</td>"
        f"<td class=num>{_e(a.get('mortgaged'))}</td>"
        f"<td class=num>{_e(a.get('areaM2') if a.get('areaM2') is not None else '—')}</td></tr>"
        for a in assets if isinstance(a, Mapping))
    return ("<h3>财产</h3><table><tr><th>项目</th><th>登记部门</th><th class=num>数量</th>"
            "<th class=num>其中查封</th><th class=num>其中抵押</th><th class=num>面积（㎡）</th>"
            f"</tr>{rows}</table>")


def _classes(inventory: Mapping[str, Any]) -> str:
    classes = inventory.get("classes")
    if not isinstance(classes, list):
        return ""
    head = ("<tr><th>项目</th><th>部门</th><th class=num>金额</th><th>所属期</th>"
            "<th>编号 / 说明</th></tr>")
    parts = []
    for c in classes:
        if not isinstance(c, Mapping):
            continue
        items = [i for i in c.get("items") or [] if isinstance(i, Mapping)]
        rows = "".join(
            f"<tr><td>{_e(i.get('item'))}</td><td>{_e(i.get('department'))}</td>"
            f"<td class=num>{_e(money(i.get('amount')))}</td>"
            f"<td>{_e(_span(i))}</td>"
            f"<td>{_e('；'.join(str(x) for x in (i.get('liabilityRef'), i.get('note')) if x))}"
            f"</td></tr>" for i in items) or '<tr><td colspan="5">无</td></tr>'
        parts.append(f"<h3>{_e(c.get('title'))}</h3><p class=small>{_e(c.get('basis'))}</p>"
                     f"<table>{head}{rows}<tr class=total><td colspan=2>小计</td>"
                     f"<td class=num>{_e(money(c.get('total')))}</td><td colspan=2></td></tr>"
                     "</table>")
    total = (f"<p><strong>债务合计（不含有财产担保的债权）：{_e(money(inventory.get('total')))}"
             f"</strong>；有财产担保的债权：{_e(money(inventory.get('secured')))}</p>")
    return "".join(parts) + total


def _span(item: Mapping[str, Any]) -> str:
    since, until, months = item.get("periodFrom"), item.get("periodTo"), item.get("months")
    if not since and not months:
        return ""
    return f"{since or '?'}至{until or '今'}" + (f"（{months}个月）" if months else "")


def _reconciled(inventory: Mapping[str, Any]) -> str:
    found = [r for r in _list(inventory.get("reconciliations")) if isinstance(r, Mapping)]
    notes = [n for n in _list(inventory.get("notes")) if isinstance(n, str)]
    out = ""
    if found:
        items = "".join(f"<li>{'【不一致】' if r.get('disputed') else ''}{_e(r.get('reason'))}</li>"
                        for r in found)
        out += f'<h3>两部门报告的同一笔欠费（只计一次）</h3><ol class="records">{items}</ol>'
    if notes:
        out += '<ol class="records small">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + \
            "</ol>"
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _summary(view: ReportView) -> str:
    """A bankruptcy inventory in two lines, under the conclusion."""
    inventory = view.inventory
    if inventory is None:
        return ""
    classes = [c for c in _list(inventory.get("classes")) if isinstance(c, Mapping)]
    owed = "；".join(f"{_ORDER.get(str(c.get('code')), '')} {money(c.get('total'))}"
                    for c in classes if c.get("order") is not None)
    assets = "，".join(f"{_e(a.get('title'))} {_e(a.get('count'))} 项"
                      + (f"（查封 {_e(a.get('seized'))}）" if a.get("seized") else "")
                      for a in _list(inventory.get("assets")) if isinstance(a, Mapping))
    return (f'<p class="why">债务合计 <strong>{_e(money(inventory.get("total")))}</strong>'
            f"（{_e(owed)}）；有财产担保的债权 {_e(money(inventory.get('secured')))}。"
            f"财产：{assets or '无'}。明细见“财产及债务清单”。</p>")


_ORDER = {"EMPLOYEE": "第一顺序", "SOCIAL_AND_TAX": "第二顺序", "ORDINARY": "第三顺序"}


def _inventory(view: ReportView) -> str:
    inventory = view.inventory
    if inventory is None:
        return ""
    return ("<h2>财产及债务清单</h2>" + _assets(inventory) + _classes(inventory)
            + _reconciled(inventory))


def _records(view: ReportView) -> str:
    """Findings with their records; for a bankruptcy check every record (the inventory)."""
    inventory = view.kind == "BANKRUPTCY"
    parts = []
    for d in view.domains:
        shown = d.records if inventory else d.findings
        if not shown:
            continue
        items = "".join(f"<li>{_e(summarise(r))}"
                        + ("（已在另一部门的答复中计入）" if r.get("counted") is False else "")
                        + "</li>" for r in shown)
        parts.append(f"<h3>{_e(d.title or d.domain)}（{_e(d.department)}）</h3>"
                     f'<ol class="records">{items}</ol>')
    if not parts and not view.domains:
        return ""
    title = "各部门答复明细" if inventory else "发现的问题及记录"
    body = "".join(parts) or "<p>无。</p>"
    return f"<h2>{title}</h2>{body}"


def _notes(view: ReportView) -> Iterable[str]:
    registry = view.registry
    if registry is not None and registry.status in ("UNAVAILABLE", "INVALID", "STALE"):
        yield f"主体登记信息（{registry.department}）：{registry.detail}"
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
    why = (f'<div class="why">{_e(view.detail)}</div>' if view.detail else "") + _summary(view)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>核查结果告知书 {_e(view.report_no)}</title>
<style>{CSS}</style></head><body>
<p class="issuer">一件事数据共享核验中枢 · {_e(title)}</p>
<h1>核查结果告知书</h1>
<p class="number">编号：{_e(view.report_no)}</p>
{_facts(view)}
<div class="verdict {_e(view.verdict)}">核查结论：<strong>{_e(verdict_text(view.verdict, "zh"))}</strong>{why}</div>
<h2>各领域核查情况</h2>
{_domains(view)}
{_inventory(view)}
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
