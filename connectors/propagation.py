"""What a department call carries about the request it serves: the trace context and the id.

The hub sets `REQUEST_ID` for each request it serves; the connectors add `X-Request-Id` and,
when a trace span is current (OpenTelemetry, W3C Trace Context), `traceparent` to every call,
so a department's logs can be joined with the hub's. Context variables follow the request into
the tasks that make its calls; nothing here is a process-wide setting.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from opentelemetry import trace

__all__ = ["REQUEST_ID", "propagation_headers"]

REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)
_SAFE = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


def propagation_headers() -> bytes:
    """The header lines (CRLF-terminated) for the current request and span, or b""."""
    out = b""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        out += (f"traceparent: 00-{context.trace_id:032x}-{context.span_id:016x}-"
                f"{int(context.trace_flags):02x}\r\n").encode()
    request_id = REQUEST_ID.get()
    if request_id is not None and _SAFE.match(request_id):
        out += f"X-Request-Id: {request_id}\r\n".encode()
    return out
