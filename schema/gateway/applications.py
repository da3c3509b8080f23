"""The request's application: opening, reading and closing it, each on the record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from application.store import Application, ApplicationStore, Party
from audit.search import SearchFilter, SearchPage
from consent.catalogue import Matter
from consent.enforcement import (
    require_purpose,
)
from consent.errors import (
    AccessDenied,
    Forbidden,
)
from objection.model import Event, Objection
from objection.store import ObjectionFilter
from schema.errors import BadUserInput, InternalError
from schema.gateway.base import (
    GatewayBase,
)

__all__ = ["Applications"]

class Applications(GatewayBase):
    """The request's application: opening, reading and closing it, each on the record."""

    # -- the request's application -------------------------------------------------------------

    def _applications(self) -> ApplicationStore:
        if self._services.applications is None:
            raise InternalError("this hub keeps no applications")
        return self._services.applications

    def open_application(self, path: str, matter: Matter,
                         parties: Sequence[tuple[str, str, Literal["person", "enterprise"]]]
                         ) -> Application:
        """Open an application of `matter` (the caller may use it and declared it) for
        `parties` (role, clear id, kind), checked by the caller."""
        try:
            require_purpose(self._caller, self._purpose, matter.code,
                            what=f"an application of {matter.code}")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        stored = tuple(Party(role, self.pseudonym(rid) if kind == "person" else rid, kind)
                       for role, rid, kind in parties)
        app = Application("app_" + uuid.uuid4().hex, matter.code, self._caller.name, stored,
                          self._now, operator=self._operator)
        self._record.effect(self._applications().insertion(app))  # stored with the entry
        for party in stored:
            self._record.subject(party.subject)
        self._record.opened(app.id)
        self._record.released(path)
        return app

    async def _own_application(self, path: str, app_id: str) -> Application:
        app = await self._applications().get(app_id)
        if app is None or (app.owner != self._caller.name and self._caller.role != "auditor"):
            error = BadUserInput(f"id: no application {app_id}")
            self._deny(path, error)
            raise error
        for party in app.parties:
            self._record.subject(party.subject)
        return app

    async def application(self, path: str, app_id: str
                          ) -> tuple[Application, SearchPage, list[tuple[Objection, list[Event]]]]:
        """An application of this caller (any, for an auditor), the audit entries of the
        requests tied to it (newest first) and its objections with their histories."""
        app = await self._own_application(path, app_id)
        owner = None if self._caller.role == "auditor" else app.owner
        page = await self._audit().search(SearchFilter(application=app.id, caller=owner),
                                          first=200, before_seq=None)
        objections: list[tuple[Objection, list[Event]]] = []
        if self._services.objections is not None:
            store = self._services.objections.store
            found, _ = await store.search(ObjectionFilter(application=app.id), self._now,
                                          first=200)
            objections = [(o, await store.history(o.id)) for o in found]
        self._record.released(path)
        return app, page, objections

    async def close_application(self, path: str, app_id: str) -> Application:
        app = await self._own_application(path, app_id)
        if app.owner != self._caller.name:
            raise Forbidden("only the caller that opened an application closes it")
        if app.status == "OPEN":
            self._record.effect(self._applications().closing(app.id, self._now))
            app = replace(app, status="CLOSED", closed_at=self._now)
        self._record.released(path)
        return app

