"""The app ``test_cli`` serves with ``python -m turbosio cli_app:sio --metrics-path ...``."""

import turbosio

sio = turbosio.AsyncServer()
