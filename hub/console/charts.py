"""Charts as SVG drawn on the server with pygal, fit to be inlined under a strict CSP.

pygal writes a `<style>` and a `<script>` into every chart and loads its tooltips from a CDN.
The console allows neither inline styles nor inline scripts, so each chart is cleaned: the
script, the style element, the tooltip overlay and every `style` attribute are removed, and
each data point gets a `<title>` (the browser shows it on hover, no script needed). The CSS
pygal would have inlined is rendered once, without the per-chart id prefix, and served as the
stylesheet `charts.css` (`chart_css`).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

__all__ = ["MAX_SERIES", "Series", "bar_chart", "chart_css", "dot_chart", "line_chart"]

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
MAX_SERIES = 12  # series beyond this are folded into one by the caller (stats.top)
_STYLE = Style(
    font_family='"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif',
    background="transparent", plot_background="#ffffff", foreground="#333333",
    foreground_strong="#111111", foreground_subtle="#777777", opacity=".85",
    opacity_hover=".95", title_font_size=15, label_font_size=11, major_label_font_size=11,
    legend_font_size=12, value_font_size=11, tooltip_font_size=12,
    colors=("#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#ba4a00",
            "#2e4053", "#a93226", "#5dade2", "#52be80", "#f4d03f"))


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]


def _config(title: str, no_data: str, **extra: object) -> dict[str, object]:
    return {"title": title, "style": _STYLE, "js": [],
            "disable_xml_declaration": True, "no_data_text": no_data, "width": 760,
            "height": 340, "legend_at_bottom": True, "legend_at_bottom_columns": 3,
            "truncate_legend": 40, "truncate_label": 24, **extra}


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, no_data: str,
               unit: str = "") -> str:
    chart = pygal.Line(**_config(title, no_data, x_label_rotation=30, show_minor_x_labels=False,
                                 x_labels_major_every=max(1, len(labels) // 12),
                                 dots_size=3, allow_interruptions=True))
    chart.x_labels = list(labels)
    for s in series[:MAX_SERIES]:
        chart.add(s.name, list(s.values))
    return _clean(chart.render(is_unicode=True), labels, series, unit)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], name: str, *,
              no_data: str) -> str:
    chart = pygal.HorizontalBar(**_config(title, no_data, show_legend=False))
    chart.x_labels = list(labels)
    series = [Series(name, tuple(values))]
    if values:
        chart.add(name, list(values))
    return _clean(chart.render(is_unicode=True), labels, series, "")


def _wide_margin(labels: Sequence[str]) -> int:
    """Extra left margin for labels with Chinese characters, which pygal measures as if each
    were a narrow Latin letter."""
    wide = max((sum(unicodedata.east_asian_width(c) in "WF" for c in label) for label in labels),
               default=0)
    return 5 * wide


def dot_chart(title: str, columns: Sequence[str], rows: Sequence[Series], *, no_data: str
              ) -> str:
    """A matrix: one row of dots per series, one column per label, dot size by value."""
    chart = pygal.Dot(**_config(title, no_data, x_label_rotation=30, show_legend=False,
                                height=max(220, 60 + 34 * len(rows)),
                                margin_left=_wide_margin([r.name for r in rows])))
    chart.x_labels = list(columns)
    for s in rows[:MAX_SERIES]:
        chart.add(s.name, [v or 0 for v in s.values])
    return _clean(chart.render(is_unicode=True), columns, rows, "")


def _clean(svg: str, labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1]
            if tag in ("script", "style") or "tooltip-overlay" in child.get("class", ""):
                parent.remove(child)
    for node in root.iter():
        node.attrib.pop("style", None)
        node.attrib.pop("id", None)
    root.set("role", "img")
    for index, group in enumerate(root.iter(f"{{{_SVG}}}g")):
        if "series" not in group.get("class", "").split():
            continue
        name = _series_name(group, series, index)
        for point in group.iter(f"{{{_SVG}}}g"):
            value = point.find(f"{{{_SVG}}}desc[@class='value']")
            if value is None or point.find(f"{{{_SVG}}}title") is not None:
                continue
            label = point.find(f"{{{_SVG}}}desc[@class='x_label']")
            title = ET.Element(f"{{{_SVG}}}title")
            where = label.text if label is not None and label.text else ""
            title.text = f"{name} · {where}: {value.text}{unit}" if where else \
                f"{name}: {value.text}{unit}"
            point.insert(0, title)
    return ET.tostring(root, encoding="unicode")


def _series_name(group: ET.Element, series: Sequence[Series], fallback: int) -> str:
    match = re.search(r"serie-(\d+)", group.get("class", ""))
    index = int(match.group(1)) if match else fallback
    return series[index].name if index < len(series) else ""


def chart_css() -> str:
    """The CSS pygal inlines in each chart, scoped to `svg.pygal-chart` instead of one chart's
    id: the console's charts.css."""
    texts: list[str] = []
    sample = [Series(f"s{i}", (1.0, 2.0)) for i in range(MAX_SERIES)]
    for kind in (pygal.Line, pygal.HorizontalBar, pygal.Dot):
        chart = kind(**_config("t", "-"))
        chart.x_labels = ["a", "b"]
        for s in sample:
            chart.add(s.name, list(s.values))
        svg = chart.render(is_unicode=True)
        chart_id = re.search(r'id="(chart-[0-9a-f-]+)"', svg)
        if chart_id is None:
            raise RuntimeError("pygal no longer names its chart element; charts.py needs updating")
        for text in re.findall(r"<style[^>]*>(.*?)</style>", svg, flags=re.S):
            text = text.replace("#" + chart_id.group(1), "svg.pygal-chart")
            if text not in texts:
                texts.append(text)
    return "\n".join(texts).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
