"""An independent count for the tests: SCAN (with an optional MATCH glob) through redis-py and
MEMORY USAGE ... SAMPLES 0 per key, summed. Prints one JSON line: keys, memory, with_ttl.

Usage: count.py --port PORT [--db N] [--match GLOB]
"""
import argparse
import json

import redis

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--db", type=int, default=0)
parser.add_argument("--match", default=None)
args = parser.parse_args()
client = redis.Redis(port=args.port, db=args.db)
keys = memory = with_ttl = 0
for key in client.scan_iter(match=args.match, count=1000):
    keys += 1
    memory += client.memory_usage(key, samples=0) or 0
    with_ttl += client.pttl(key) >= 0
print(json.dumps({"keys": keys, "memory": memory, "with_ttl": with_ttl}))
