"""Skips that depend on what is under test."""

from __future__ import annotations

import os

import pytest

from .settings import IMPL


def reference_deviates(reason: str) -> pytest.MarkDecorator:
    """Mark a test that checks the spec (or a house rule) more strictly than python-socketio behaves.

    The test runs against turbosio and is skipped, with ``reason``, when the reference is under test (unless
    ``TURBOSIO_TEST_RUN_DEVIATIONS=1``, as in the protocol suite, to watch it fail).
    """
    skip = IMPL == 'socketio' and os.environ.get('TURBOSIO_TEST_RUN_DEVIATIONS') != '1'
    return pytest.mark.skipif(skip, reason=f'python-socketio 5.18 deviates here: {reason}')


def require_wsgi_server(mode: str) -> None:
    """Skip unless a sync server can be served: natively by turbosio, or else by werkzeug (not a test extra)."""
    if IMPL == 'socketio' or mode != 'native':
        pytest.importorskip('werkzeug', reason='the sync Server is served by werkzeug here, and it is not installed')
