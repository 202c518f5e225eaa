"""The entry point of a worker process that the supervisor (``_workers``) spawns: import the app, then serve it as
``turbosio.run`` does, on this worker's place."""

from __future__ import annotations

import sys

from . import _workers
from .hosting import run


def main() -> None:
    config = _workers.take_config()
    try:
        app = _workers.become_worker(config)
    except (ImportError, ValueError) as exc:
        print(f'turbosio: worker {config["index"]} cannot load the app: {exc}', file=sys.stderr)
        sys.exit(1)
    try:
        run(
            app,
            config['host'],
            config['port'],
            config['log_level'],
            ssl_certfile=config['ssl_certfile'],
            ssl_keyfile=config['ssl_keyfile'],
        )
    except (OSError, TypeError, ValueError, NotImplementedError) as exc:
        print(f'turbosio: worker {config["index"]}: {exc}', file=sys.stderr)
        sys.exit(1)
