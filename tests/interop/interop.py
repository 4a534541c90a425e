"""Both directions between redisadv and a real dogpile.cache 1.5 region, for every variant
of the demo table (scenarios/interop.toml).

Rust -> Python: `redisadv bench --url ... --keep` primes a database; a dogpile region (with
a ProxyBackend where the format is not dogpile's own) reads every record back.
Python -> Rust: the region writes the same records into an empty database; `redisadv get`
reads them through the Rust backend.

Usage: interop.py REDISADV_BINARY PORT
"""
import json
import pickle
import subprocess
import sys
import time

import msgpack
from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE, CachedValue
from dogpile.cache.proxy import ProxyBackend

REDISADV, PORT = sys.argv[1], int(sys.argv[2])
SCENARIO = "scenarios/interop.toml"
FIXED_CT = 1795593845.0916238
TTL = 3600
MAX_A, MAX_B = 1000, 10
DICT_PREFIXES = ["foo", "foobar", "foobarbiz", "foobarbizbash", "foobarbizbashfizzbuzz", "fizzbuzz"]
STR_PREFIXES = ["qkknasdkk", "kehzipqyfnslhtqnzjsgqolf", "7124n9jasdgqbozjayqkdhag", "61jkansd89asd"]

# name: (codec, envelope, redis ttl, layout)
VARIANTS = {
    "region_redis": ("pickle", "dogpile", True, "keys"),
    "region_redis_local": ("pickle", "dogpile", False, "keys"),
    "region_msgpack": ("msgpack", "tuple", True, "keys"),
    "region_msgpack_local": ("msgpack", "tuple", False, "keys"),
    "region_msgpack_local_int": ("msgpack", "int_time", False, "keys"),
    "region_msgpack_raw": ("msgpack", "raw", True, "keys"),
    "region_msgpack_raw_local": ("msgpack", "raw", False, "keys"),
    "region_msgpack_raw_hash": ("msgpack", "raw", True, "hash"),
    "region_json": ("json", "tuple", True, "keys"),
    "region_json_local": ("json", "tuple", False, "keys"),
    "region_json_local_int": ("json", "int_time", False, "keys"),
    "region_json_raw": ("json", "raw", True, "keys"),
    "region_json_raw_local": ("json", "raw", False, "keys"),
    "region_json_raw_hash": ("json", "raw", True, "hash"),
    "region_redis_legacy": ("pickle", "tuple", True, "keys"),
    "region_redis_local_legacy": ("pickle", "tuple", False, "keys"),
}


def demo_records(layout):
    """(key, payload) of the demo dataset at max_a=1000, max_b=10, as the plugin demo."""
    out = []
    for x in range(MAX_A):
        key = (str(x - x % 100), str(x)) if layout == "hash" else str(x)
        out.append((key, x * 10))
    for pfx in DICT_PREFIXES:
        for x in range(MAX_B):
            key = (pfx, str(x)) if layout == "hash" else f"{pfx}|{x}"
            out.append((key, {"one": x * 399, "two": pfx}))
    for pfx in STR_PREFIXES:
        for i in range(MAX_B):
            key = (pfx, str(i)) if layout == "hash" else f"{pfx}|{i}"
            out.append((key, pfx))
    return out


class LegacyCachedValue:
    """Pickles exactly as dogpile.cache 0.9.2's CachedValue did: the class, then REDUCE on
    (payload, metadata). dogpile 1.5's CachedValue has the same import path."""

    def __init__(self, payload, metadata):
        self.payload, self.metadata = payload, metadata

    def __reduce__(self):
        return CachedValue, (self.payload, self.metadata)


def codec_funcs(codec):
    if codec == "msgpack":
        return msgpack.packb, lambda b: msgpack.unpackb(b, strict_map_key=False)
    if codec == "json":
        return (lambda v: json.dumps(v).encode()), json.loads
    return pickle.dumps, pickle.loads


