"""Charts fit for a strict CSP: no script, no style element or attribute, a <title> per data
point with its value, and the CSS served apart, scoped to the charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hub.console.charts import Series, bar_chart, chart_css, dot_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"


def strict(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    for node in root.iter():
        tag = node.tag.removeprefix(NS)
        assert tag not in ("script", "style", "foreignObject"), tag
        assert "style" not in node.attrib and not any(a.startswith("on") for a in node.attrib)
        for value in node.attrib.values():
            assert "http" not in value and "javascript:" not in value
    return root


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}title")]


def test_a_line_chart_has_one_titled_dot_per_value() -> None:
    svg = line_chart("各部门访问量", ["11-26", "11-27", "11-28"],
                     [Series("市发改委", (1, 2, 3)), Series("一体化政务服务平台", (4, None, 6))],
                     no_data="暂无数据")
    root = strict(svg)
    assert len(list(root.iter(f"{NS}circle"))) == 5  # None leaves a gap, not a dot
    found = titles(root)
    for text in ("市发改委 · 11-26: 1", "市发改委 · 11-28: 3", "一体化政务服务平台 · 11-28: 6"):
        assert text in found
    assert "各部门访问量" in found


def test_a_bar_chart_and_a_matrix() -> None:
    root = strict(bar_chart("拒绝原因", ["CONSENT_REQUIRED", "FORBIDDEN"], [5, 2], "次数",
                            no_data="-"))
    assert "次数 · CONSENT_REQUIRED: 5" in titles(root)
    root = strict(dot_chart("部门 × 用途", ["IPO_COMPLIANCE", "BANKRUPTCY"],
                            [Series("市发改委", (3, 0)), Series("市中级人民法院", (0, 4))],
                            no_data="-"))
    assert {"市发改委 · IPO_COMPLIANCE: 3", "市中级人民法院 · BANKRUPTCY: 4"} <= set(titles(root))


def test_no_data_says_so() -> None:
    root = strict(line_chart("t", [], [], no_data="暂无数据"))
    assert any(n.text == "暂无数据" for n in root.iter(f"{NS}text"))


def test_the_chart_css_is_scoped_to_charts() -> None:
    css = chart_css()
    assert ".color-11" in css and "url(" not in css and "@import" not in css
    for rule in re.findall(r"([^{}]+)\{", css):
        for selector in rule.split(","):
            assert selector.strip().startswith("svg.pygal-chart"), selector
