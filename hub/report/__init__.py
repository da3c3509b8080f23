"""Printable reports: the 核查结果告知书 of a signed check report, as HTML and as PDF (A4).

`view` reads a signed report document, `labels` words it for a clerk, `html` lays it out and
`pdf` prints it with WeasyPrint. Nothing here needs a running hub: `hub report pdf` works
offline from the file `hub check --out` wrote.
"""