class FormatProxy(ProxyBackend):
    """The plugin's value formats and hstore layout on top of dogpile's redis backend."""

    def __init__(self, codec, envelope, ttl, layout):
        super().__init__()
        self.codec, self.envelope, self.ttl, self.layout = codec, envelope, ttl, layout
        self.dumps, self.loads = codec_funcs(codec)

    def encode(self, value):
        payload, meta = value.payload, value.metadata
        if self.envelope == "raw":
            return self.dumps(payload)
        if self.envelope == "int_time":
            return self.dumps([payload, int(meta["ct"])])
        if self.codec == "pickle":  # legacy tuple
            return pickle.dumps(LegacyCachedValue(payload, {"ct": meta["ct"], "v": 1}), pickle.HIGHEST_PROTOCOL)
        return self.dumps([payload, meta])

    def decode(self, raw):
        if raw is NO_VALUE or raw is None:
            return NO_VALUE
        if self.envelope == "raw":
            return CachedValue(self.loads(raw), {"ct": time.time(), "v": 2})
        data = self.loads(raw)
        if self.envelope == "int_time":
            return CachedValue(data[0], {"ct": float(data[1]), "v": 2})
        if isinstance(data, CachedValue):
            return data
        return CachedValue(data[0], data[1])

    # plain keys go through dogpile's redis backend; tuple keys are HSET bucket field
    def _client(self):
        return self.proxied.writer_client

    def get(self, key):
        return self.get_multi([key])[0]

    def get_multi(self, keys):
        if self.layout != "hash":
            return [self.decode(v) for v in self.proxied.get_serialized_multi(keys)]
        pipe = self._client().pipeline()
        for bucket, field in keys:
            pipe.hget(bucket, field)
        return [self.decode(v) for v in pipe.execute()]

    def set(self, key, value):
        self.set_multi({key: value})

    def set_multi(self, mapping):
        if self.layout != "hash":
            self.proxied.set_serialized_multi({k: self.encode(v) for k, v in mapping.items()})
            return
        buckets = {}
        for (bucket, field), value in mapping.items():
            buckets.setdefault(bucket, {})[field] = self.encode(value)
        client = self._client()
        pipe = client.pipeline()
        for bucket in buckets:
            pipe.exists(bucket)
        existed = dict(zip(buckets, pipe.execute()))
        pipe = client.pipeline()
        for bucket, fields in buckets.items():
            pipe.hset(bucket, mapping=fields)
            if self.ttl and not existed[bucket]:
                pipe.expire(bucket, self.ttl)
        pipe.execute()


def redis_backend(region):
    """dogpile's RedisBackend under any proxy."""
    backend = region.backend
    while isinstance(backend, ProxyBackend):
        backend = backend.proxied
    return backend


def region_for(name, db):
    codec, envelope, ttl, layout = VARIANTS[name]
    region = make_region().configure(
        "dogpile.cache.redis",
        expiration_time=3600,
        arguments={"host": "127.0.0.1", "port": PORT, "db": db, "redis_expiration_time": TTL if ttl else 0},
        wrap=[] if (codec, envelope) == ("pickle", "dogpile") else [FormatProxy(codec, envelope, TTL if ttl else 0, layout)],
    )
    if (codec, envelope) != ("pickle", "dogpile"):
        # The proxy serializes whole CachedValues itself.
        region.serializer = region.deserializer = None
    return region


def main():
    failures = []
    for db, name in enumerate(VARIANTS, start=1):
        codec, envelope, ttl, layout = VARIANTS[name]
        records = demo_records(layout)
        url = f"redis://127.0.0.1:{PORT}/{db}"

        # Rust writes, Python reads.
        subprocess.run([REDISADV, "bench", SCENARIO, "--only", name, "--url", url, "--keep", "--quiet",
                        "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
        region = region_for(name, db)
        keys = [k for k, _ in records]
        payloads = region.get_multi(keys, ignore_expiration=True)
        bad = sum(1 for (_, payload), got in zip(records, payloads) if got is NO_VALUE or got != payload)
        # Metadata as the region sees it (the plugin fakes it for raw and int_time values).
        for key in keys[::50]:
            meta = region.get_value_metadata(key, ignore_expiration=True).metadata
            if envelope in ("dogpile", "tuple") and meta["ct"] != FIXED_CT:
                bad += 1
            elif envelope == "int_time" and meta["ct"] != float(int(FIXED_CT)):
                bad += 1
        # A read-through get of one record written by redisadv.
        sample_key, sample_payload = records[1]
        if region.get(sample_key, ignore_expiration=True) != sample_payload:
            bad += 1
        print(f"{name}: Python read {len(records) - bad}/{len(records)} records written by redisadv")
        if bad:
            failures.append(f"{name}: Python read {bad} records wrongly")

        # Python writes, Rust reads.
        redis_backend(region).writer_client.flushdb()
        for i in range(0, len(records), 100):
            region.set_multi(dict(records[i:i + 100]))
        keys = [f"{k[0]},{k[1]}" if layout == "hash" else k for k, _ in records]
        out = subprocess.run([REDISADV, "get", "--url", url, "--codec", codec, "--envelope", envelope,
                              "--layout", layout], input="\n".join(keys), capture_output=True, text=True,
                             check=True).stdout.splitlines()
        bad = sum(1 for (_, payload), line in zip(records, out) if line.split("\t")[0] != repr(payload))
        bad += abs(len(out) - len(records))
        print(f"{name}: redisadv read {len(records) - bad}/{len(records)} records written by dogpile")
        if bad:
            failures.append(f"{name}: redisadv read {bad} records wrongly")
        redis_backend(region).writer_client.flushdb()

    if failures:
        print("FAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print(f"interop: {len(VARIANTS)} variants, both directions, all records equal")


if __name__ == "__main__":
    main()
