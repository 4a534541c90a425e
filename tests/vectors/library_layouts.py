#!/usr/bin/env python3
"""Writes tests/fixtures/library-layouts.json.gz: what the real Python cache libraries store for
a set of fixture values, so that redisadv's compressors and serializer swaps are checked
against them byte for byte (tests/it/library_layouts.rs) without Python at test time.

Run through library_layouts.sh, which makes a virtualenv with django-redis 7.0.0, lz4,
pyzstd, msgpack 1.2.4 and celery 5.7.0. The file (gzip, mtime 0) holds one JSON object:
  {"versions": {...},
   "compress": [{"input": hex, "<compressor>": hex of django-redis's Compressor.compress(),
                 "celery_zlib": hex of celery's compress_payload(input, "zlib")}],
   "serialize": [{"literal": repr(value), "pickle": hex (django-redis's PickleSerializer),
                  "json": hex or null (JSONSerializer; null when it raises or would change
                  the value on the way back), "msgpack": hex or null (MSGPackSerializer)}],
   "unencodable": [{"pickle": hex, "type": "module.qualname"}]}
"""
import datetime
import decimal
import gzip
import json
import lzma
import random
import sys
import uuid

import django
import lz4
import msgpack
import pyzstd
from django.conf import settings

settings.configure()
django.setup()

from celery.backends.base import compress_payload  # noqa: E402
from django_redis.compressors.lz4 import Lz4Compressor  # noqa: E402
from django_redis.compressors.lzma import LzmaCompressor  # noqa: E402
from django_redis.compressors.zlib import ZlibCompressor  # noqa: E402
from django_redis.compressors.zstd import ZStdCompressor  # noqa: E402
from django_redis.serializers.json import JSONSerializer  # noqa: E402
from django_redis.serializers.msgpack import MSGPackSerializer  # noqa: E402
from django_redis.serializers.pickle import PickleSerializer  # noqa: E402

RNG = random.Random(23)
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
COMPRESSORS = {
    "zlib": ZlibCompressor({}),
    "lz4": Lz4Compressor({}),
    "zstd": ZStdCompressor({}),
    "lzma": LzmaCompressor({}),
}


def text(n):
    return " ".join(RNG.choice(WORDS) for _ in range(n))


def inputs():
    """Byte strings around every min_length (15, 100) and across lz4's 64 KiB blocks."""
    out = [b"", b"x", bytes(range(15)), bytes(range(16)), b"a" * 16, b"a" * 100, b"a" * 101]
    out += [text(n).encode() for n in (3, 20, 200, 2000)]
    out.append(bytes(RNG.getrandbits(8) for _ in range(300)))  # incompressible
    out.append(text(11000).encode())  # ~70 KB: two lz4 blocks, linked
    out.append(PickleSerializer({}).dumps({"html": "<div>" + text(80) + "</div>"}))
    return out


def values():
    """Values django-redis caches (what redisadv's payload model can carry)."""
    return [
        {"theme": "dark", "lang": "en", "notify": True},
        [{"id": i, "title": text(4), "score": RNG.random()} for i in range(5)],
        {"html": "<div>" + text(60) + "</div>", "etag": uuid.UUID(int=7).hex},
        "caf\u00e9 \u2603 " + text(5),
        (1, 2.5, None, False),
        {"nested": {"a": [1, 2, {"b": -(2**40)}]}, "empty": {}, "f": 1e-05},
        b"\x00\x01 raw",
        {1: "int key"},
        3.0,
        True,
        None,
    ]


def lossless(dumps, loads, value):
    """The library's bytes, or None when it raises or the value would not come back equal."""
    try:
        b = dumps(value)
    except (TypeError, ValueError):
        return None
    try:
        if loads(b) != value or type(loads(b)) is not type(value):
            return None
    except Exception:
        return None
    return b.hex()


def main(path):
    pick, js, mp = PickleSerializer({}), JSONSerializer({}), MSGPackSerializer({})
    doc = {
        "versions": {
            "django_redis": __import__("django_redis").__version__,
            "lz4_library": lz4.library_version_string(),
            "zstd_library": pyzstd.zstd_version,
            "msgpack": msgpack.version,
            "python": sys.version.split()[0],
            "lzma": lzma.__name__,
        },
        "compress": [],
        "serialize": [],
        "unencodable": [],
    }
    for data in inputs():
        row = {"input": data.hex()}
        for name, c in COMPRESSORS.items():
            row[name] = c.compress(data).hex()
        row["celery_zlib"] = compress_payload(data, "zlib").hex()
        doc["compress"].append(row)
    for v in values():
        doc["serialize"].append({
            "literal": repr(v),
            "pickle": pick.dumps(v).hex(),
            "json": lossless(js.dumps, js.loads, v),
            "msgpack": lossless(mp.dumps, mp.loads, v),
        })
    when = datetime.datetime(2026, 12, 3, 23, 0, tzinfo=datetime.timezone.utc)
    for v, name in [
        ({"when": when, "user": 7}, "datetime.datetime"),
        ([1, 2, decimal.Decimal("9.99")], "decimal.Decimal"),
        (datetime.date(2026, 1, 1), "datetime.date"),
        ({"id": uuid.UUID(int=5)}, "uuid.UUID"),
    ]:
        doc["unencodable"].append({"pickle": pick.dumps(v).hex(), "type": name})
    with open(path, "wb") as f:
        f.write(gzip.compress(json.dumps(doc, indent=1).encode() + b"\n", mtime=0))


if __name__ == "__main__":
    main(sys.argv[1])
