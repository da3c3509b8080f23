"""The 告知书 as PDF: the HTML laid out by WeasyPrint, with Debian's Noto CJK fonts.

WeasyPrint (PyPI) rather than headless Chromium: it is a library, so printing needs no browser
process at run time, lays out CSS paged media (@page, A4 margins, page counters) natively, and
embeds the subset of the CJK font it uses. The font is found by family name through fontconfig;
`.ci/run` installs `fonts-noto-cjk` where it is missing. WeasyPrint is imported on first use:
it takes a second to load, and most `hub` commands never print.
"""

from __future__ import annotations

from hub.report.html import render_html
from hub.report.view import ReportView

__all__ = ["render_pdf"]


def render_pdf(view: ReportView, *, verify_base: str) -> bytes:
    """The 告知书 of `view` as PDF bytes."""
    from weasyprint import HTML

    document = HTML(string=render_html(view, verify_base=verify_base))
    pdf = document.write_pdf()
    if pdf is None:  # only when a target is given; never here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
