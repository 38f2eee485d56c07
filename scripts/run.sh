#!/usr/bin/env bash
# The run command: sets everything up, migrates the database, loads the demo world when the
# database is empty, and serves the platform on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
ensure_venv ""
export PATH="$PWD/.venv/bin:$PATH"
techfin db upgrade
if [ "$(techfin demo status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["empty"])')" = "True" ]; then
  techfin demo load
fi
exec techfin serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
