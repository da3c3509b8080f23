"""One JSON call to a department's own API, with every failure a typed `SourceFailure`.

For the services that are not record sources (the licence library, the objection desks): the
same rules as the REST connectors — no redirects followed, a credential refused is said so,
HTTP errors and non-JSON answers are failures, the body is capped — in one function.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
from yarl import URL

from connectors.errors import SourceInvalid, SourceUnavailable

__all__ = ["MAX_BODY_BYTES", "call_json", "new_session"]

MAX_BODY_BYTES = 4 * 1024 * 1024


def new_session() -> aiohttp.ClientSession:
    """A session for one service's calls (closed by its owner)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64, enable_cleanup_closed=True),
        timeout=aiohttp.ClientTimeout(total=None), trust_env=False)


async def call_json(session: aiohttp.ClientSession, method: str, url: str, *,
                    department: str, timeout_s: float, headers: dict[str, str] | None = None,
                    payload: Any = None, params: dict[str, str] | None = None) -> Any:
    """The decoded JSON answer; raise `SourceUnavailable` or `SourceInvalid` otherwise."""
    sent = {"Accept": "application/json", **(headers or {})}
    kwargs: dict[str, Any] = {"headers": sent, "allow_redirects": False}
    if payload is not None:
        kwargs["data"] = orjson.dumps(payload)
        sent["Content-Type"] = "application/json"
    target = URL(url).with_query(params) if params else URL(url)
    try:
        async with asyncio.timeout(timeout_s):
            async with session.request(method, target, **kwargs) as resp:
                if 300 <= resp.status < 400:
                    raise SourceInvalid(f"{department} answered with a redirect (HTTP "
                                        f"{resp.status}); the hub never follows redirects")
                if resp.status in (401, 403):
                    raise SourceUnavailable(f"{department} refused the hub's credential (HTTP "
                                            f"{resp.status})")
                if resp.status >= 400:
                    raise SourceUnavailable(f"{department} answered with an error (HTTP "
                                            f"{resp.status})")
                if resp.content_type != "application/json":
                    raise SourceInvalid(f"{department} answered {resp.content_type or 'no'} "
                                        "content, not JSON")
                raw = bytearray()
                async for chunk in resp.content.iter_chunked(64 * 1024):  # to the end
                    raw += chunk
                    if len(raw) > MAX_BODY_BYTES:
                        raise SourceInvalid(f"{department}'s answer is larger than "
                                            f"{MAX_BODY_BYTES // 2**20} MiB")
    except TimeoutError:
        raise SourceUnavailable(f"{department} did not answer within {timeout_s:g} s") from None
    except aiohttp.ClientConnectionError:
        raise SourceUnavailable(f"{department} could not be reached (connection refused or "
                                "dropped)") from None
    except aiohttp.ClientError as exc:
        raise SourceUnavailable(f"the call to {department} failed ({type(exc).__name__})") \
            from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SourceInvalid(f"{department}'s answer is not valid JSON") from None


