"""Re-primes a whole key family through the real libraries, one fresh private redis-server per
variant, and prints what each costs: the truth whatif's projections are checked against.

Every key matching --match is read from the source server (read-only: SCAN, GET, PTTL), its
payload decoded the way the library that wrote it reads it back (dogpile's CachedValue
pickle, a msgpack or json payload, django-redis's pickle, zlib+pickle or bare integers), and
then written again through dogpile.cache 1.5 with dogpile_backend_redis_advanced:

  as_stored                the stored bytes, SET with their own TTLs (today's cost)
  region_redis             the plugin's plain backend (dogpile's pickled CachedValue), a TTL
  region_msgpack_raw       already_serialized + the payload-only msgpack proxy, a TTL
  region_msgpack_raw_hash  the hstore backend's set_serialized with msgpack payload bytes
                           (its pickle serializer cannot be swapped under dogpile 1.5's
                           region.set), tuple keys as the plugin's demo makes them:
                           (prefix + str(id - id % 100), str(id)); keys without a numeric
                           id (a UUID, a token) by whatif's stable-hash rule: bucket
                           prefix + str(FNV-1a-64(key) % ceil(n / 100)), field the key after
                           the glob's literal prefix
  region_json_raw          already_serialized + a payload-only json proxy, a TTL

Each server starts from the project's redis.conf with no persistence; used_memory is read
when three readings 100 ms apart agree, before and after. Prints one JSON line per variant.

Usage: reprime.py --port SOURCE_PORT --match GLOB [--db N] [--variants a,b] [--conf FILE]
"""
import argparse
import json
import os
import pickle
import re
import sys
import zlib

import msgpack
import redis
from private_redis import Server, read_family, used_memory

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--db", type=int, default=0)
parser.add_argument("--match", required=True)
parser.add_argument("--variants", default="as_stored,region_redis,region_msgpack_raw,"
                    "region_msgpack_raw_hash,region_json_raw")
parser.add_argument("--conf", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                    "redis.conf"))
parser.add_argument("--redis-server", default="redis-server")
ARGS = parser.parse_args()
HOUR = 3600


def msgpack_family(values):
    """Most values are msgpack that is not a bare number: a lone digit byte is then the
    plugin's msgpack int 48..57 (the payload-only proxy), not django-redis's bare integer."""
    def decodes(v):
        try:
            msgpack.unpackb(v, raw=False)
            return True
        except Exception:
            return False
    n = sum(1 for v in values if not re.fullmatch(rb"-?\d+", v) and decodes(v))
    return 2 * n > len(values)


def payload(stored):
    """The payload the library that stored `stored` would hand back."""
    from dogpile.cache.api import CachedValue

    if MSGPACK_FAMILY and len(stored) == 1:
        return msgpack.unpackb(stored, raw=False)
    if re.fullmatch(rb"-?\d+", stored):
        return int(stored)  # django-redis stores integers bare
    if stored.startswith(b'{"ct"') and b"}|" in stored:
        # dogpile >= 1.1's serialized CachedValue: json metadata, "|", the payload pickled
        stored = stored.split(b"}|", 1)[1]
    for load in (pickle.loads, lambda b: pickle.loads(zlib.decompress(b)),
                 lambda b: msgpack.unpackb(b, raw=False), json.loads):
        try:
            value = load(stored)
        except Exception:
            continue
        if isinstance(value, CachedValue):
            return value.payload
        if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[1], dict) \
                and "ct" in value[1]:
            return value[0]
        return value
    return stored


def numeric(key):
    """(before, id, after) of the last all-digit part of a key, as whatif's rule reads it."""
    m = re.search(r"^(.*[:|/,;=#@ ])?(\d{1,18})((?:[:|/,;=#@ ][^0-9]*)?)$", key)
    if not m:
        return None
    return m.group(1) or "", int(m.group(2)), m.group(3) or ""


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def hash_key(key, prefix, buckets):
    """(bucket, field) for a key without a numeric id, as whatif places it."""
    return (f"{prefix}{fnv1a64(key) % buckets}", key[len(prefix):])


