#!/usr/bin/env bash
# The test command: sets everything up and runs the whole suite (lint, format, types, tests,
# browser tests). Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
ensure_venv dev
ensure_chromium
ensure_postgres
export PATH="$PWD/.venv/bin:$PATH"
CODE="src tests bench scripts"
echo "== ruff check" && ruff check $CODE
echo "== ruff format --check" && ruff format --check $CODE
echo "== mypy" && mypy
echo "== pytest"
pytest "$@"
