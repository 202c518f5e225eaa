#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the demo: first a scripted chat (a turbosio server talked to by
# python-socketio clients, printing what each side sees), then the browser chat of examples/chat (FastAPI page
# and Socket.IO on one port, no uvicorn) until Ctrl-C. PORT=... picks its port (default 8000).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate
python examples/quickstart.py
exec python examples/chat/app.py --port "${PORT:-8000}"