def region(kind, port, ttl):
    import dogpile_backend_redis_advanced  # noqa: F401  (registers the backends)
    from dogpile.cache import make_region
    from dogpile_backend_redis_advanced.cache.serializers import (
        _CustomSerializerNoMetaProxyBackend,
    )

    class MsgpackRaw(_CustomSerializerNoMetaProxyBackend):
        def _serialize(self, value):
            return msgpack.packb(value, use_bin_type=True)

        def _deserialize(self, raw):
            return msgpack.unpackb(raw, raw=False)

    class JsonRaw(_CustomSerializerNoMetaProxyBackend):
        def _serialize(self, value):
            return json.dumps(value).encode()

        def _deserialize(self, raw):
            return json.loads(raw)

    args = {"host": "127.0.0.1", "port": port, "db": 0, "redis_expiration_time": ttl}
    if kind == "region_redis":
        return make_region().configure("dogpile_backend_redis_advanced",
                                       expiration_time=HOUR, arguments=args)
    if kind == "region_msgpack_raw_hash":
        return make_region().configure("dogpile_backend_redis_advanced.hstore",
                                       expiration_time=HOUR, arguments=args)
    backend, proxy = {
        "region_msgpack_raw": ("dogpile_backend_redis_advanced.already_serialized", MsgpackRaw),
        "region_json_raw": ("dogpile_backend_redis_advanced.already_serialized", JsonRaw),
    }[kind]
    return make_region().configure(backend, expiration_time=HOUR, arguments=args, wrap=[proxy])


def main():
    family = read_family(ARGS.host, ARGS.port, ARGS.db, ARGS.match)
    if not family:
        raise SystemExit(f"--match {ARGS.match}: no string key")
    global MSGPACK_FAMILY
    MSGPACK_FAMILY = msgpack_family([stored for _, stored, _ in family])
    ttls = sorted(t for _, _, t in family if t)
    ttl = max(HOUR, (ttls[len(ttls) // 2] + 999) // 1000) if ttls else HOUR
    all_numeric = all(numeric(k) is not None for k, _, _ in family)
    prefix = re.split(r"[*?\[]", ARGS.match)[0]
    buckets = max(1, -(-len(family) // 100))
    for variant in ARGS.variants.split(","):
        server = Server(ARGS.redis_server, ARGS.conf, "reprime-")
        try:
            empty = used_memory(server.client)
            written = 0
            if variant == "as_stored":
                pipe = server.client.pipeline(transaction=False)
                for key, stored, pttl in family:
                    pipe.set(key, stored, px=max(pttl, HOUR * 1000) if pttl else None)
                pipe.execute()
                written = len(family)
            else:
                r = region(variant, server.port, ttl)
                for key, stored, _ in family:
                    value = payload(stored)
                    if variant == "region_msgpack_raw_hash":
                        if all_numeric:
                            before, i, after = numeric(key)
                            key = (f"{before}{i - i % 100}{after}", str(i))
                        else:
                            key = hash_key(key, prefix, buckets)
                    try:
                        if variant == "region_msgpack_raw_hash":
                            r.actual_backend.set_serialized(
                                key, msgpack.packb(value, use_bin_type=True))
                        else:
                            r.set(key, value)
                        written += 1
                    except (TypeError, ValueError):
                        pass  # a payload this serializer cannot encode
                for c in (r.actual_backend.writer_client, r.actual_backend.reader_client):
                    c.connection_pool.disconnect()
            server.client.close()  # the loading connection is not part of the figure
            client = redis.Redis(port=server.port)
            server.client = client
            loaded = used_memory(client)
            print(json.dumps({"match": ARGS.match, "variant": variant, "keys": len(family),
                              "written": written, "dataset_bytes": loaded - empty,
                              "per_record": round((loaded - empty) / max(written, 1), 3),
                              "redis_keys": client.dbsize()}), flush=True)
        finally:
            server.close()


if __name__ == "__main__":
    sys.exit(main())
