"""Running the hub under uvicorn: in this process, or as a supervisor of worker processes.

`hub serve` binds the listening socket itself (after the preflight checks) and hands it to
uvicorn, so a port that cannot be bound is a one-line start-up error and the start-up log line
can say where the hub listens. SIGTERM (and SIGINT) drain: uvicorn stops accepting, lets
in-flight requests finish for up to `hub.drain_seconds`, then runs the application's shutdown
(which signs the final audit checkpoint). With workers, the supervisor passes SIGTERM on to
each worker and waits for them; a worker that cannot start stops the whole hub with a non-zero
exit.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from hub.config.settings import Settings

__all__ = ["DrainingServer", "run_server", "uvicorn_config"]


class DrainingServer(uvicorn.Server):
    """A uvicorn server that answers SIGINT and SIGTERM by draining and returning.

    uvicorn re-raises a captured signal once it has shut down, which would end the process
    before its caller can clean up (the demo's sandbox) or report an exit status; here the
    signal only asks the server to exit.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def request_exit(self) -> None:
        self.should_exit = True


def uvicorn_config(app: Any, settings: Settings, *, workers: int = 1, **options: Any
                   ) -> uvicorn.Config:
    # uvloop and httptools when installed (loop/http "auto"); a long keep-alive so that
    # department systems and load balancers reuse connections instead of racing a close.
    # No limit_concurrency: uvicorn's own 503 is plain text and leaves no audit entry; the
    # hub's admission control sheds overload itself, as GraphQL JSON, on the record.
    # log_config=None: uvicorn's loggers go through the hub's own handler (hub.logs).
    return uvicorn.Config(app, host=settings.host, port=settings.port, workers=workers,
                          log_config=None, log_level=settings.log.level, access_log=False,
                          timeout_keep_alive=75, timeout_graceful_shutdown=settings.drain_seconds,
                          lifespan="on", **options)


def run_server(settings: Settings, sock: socket.socket, workers: int) -> int:
    """Serve `hub.asgi:app_from_env` on `sock` until SIGTERM/SIGINT; the process exit status."""
    config = uvicorn_config("hub.asgi:app_from_env", settings, workers=workers, factory=True)
    if workers == 1:
        server = DrainingServer(config)
        server.run(sockets=[sock])
        return 0 if server.started else 1
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return 1 if failed else 0
