"""Helpers for the end-to-end tests, one module per concern.

- ``settings``: what is under test (from the environment), where the test programs live, how long to wait.
- ``marks``: skips that depend on what is under test (``reference_deviates``, ``require_wsgi_server``).
- ``servers``: server processes on a free loopback port (``tests/apps/*.py``) and what a test sees of them.
- ``clients``: python-socketio clients that record what they receive, and ``arun`` for coroutine tests.
- ``protocol``: raw Engine.IO v4 / Socket.IO v5 over HTTP and WebSocket, for the conformance suites.
"""
