# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not run).
# Creates .venv and installs the project when pyproject.toml changed; nothing is installed by hand.

PYTHON=${PYTHON:-python3}

ensure_venv() {
  local extras="$1"   # "" or "dev"
  local stamp=".venv/.techfin-installed-${extras:-runtime}"
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)" >&2
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q -q --upgrade pip
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing techfin${extras:+[$extras]} into .venv" >&2
    if [ -n "$extras" ]; then
      .venv/bin/python -m pip install -q -q -e ".[$extras]"
    else
      .venv/bin/python -m pip install -q -q -e .
    fi
    echo "$want" > "$stamp"
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests" >&2
    if [ "$(id -u)" = "0" ]; then
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
}

ensure_postgres() {
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "setup: starting PostgreSQL $version (main cluster)" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && return 0
      sleep 1
    done
  fi
  echo "setup: no PostgreSQL on 127.0.0.1:5432; its tests will skip (and fail under CI=true)" >&2
}
