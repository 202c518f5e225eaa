#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the demo: a turbosio server with rooms and acks, talked to by
# python-socketio clients, printing what each side sees.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate
python examples/quickstart.py
