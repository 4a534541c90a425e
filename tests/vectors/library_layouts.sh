#!/usr/bin/env bash
# Regenerates tests/fixtures/library-layouts.json.gz with the real libraries (django-redis's
# compressors and serializers, lz4, pyzstd, msgpack, celery) in a virtualenv; `cargo test` only
# reads the committed file. `.ci/run` runs this and fails when the output differs from the
# committed one (a library changed its bytes). LIBRARY_LAYOUTS_VENV reuses a virtualenv.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${LIBRARY_LAYOUTS_VENV:-}"
if [ -z "$venv" ]; then
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "django-redis==7.0.0" "Django==5.2.19" \
    "lz4==4.4.5" "pyzstd==0.20.0" "msgpack==1.2.4" "celery==5.7.0"
fi
out="${1:-tests/fixtures/library-layouts.json.gz}"
"$venv/bin/python" tests/vectors/library_layouts.py "$out"
