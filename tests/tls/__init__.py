"""Serving over TLS: turbosio.run/serve and the turbosio command with ssl_certfile/ssl_keyfile, against real clients."""
