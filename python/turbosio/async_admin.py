"""``AsyncServer.instrument()``: the asyncio flavour of :mod:`turbosio.admin` (same reports, same actions)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from . import exceptions
from .admin import AUTH_FAILED, InstrumentedBase


class InstrumentedAsyncServer(InstrumentedBase):
    """``AsyncServer.instrument()``'s result; ``await shutdown()`` stops the stats."""

    def __init__(self, sio: Any, **kwargs: Any) -> None:
        self._stop: asyncio.Event | None = None
        super().__init__(sio, **kwargs)

    async def admin_connect(self, sid: str, environ: dict[str, Any], client_auth: Any) -> None:
        authenticated = self._credentials_match(client_auth)
        if authenticated is None:
            result = self.auth(client_auth)
            authenticated = bool(await result if inspect.isawaitable(result) else result)
        if not authenticated:
            raise exceptions.ConnectionRefusedError(AUTH_FAILED)
        if self._stats_task is None:
            self._stop = asyncio.Event()
            self._stats_task = self.sio.start_background_task(self._emit_server_stats, self._stop)
        self._welcome(sid)

    async def admin_emit(self, _: str, namespace: str, room_filter: Any, event: str, *data: Any) -> None:
        await self.sio.emit(event, data, to=room_filter, namespace=namespace)

    async def admin_enter_room(self, _: str, namespace: str, room: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            await self.sio.enter_room(sid, room, namespace=namespace)

    async def admin_leave_room(self, _: str, namespace: str, room: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            await self.sio.leave_room(sid, room, namespace=namespace)

    async def admin_disconnect(self, _: str, namespace: str, close: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            await self.sio.disconnect(sid, namespace=namespace)

    async def shutdown(self) -> None:
        """Stop sending ``server_stats`` (a coroutine)."""
        task, self._stats_task = self._stats_task, None
        if task is not None and self._stop is not None:
            self._stop.set()
            await asyncio.gather(task)

    async def _emit_server_stats(self, stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), self.server_stats_interval)
                return
            except asyncio.TimeoutError:
                pass
            await self.sio.emit('server_stats', self._server_stats(), namespace=self.admin_namespace)
