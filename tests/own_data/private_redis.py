"""What reprime.py and reprime_library.py share: reading a key family from the source server
(read-only), a private redis-server per variant, and a settled used_memory."""
import shutil
import socket
import subprocess
import tempfile
import time

import redis


def read_family(host, port, db, match):
    """(key, stored bytes, pttl ms or None) of every string key matching `match`."""
    src = redis.Redis(host=host, port=port, db=db)
    out = []
    for key in src.scan_iter(match=match, count=1000):
        if src.type(key) != b"string":
            continue
        value, pttl = src.get(key), src.pttl(key)
        out.append((key.decode(), value, pttl if pttl > 0 else None))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def used_memory(client):
    """used_memory once three readings 100 ms apart agree (rehashing and frees done)."""
    seen = []
    deadline = time.time() + 120
    while time.time() < deadline:
        seen.append(client.info("memory")["used_memory"])
        if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        time.sleep(0.1)
    raise SystemExit("used_memory did not settle in 120 s")


class Server:
    """A private redis-server from `conf`, without persistence, in a temporary directory."""

    def __init__(self, redis_server, conf, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [redis_server, conf, "--port", str(self.port), "--dir", self.dir,
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        self.client = redis.Redis(port=self.port)
        deadline = time.time() + 30
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def close(self):
        self.client.close()
        self.proc.terminate()
        self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)
