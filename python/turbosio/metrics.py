"""Prometheus metrics of a turbosio server.

Counting is off until asked for, by any of: ``turbosio.run(sio, metrics_path='/metrics')`` (or the CLI's
``--metrics-path``), ``ASGIApp(sio, metrics_path='/metrics')``, ``sio.enable_metrics()``, or ``Collector(sio)``.
Off, a counting site costs one relaxed atomic load in Rust and one ``None`` check per handler in Python.

``sio.metrics()`` returns a snapshot, a dict::

    {
        'enabled': bool,
        'sessions': {'polling': int, 'websocket': int},          # open Engine.IO sessions now
        'sessions_opened': {'polling': int, 'websocket': int},   # since counting began, by handshake transport
        'sockets': {namespace: int},                             # connected (or connecting) sockets now
        'rooms': {namespace: int},                               # rooms with members now (sid rooms not counted)
        'upgrades': int, 'upgrade_failures': int,
        'packets_received': int, 'bytes_received': int, 'packets_sent': int, 'bytes_sent': int,
        'events_received': int, 'acks_received': int, 'ack_timeouts': int,
        'slow_client_disconnects': {'outbox_full': int, 'write_timeout': int},
        'rejected': {reason: int},     # every reason listed, see turbosio_rejected_total below
        'outbox': {'frames': int, 'bytes': int, 'max_frames': int},  # queued for clients now
        'handler_duration': {'count': int, 'sum': float, 'buckets': [(upper_bound_seconds, cumulative_count)]},
    }

The same values are rendered as Prometheus families named ``turbosio_*`` (listed in the README's "Metrics"
section). :class:`Collector` yields them into a ``prometheus_client`` registry; prometheus_client is not a
dependency of turbosio, only of the code that imports this class's ``collect`` results.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._metrics import enable

__all__ = ['Collector']


class Collector:
    """A ``prometheus_client`` custom collector for a turbosio server: ``REGISTRY.register(Collector(sio))``.

    Args:
        server: A :class:`turbosio.AsyncServer` or :class:`turbosio.Server` (or a bare Engine.IO server), or an
            ASGIApp/WSGIApp wrapping one. Counting is switched on for it.

    Each ``collect()`` takes one snapshot (the engine is locked only while its gauges are read) and yields the
    families ``/metrics`` serves, parsed from the same text, so both exports always agree.
    """

    def __init__(self, server: Any) -> None:
        for candidate in (server, getattr(server, 'engineio_server', None), getattr(server, 'engineio_app', None)):
            if candidate is not None and hasattr(candidate, '_core'):
                self._server = candidate
                break
        else:
            raise TypeError(f'Collector needs a turbosio server, got {type(server).__name__}')
        enable(self._server)

    def collect(self) -> Iterator[Any]:
        """The ``turbosio_*`` metric families now."""
        from prometheus_client.parser import text_string_to_metric_families

        yield from text_string_to_metric_families(self._server._core.metrics_text())
