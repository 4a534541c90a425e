#!/usr/bin/env bash
# Fills the Redis server at 127.0.0.1:PORT like a small Python application would, through
# the real libraries pinned in requirements.txt (fill.py says which and how).
#
#   tests/own_data/run.sh PORT [--db N] [--keys N] [--seed S]
#   tests/own_data/run.sh --count PORT [--db N] [--match GLOB]   (count.py: an independent
#                                                                 count for the tests)
#
# --keys is the rough number of keys (default 3000; about 100000 for a report). The
# virtualenv is made once from PyPI in target/own-data-venv (OWN_DATA_VENV overrides) and
# remade when requirements.txt changes; concurrent runs wait for one another to make it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
script=fill.py
if [ "${1:-}" = "--count" ]; then script=count.py; shift; fi
port="${1:?usage: run.sh PORT [--db N] [--keys N] [--seed S]}"
shift
venv="${OWN_DATA_VENV:-$here/../../target/own-data-venv}"
mkdir -p "$(dirname "$venv")"
stamp="$(sha256sum "$here/requirements.txt" | cut -c1-16)"
(
  flock -w 600 9 || { echo "run.sh: waited 600 s for another run making $venv" >&2; exit 1; }
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    echo "$stamp" >"$venv/.stamp"
  fi
) 9>"$venv.lock"
exec "$venv/bin/python" "$here/$script" --port "$port" "$@"
