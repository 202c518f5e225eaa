"""What the suite runs against, where its programs are, and how long it waits.

Environment:

- ``TURBOSIO_TEST_IMPL``: ``turbosio`` (default) or ``socketio`` (the reference, python-socketio).
- ``TURBOSIO_TEST_MODE``: unset runs every test once per mode (``native`` and ``asgi``); ``native`` or ``asgi``
  runs only that mode. With the reference, ``native`` serves the same app as ``asgi`` (uvicorn + ASGIApp),
  since python-socketio has no server of its own.
- ``TURBOSIO_TEST_RUN_DEVIATIONS=1``: run the tests marked with ``support.marks.reference_deviates`` against the
  reference too, to see how (and that) it fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TESTS_DIR.parent
APPS_DIR = TESTS_DIR / 'apps'
JS_DIR = TESTS_DIR / 'js'

IMPL = os.environ.get('TURBOSIO_TEST_IMPL', 'turbosio')
if IMPL not in ('turbosio', 'socketio'):
    raise RuntimeError(f'TURBOSIO_TEST_IMPL must be turbosio or socketio, not {IMPL!r}')
ALL_MODES = ('native', 'asgi')
_mode = os.environ.get('TURBOSIO_TEST_MODE', '')
if _mode and _mode not in ALL_MODES:
    raise RuntimeError(f'TURBOSIO_TEST_MODE must be native or asgi, not {_mode!r}')
MODES = (_mode,) if _mode else ALL_MODES

STARTUP_TIMEOUT = 20.0
WAIT_TIMEOUT = 10.0
