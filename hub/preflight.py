"""What `hub serve` checks before any worker starts, so that a broken deployment stops at once.

Keys (signing, pseudonym, encryption), department credentials, the store (reachable, schema at
this hub's revision) and the listening address are checked in the parent process, in that
order; the first failure is one `StartupError` whose message names what is wrong and the
configuration key to change, and `hub serve` prints it as one line and exits non-zero whatever
`--workers` is. Problems that do not stop the hub (the purpose catalogue naming callers that
are not configured) come back as warnings for the log.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from connectors.auth import resolve_credential
from connectors.errors import CredentialError
from hub.config.settings import Settings
from hub.migrate import SchemaOutOfDate, verify_schema
from hub.store import store_engine
from signing.keys import KeyRing, KeysError
from signing.seal import load_sealer

__all__ = [
    "DRIVERS",
    "STORE_TIMEOUT_S",
    "Preflight",
    "StartupError",
    "StoreUnreachable",
    "check_credentials",
    "check_keys",
    "check_store",
    "listen",
    "preflight",
    "public_url",
    "reach",
    "unconfigured_callers",
]

DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
STORE_TIMEOUT_S = 15.0
T = TypeVar("T")


class StartupError(Exception):
    """The hub cannot start; `what` says why and `key` is the configuration key to change."""

    code = "STARTUP_FAILED"

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} ({key})")
        self.what = what
        self.key = key


class StoreUnreachable(Exception):
    """The store could not be reached or read; the message says where and why, in one line."""

    code = "STORE_UNREACHABLE"


@dataclass(frozen=True, slots=True)
class Preflight:
    keys: KeyRing
    warnings: tuple[str, ...]


def public_url(url: str) -> str:
    """The store URL with its password hidden, fit for a log line."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


async def reach(work: Coroutine[Any, Any, T], url: str, timeout: float = STORE_TIMEOUT_S
                ) -> T:
    """Run `work` against the store at `url`; its failure to connect or answer becomes one
    `StoreUnreachable` line (driver errors, refused connections, timeouts)."""
    problem = _sqlite_problem(url)
    if problem is not None:
        work.close()  # never connect: aiosqlite's failed connect races the loop's closing
        raise StoreUnreachable(f"cannot open the store at {public_url(url)}: {problem}")
    try:
        return await asyncio.wait_for(work, timeout)
    except TimeoutError:
        raise StoreUnreachable(f"the store at {public_url(url)} did not answer within "
                               f"{timeout:.0f} s") from None
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnreachable(f"cannot reach the store at {public_url(url)}: "
                               f"{_one_line(exc)}") from None


def _sqlite_problem(url: str) -> str | None:
    """Why the SQLite file of `url` cannot be opened, if that can be seen without opening it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database \
            or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    folder = Path(parsed.database).parent
    if not folder.is_dir():
        return f"its directory {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its directory {folder} is not writable by this user"
    return None


def check_keys(settings: Settings) -> KeyRing:
    """The signing and pseudonym keys, and the encryption key that seals objections' subjects."""
    try:
        ring = KeyRing.load(settings.keys_dir)
        load_sealer(settings.keys_dir)
    except KeysError as exc:
        raise StartupError(str(exc), "hub.keys_dir") from None
    return ring


def check_credentials(settings: Settings) -> None:
    for source in settings.sources:
        if source.transport == "sql":
            continue
        try:
            resolve_credential(source.credential, settings.environ)
        except CredentialError as exc:
            raise StartupError(str(exc), f"sources.{source.name}.credential") from None


async def check_store(settings: Settings, upgrade_hint: str) -> None:
    url = settings.store_url
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise StartupError("the store URL cannot be read; write it as "
                           "postgresql+asyncpg://USER@HOST/DB or sqlite+aiosqlite:///PATH",
                           "hub.store") from None
    if driver not in DRIVERS:
        raise StartupError(f"the store URL uses {driver}, but the hub speaks "
                           f"{' or '.join(DRIVERS)}", "hub.store")
    engine = store_engine(url)
    try:
        await reach(verify_schema(engine), url)
    except SchemaOutOfDate as exc:
        message = str(exc).replace("run hub db upgrade", f"run: {upgrade_hint}")
        raise StartupError(message, "hub.store") from None
    except StoreUnreachable as exc:
        raise StartupError(str(exc), "hub.store") from None
    finally:
        await engine.dispose()


def unconfigured_callers(settings: Settings) -> list[str]:
    """One warning per caller the purpose catalogue names but the configuration lacks."""
    configured = {c.name for c in settings.callers}
    missing: dict[str, list[str]] = {}
    for code, matter in sorted(settings.matters.items()):
        for caller in sorted(matter.callers - configured):
            missing.setdefault(caller, []).append(code)
    return [f"the purpose catalogue names caller {caller!r} (in {', '.join(codes)}), which is "
            f"not configured: declare [callers.{caller}] or set callers in those "
            "[matters.CODE] tables" for caller, codes in sorted(missing.items())]


async def preflight(settings: Settings, upgrade_hint: str) -> Preflight:
    """Check what the workers will need; raise the first `StartupError`."""
    keys = check_keys(settings)
    check_credentials(settings)
    await check_store(settings, upgrade_hint)
    return Preflight(keys, tuple(unconfigured_callers(settings)))


def listen(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """Bind the listening socket the workers will share; raise `StartupError` if it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        host_problem = isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL
        key = "hub.host" if host_problem else "hub.port"
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", key) \
            from None
    sock.set_inheritable(True)
    return sock

