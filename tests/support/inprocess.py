"""Servers run inside the test process, on a thread and a free port: for tests that subclass the app objects
(ASGIApp, WSGIApp) or the manager, which a subprocess app file could not show as plainly."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from .servers import free_port


class UvicornThread:
    """Serve an ASGI app with uvicorn on a thread of its own; ``lifespan='on'`` so the hooks run."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        import uvicorn

        config = uvicorn.Config(app, host='127.0.0.1', port=self.port, lifespan='on', log_level='warning')
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=asyncio.run, args=(self.server.serve(),), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 5
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)  # uvicorn sets a flag, not an event
        assert self.server.started, 'uvicorn did not start'

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class WerkzeugThread:
    """Serve a WSGI app with werkzeug's threaded server on a thread of its own."""

    def __init__(self, app: Any) -> None:
        from werkzeug import serving

        self.httpd = serving.make_server('127.0.0.1', 0, app, threaded=True)
        self.url = f'http://127.0.0.1:{self.httpd.server_port}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)
