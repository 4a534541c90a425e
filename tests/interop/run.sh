#!/usr/bin/env bash
# Interop with the real Python stack: installs dogpile.cache 1.5, msgpack and redis-py into a
# throwaway virtualenv, starts a private redis-server, and runs interop.py both ways for
# every variant of the demo table. `.ci/run` runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q
venv=$(mktemp -d)
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
cleanup() { redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$venv" "$dir"; }
trap cleanup EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q "dogpile.cache==1.5.0" "msgpack==1.2.4" "redis>=5"
redis-server redis.conf --port "$port" --dir "$dir" --daemonize yes --logfile "$dir/redis.log" --databases 32 >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
"$venv/bin/python" tests/interop/interop.py target/release/redisadv "$port"
