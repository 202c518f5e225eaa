"""Run jobs on a thread pool, one at a time per key: a client's events stay in order, clients run in parallel."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class SerialExecutor:
    """A thread pool where jobs submitted under the same key never overlap and run in submission order."""

    def __init__(self, max_workers: int = 32, name: str = 'turbosio-handler') -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._queues: dict[Any, deque[Callable[[], None]]] = {}
        self._pending = 0  # jobs submitted and not finished
        self._finished = threading.Condition(self._lock)

    def wait_below(self, limit: int, timeout: float) -> bool:
        """Wait until fewer than ``limit`` jobs are pending; False if ``timeout`` seconds passed first."""
        with self._finished:
            return self._finished.wait_for(lambda: self._pending < limit, timeout)

    def submit(self, key: Any, job: Callable[[], None]) -> None:
        with self._lock:
            self._pending += 1
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(job)
                return
            self._queues[key] = deque()
        self._pool.submit(self._run, key, job)

    def _run(self, key: Any, job: Callable[[], None]) -> None:
        while True:
            try:
                job()
            except Exception:  # jobs log their own errors; never let one kill the worker
                pass
            with self._lock:
                self._pending -= 1
                self._finished.notify_all()
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                job = queue.popleft()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
