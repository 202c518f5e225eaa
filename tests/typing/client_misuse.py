"""Misuses of the clients' typed API that a type checker must reject: checked, not run, by scripts/check_types.sh
under ``mypy --strict`` (its ``warn_unused_ignores`` turns an ignore that is no longer needed, because an
annotation became too loose, into an error)."""

from __future__ import annotations

import turbosio

sio = turbosio.AsyncClient()
threaded = turbosio.Client()


@sio.on('tick')
def tick(n: int) -> int:
    return n + 1


@threaded.event
def news(text: str) -> str:
    return text


# The decorators give back the function with its own type.
wrong_tick: str = tick(1)  # type: ignore[assignment]
wrong_news: int = news('x')  # type: ignore[assignment]


async def misuse() -> None:
    await sio.connect(5000)  # type: ignore[arg-type]
    await sio.connect('http://localhost:5000', transports=3)  # type: ignore[arg-type]
    await sio.connect('http://localhost:5000', headers=['X-Token'])  # type: ignore[arg-type]
    await sio.emit('e', callback='not a function')  # type: ignore[arg-type]
    sio.register_namespace(object())  # type: ignore[arg-type]
    await turbosio.AsyncSimpleClient().connect(b'http://localhost:5000')  # type: ignore[arg-type]
    threaded.connect('http://localhost:5000', namespaces=[1])  # type: ignore[list-item]
    await turbosio.AsyncClientNamespace('/n').emit('e', callback=1)  # type: ignore[arg-type]
