"""How honest inspect's sample intervals are: the same data in many SCAN orders.

A dump of the fixture (or any dump.rdb) is loaded into a fresh private redis-server for each
re-draw: every server draws its own hash seed, so SCAN lists the keys in another order and
`inspect --sample N` reads another sample. Each pattern's keys and bytes, with their 95%
intervals, are checked against `inspect --all` on the same data (exact). Prints one JSON
line per pattern (how often the truth fell inside) and a last line with the totals.

Usage: redraws.py --rdb dump.rdb --redisadv target/release/redisadv [--draws 50]
                  [--sample 10000] [--min-keys 30] [--match GLOB]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--rdb", required=True)
parser.add_argument("--redisadv", required=True)
parser.add_argument("--redis-server", default="redis-server")
parser.add_argument("--draws", type=int, default=50)
parser.add_argument("--sample", type=int, default=10000)
parser.add_argument("--min-keys", type=int, default=30,
                    help="patterns with fewer keys in the truth are not scored")
parser.add_argument("--match", default=None)
ARGS = parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A private redis-server loading a copy of the dump (its own hash seed)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="redraw-")
        shutil.copy(ARGS.rdb, os.path.join(self.dir, "dump.rdb"))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [ARGS.redis_server, "--port", str(self.port), "--dir", self.dir,
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("redis-server did not load the dump in 60 s")
            time.sleep(0.05)

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


def inspect(port, *extra):
    cmd = [ARGS.redisadv, "inspect", "--url", f"redis://127.0.0.1:{port}/0", "--top",
           "100000", "--format", "json", "--quiet", "--max-ops", "0", *extra]
    if ARGS.match:
        cmd += ["--match", ARGS.match]
    out = subprocess.run(cmd, check=True, capture_output=True)
    report = json.loads(out.stdout)
    return {r["pattern"]: r for r in report["patterns"]}


def main():
    inside = {}
    scored = {}
    for _ in range(ARGS.draws):
        server = Server()
        try:
            # The truth of this draw: keys with a TTL may have expired since the last one.
            truth = inspect(server.port, "--all")
            rows = inspect(server.port, "--sample", str(ARGS.sample))
        finally:
            server.close()
        for p, t in truth.items():
            if t["keys"] < ARGS.min_keys:
                continue
            scored[p] = t
            inside.setdefault(p, {"keys": 0, "bytes": 0, "seen": 0})
            r = rows.get(p)
            if r is None:
                continue  # not listed in this sample (fewer than 2 keys read)
            inside[p]["seen"] += 1
            for what in ("keys", "bytes"):
                if abs(r[what] - t[what]) <= r[f"{what}_ci95"]:
                    inside[p][what] += 1
    total = {"keys": 0, "bytes": 0, "seen": 0}
    for p, c in sorted(inside.items(), key=lambda kv: -scored[kv[0]]["keys"]):
        print(json.dumps({"pattern": p, "keys": scored[p]["keys"], **c}), flush=True)
        for k in total:
            total[k] += c[k]
    print(json.dumps({"draws": ARGS.draws, "sample": ARGS.sample, "patterns": len(scored),
                      "keys_inside": round(total["keys"] / max(total["seen"], 1), 4),
                      "bytes_inside": round(total["bytes"] / max(total["seen"], 1), 4),
                      **total}))


if __name__ == "__main__":
    sys.exit(main())
