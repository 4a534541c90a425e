#!/usr/bin/env bash
# fill_compressed.py and reprime_library.py in a virtualenv with the libraries pinned in
# requirements-library.txt (django-redis, celery, Flask-Caching, lz4, pyzstd), made once from
# PyPI in target/library-venv (LIBRARY_VENV overrides) and remade when that file changes.
#
#   tests/own_data/run_library.sh fill PORT [--keys N] [--seed S]
#   tests/own_data/run_library.sh reprime --port PORT --match GLOB --variants as_stored,zlib
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
what="${1:?usage: run_library.sh fill PORT [...] | reprime --port PORT --match GLOB ...}"
shift
venv="${LIBRARY_VENV:-$here/../../target/library-venv}"
mkdir -p "$(dirname "$venv")"
stamp="$(sha256sum "$here/requirements-library.txt" | cut -c1-16)"
(
  flock -w 600 9 || { echo "run_library.sh: waited 600 s for another run making $venv" >&2; exit 1; }
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-library.txt"
    echo "$stamp" >"$venv/.stamp"
  fi
) 9>"$venv.lock"
case "$what" in
  fill) port="${1:?fill PORT}"; shift; exec "$venv/bin/python" "$here/fill_compressed.py" --port "$port" "$@" ;;
  reprime) exec "$venv/bin/python" "$here/reprime_library.py" "$@" ;;
  *) echo "run_library.sh: fill or reprime, not $what" >&2; exit 2 ;;
esac
