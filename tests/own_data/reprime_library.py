"""Re-primes a whole key family through the library that wrote it, with one of the settings
whatif's library rows project (compression, serializer swaps), one fresh private
redis-server per setting, and prints what each costs: the truth those rows are checked
against.

Every string key matching --match is read from the source server (read-only: SCAN, GET,
PTTL) and its value decoded as its library reads it back; then it is written again, under
the same key with its TTL (at least an hour, as whatif writes it), through:

  django-redis   django_redis.cache.RedisCache with KEY_PREFIX and VERSION from the key and
                 OPTIONS {"COMPRESSOR": ..., "SERIALIZER": ...} for the setting;
  celery         the redis result backend's store_result with result_compression = "zlib"
                 and/or result_serializer = "msgpack";
  Flask-Caching  cachelib's RedisCache with a RedisSerializer subclass that does what
                 whatif's advice says (Flask-Caching has no setting for it).

Settings: as_stored, zlib, lz4, zstd, lzma, json, msgpack, json+zlib, msgpack+zlib, ...
(whatif's row names). A value the setting cannot carry (a datetime under json) is written
as stored and counted, as whatif counts it. Prints one JSON line per setting.

Usage: reprime_library.py --port SOURCE_PORT --match GLOB --variants a,b [--db N]
"""
import argparse
import json
import os
import pickle
import re
import sys

import redis
from private_redis import Server, read_family, used_memory

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--db", type=int, default=0)
parser.add_argument("--match", required=True)
parser.add_argument("--variants", default="as_stored,zlib")
parser.add_argument("--conf", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                    "redis.conf"))
parser.add_argument("--redis-server", default="redis-server")
ARGS = parser.parse_args()
HOUR = 3600
COMPRESSORS = {
    "zlib": "django_redis.compressors.zlib.ZlibCompressor",
    "lz4": "django_redis.compressors.lz4.Lz4Compressor",
    "zstd": "django_redis.compressors.zstd.ZStdCompressor",
    "lzma": "django_redis.compressors.lzma.LzmaCompressor",
}
SERIALIZERS = {
    "json": "django_redis.serializers.json.JSONSerializer",
    "msgpack": "django_redis.serializers.msgpack.MSGPackSerializer",
}


def library(family):
    n = len(family)
    if sum(v.startswith(b"!") for _, v, _ in family) * 2 > n:
        return "flask"
    if sum(k.startswith("celery-task-meta-") for k, _, _ in family) * 2 > n:
        return "celery"
    return "django"


def django_decode(stored):
    """What django-redis hands back, whatever compressor and serializer wrote it."""
    import lzma
    import zlib

    import lz4.frame
    import msgpack
    import pyzstd

    if re.fullmatch(rb"-?\d+", stored):
        return int(stored)
    for unpack in (zlib.decompress, lz4.frame.decompress, pyzstd.decompress, lzma.decompress):
        try:
            stored = unpack(stored)
            break
        except Exception:
            continue
    for load in (pickle.loads, lambda b: json.loads(b.decode()),
                 lambda b: msgpack.loads(b, raw=False)):
        try:
            return load(stored)
        except Exception:
            continue
    raise SystemExit(f"cannot decode {stored[:20]!r}")


def split(setting):
    ser, _, comp = setting.partition("+")
    if ser in COMPRESSORS:
        return None, ser
    return ser, comp or None


