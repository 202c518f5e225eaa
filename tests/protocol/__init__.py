"""Raw-wire conformance to the Engine.IO v4 and Socket.IO v5 specs (tests/apps/protocol_app.py, no client library)."""
