#!/usr/bin/env bash
# Regenerates tests/vectors/codec.jsonl.gz with real CPython, msgpack-python and dogpile.cache
# 0.9.2 (for the legacy CachedValue) in a throwaway virtualenv. `cargo test` only reads the
# committed output, so it needs no Python.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q msgpack==1.2.4 dogpile.cache==0.9.2
"$venv/bin/python" --version
"$venv/bin/python" tests/vectors/generate.py tests/vectors/codec.jsonl.gz