def write_django(server, family, setting):
    from django.conf import settings
    if not settings.configured:
        settings.configure(USE_TZ=True)
        import django
        django.setup()
    from django_redis.cache import RedisCache

    ser, comp = split(setting)
    options = {}
    if comp:
        options["COMPRESSOR"] = COMPRESSORS[comp]
    if ser:
        options["SERIALIZER"] = SERIALIZERS[ser]
    caches = {}
    refused = 0
    for key, stored, pttl in family:
        prefix, version, rest = key.split(":", 2)
        cache = caches.get((prefix, version))
        if cache is None:
            cache = caches[(prefix, version)] = RedisCache(
                f"redis://127.0.0.1:{server.port}/0",
                {"KEY_PREFIX": prefix, "VERSION": int(version), "OPTIONS": options})
        value = django_decode(stored)
        timeout = max(pttl, HOUR * 1000) / 1000 if pttl else None
        try:
            if ser == "json" and json.loads(json.dumps(value)) != value:
                raise TypeError("json would change it")
            if ser == "msgpack":
                import msgpack
                if msgpack.loads(msgpack.dumps(value), raw=False) != value:
                    raise TypeError("msgpack would change it")
            cache.set(rest, value, timeout=timeout)
        except (TypeError, ValueError):
            refused += 1
            server.client.set(key, stored, px=int(timeout * 1000) if timeout else None)
    for cache in caches.values():
        cache.close()
        for pool in cache.client._clients or []:
            if pool is not None:
                pool.connection_pool.disconnect()
    return refused


def write_celery(server, family, setting):
    from celery import Celery

    ser, comp = split(setting)
    app = Celery("reprime", backend=f"redis://127.0.0.1:{server.port}/0", broker="memory://")
    if comp:
        app.conf.result_compression = "zlib"
    if ser:
        app.conf.result_serializer = ser
        app.conf.result_accept_content = ["json", ser]
    for key, stored, pttl in family:
        meta = json.loads(stored)
        app.conf.result_expires = max(pttl or 0, HOUR * 1000) // 1000
        app.backend.store_result(key[len("celery-task-meta-"):], meta["result"],
                                 meta["status"])
    app.backend.client.connection_pool.disconnect()
    return 0


def write_flask(server, family, setting):
    import lz4.frame
    import lzma
    import pyzstd
    import zlib

    from cachelib import RedisCache
    from cachelib.serializers import RedisSerializer

    ser, comp = split(setting)

    class Custom(RedisSerializer):
        """What whatif's advice says: the bytes serialized, compressed above 15 bytes."""

        def dumps(self, value, protocol=pickle.HIGHEST_PROTOCOL):
            if type(value) is int:
                return str(value).encode("ascii")
            if ser == "json":
                data = json.dumps(value).encode()
            elif ser == "msgpack":
                import msgpack
                data = msgpack.packb(value)
            else:
                data = super().dumps(value)
            compress = {"zlib": lambda d: zlib.compress(d, 6), "lz4": lz4.frame.compress,
                         "zstd": pyzstd.compress,
                         "lzma": lambda d: lzma.compress(d, preset=4)}.get(comp)
            if compress and len(data) > (100 if comp == "lzma" else 15):
                data = compress(data)
            return data

    cache = RedisCache(port=server.port, key_prefix="")
    cache.serializer = Custom()
    for key, stored, pttl in family:
        value = pickle.loads(stored[1:])
        cache.set(key, value, timeout=max(pttl or 0, HOUR * 1000) // 1000)
    cache._write_client.connection_pool.disconnect()
    return 0


def main():
    family = read_family(ARGS.host, ARGS.port, ARGS.db, ARGS.match)
    if not family:
        raise SystemExit(f"--match {ARGS.match}: no string key")
    lib = library(family)
    for variant in ARGS.variants.split(","):
        server = Server(ARGS.redis_server, ARGS.conf, "reprime-library-")
        try:
            empty = used_memory(server.client)
            refused = 0
            if variant == "as_stored":
                pipe = server.client.pipeline(transaction=False)
                for key, stored, pttl in family:
                    pipe.set(key, stored, px=max(pttl, HOUR * 1000) if pttl else None)
                pipe.execute()
            else:
                refused = {"django": write_django, "celery": write_celery,
                           "flask": write_flask}[lib](server, family, variant)
            server.client.close()  # the loading connection is not part of the figure
            client = redis.Redis(port=server.port)
            server.client = client
            loaded = used_memory(client)
            print(json.dumps({"match": ARGS.match, "library": lib, "variant": variant,
                              "keys": len(family), "kept_as_stored": refused,
                              "dataset_bytes": loaded - empty,
                              "redis_keys": client.dbsize()}), flush=True)
        finally:
            server.close()


if __name__ == "__main__":
    sys.exit(main())
