"""The console's routes under `/console`: pages and forms through the pipeline (audited),
static assets (the console's own CSS and script, and the charts' CSS) served by the hub."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from hub.console.pipeline import Console, PublicView, View
from hub.console.security import harden
from hub.console.views_auth import change_lang, root, signin_form, signin_submit, signout
from hub.console.views_dashboard import dashboard_page, integrity_page, verify_now
from hub.console.views_export import export_csv, export_signed
from hub.console.views_flags import flag_page, flags_page, review_flag
from hub.console.views_search import entry_page, search_page, search_submit

__all__ = ["console_mount"]

Endpoint = Callable[[Request], Awaitable[Response]]


class _Assets(StaticFiles):
    """Static files with the console's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        return harden(response, page=False)


def console_mount(console: Callable[[], Console]) -> Mount:
    """`/console`; `console` gives the lifespan's `Console` when a request arrives."""

    def public(view: PublicView) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await console().public(request, view)
        return endpoint

    def signed(view: View, path: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await console().signed_in(request, view, path)
        return endpoint

    async def charts_css(request: Request) -> Response:
        return harden(Response(console().charts_css, media_type="text/css"), page=False)

    return Mount("/console", routes=[
        Route("/", public(root)),
        Route("/signin", public(signin_form), methods=["GET"]),
        Route("/signin", public(signin_submit), methods=["POST"]),
        Route("/signout", public(signout), methods=["POST"]),
        Route("/lang", public(change_lang), methods=["POST"]),
        Route("/dashboard", signed(dashboard_page, "console.dashboard")),
        Route("/search", signed(search_page, "console.search"), methods=["GET"]),
        Route("/search", signed(search_submit, "console.search"), methods=["POST"]),
        Route("/entries/{seq:int}", signed(entry_page, "console.entry")),
        Route("/flags", signed(flags_page, "console.flags")),
        Route("/flags/{flag}", signed(flag_page, "console.flag")),
        Route("/flags/{flag}/review", signed(review_flag, "console.review"), methods=["POST"]),
        Route("/integrity", signed(integrity_page, "console.integrity")),
        Route("/integrity/verify", signed(verify_now, "console.verify"), methods=["POST"]),
        Route("/export.csv", signed(export_csv, "console.export.csv"), methods=["POST"]),
        Route("/export.jsonl", signed(export_signed, "console.export.signed"),
              methods=["POST"]),
        Route("/static/charts.css", charts_css),
        Mount("/static", app=_Assets(packages=[("hub.console", "static")])),
    ])
