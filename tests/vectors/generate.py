#!/usr/bin/env python3
"""Writes tests/vectors/codec.jsonl.gz: what real CPython stores for each payload and format.

Run through generate.sh, which makes a virtualenv with msgpack 1.2.4 and dogpile.cache 0.9.2
(for the legacy CachedValue). Each line is one JSON object:
  {"literal": repr(payload), "ct": ..., "v": ..., "formats": [
     {"codec", "envelope", "protocol", "hex": stored bytes} or {..., "error": "TypeError: .."}
     when Python refuses; "decoded": repr(what Python's loads gives back) where that differs
     from the literal, or "decode_error"]}
Formats with "decode_only": true are pickles of protocols 0 and 1, for the reader only.

Values are rebuilt by fresh() so that no object is shared, except the singletons CPython
keeps on its own ('', one-character Latin-1 str, b'', one-byte bytes): redisadv treats equal
values as distinct objects, as values built at run time are.
"""
import gzip
import json
import math
import pickle
import random
import sys

import msgpack
from dogpile.cache.api import CachedValue

CTS = [1795593845.0916238, 1795593971.567321, 1795594009.0, 1e9, 1700000000.1]


def fresh(v):
    if isinstance(v, str):
        return "".join([c for c in v])  # a new object, not an interned one
    if isinstance(v, bytes):
        return bytes(bytearray(v))
    if isinstance(v, list):
        return [fresh(x) for x in v]
    if isinstance(v, tuple):
        return tuple(fresh(x) for x in v)
    if isinstance(v, dict):
        return {fresh(k): fresh(x) for k, x in v.items()}
    return v


def ints():
    out = [0, 1, -1, 10, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768,
           -32769, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32 - 1, 2**32, 2**63 - 1, 2**63,
           2**64 - 1, 2**64, -2**63, -2**63 - 1, -2**64, 2**100, -2**100, 2**2039 - 1,
           2**2039, -2**2039, -2**2039 - 1, 2**2100, 398601, 9999990]
    for bits in range(1, 70):
        out += [2**bits - 1, 2**bits, -2**bits, -2**bits - 1]
    return out


def floats():
    return [0.0, -0.0, 1e-05, 0.0001, 1e16, 1e15, 1.5e16, float("inf"), float("-inf"),
            float("nan"), 1.5, 0.1, 5e-324, 1.7976931348623157e308, 1795593491.5240686,
            -2.5e-10, 123456789012345680.0, 1e22, 1e-7, 3.141592653589793]


def strings(rng):
    out = ["", "a", "v", "é", "€", "😀", "fizzbuzz", "qkknasdkk", "it's", 'say "hi"', "both ' \"",
           "back\\slash", "tab\tnew\nline\r", "\x00\x01\x1f\x7f\x80\x9f\xa0\xad", "\u2028\ufeff",
           "\ud7ff\ue000\uffff", "mixé😀€", "/</script>"]
    for n in (31, 32, 33, 127, 128, 255, 256, 257, 65535, 65536, 70000):
        out.append("x" * n)
    for n in (10, 85, 86, 127, 128, 300, 22000):
        out.append("é" * n)
    for n in (1, 63, 64, 16384, 16385):
        out.append("😀" * n)
    for _ in range(60):
        alphabet = rng.choice(["abc", "aé€😀\n\"'\\", "".join(map(chr, range(0, 300)))])
        out.append("".join(rng.choice(alphabet) for _ in range(rng.choice([2, 5, 40, 300]))))
    return out


def byteses(rng):
    out = [b"", b"\x00", b"x", b"\xff", b"ab", b"it's", b'"', b"\\\n\r\t"]
    for n in (31, 32, 255, 256, 65535, 65536, 70000):
        out.append(bytes(rng.randrange(256) for _ in range(n)))
    for _ in range(20):
        out.append(bytes(rng.randrange(256) for _ in range(rng.choice([2, 7, 100]))))
    return out


def containers(rng):
    out = []
    for n in (0, 1, 2, 3, 4, 15, 16, 17, 999, 1000, 1001, 2000, 2001, 2500):
        out.append(list(range(n)))
        out.append(tuple(range(n)))
        out.append({f"k{i}": i for i in range(n)})
    out.append(list(range(65536)))
    out.append({i: 0 for i in range(65536)})
    out.append([str(i) * 3 for i in range(300)])  # memo past 256 entries
    out.append([("x" * 1000 + str(i)) for i in range(200)])  # several 64 KiB frames
    out.append(["a", "a", "b", "", "", "v"])  # CPython's own singletons
    out.append([b"x", b"x", b"", b"", b"xy", b"xy"])
    out.append([b"a", "a", b"\xe9", "\xe9"])
    out.append({1: "int", 2.5: "float", True: "bool", None: "none", "s": "str", -7: 1})
    out.append({(1, 2): "tuple key"})
    out.append({b"k": "bytes key"})
    out.append(("x" * 70000, "after", b"y" * 70000, 1))
    nested = 0
    for _ in range(200):
        nested = [nested]
    out.append(nested)
    nested = "leaf"
    for i in range(100):
        nested = {"d": nested, "t": (i,)} if i % 2 else [nested, (i, None)]
    out.append(nested)
    return out


def random_value(rng, depth=0):
    r = rng.random()
    if depth > 4 or r < 0.35:
        kind = rng.randrange(7)
        if kind == 0:
            return rng.randint(-2**70, 2**70) if rng.random() < 0.2 else rng.randint(-70000, 70000)
        if kind == 1:
            return rng.uniform(-1e6, 1e6) if rng.random() < 0.5 else rng.random() * 10 ** rng.randint(-30, 30)
        if kind == 2:
            return "".join(rng.choice("abcé€😀'\"\\\n") for _ in range(rng.randint(0, 40)))
        if kind == 3:
            return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        return [None, True, False][kind - 4]
    if r < 0.55:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    if r < 0.7:
        return tuple(random_value(rng, depth + 1) for _ in range(rng.randint(0, 5)))
    keys = [rng.choice([f"k{rng.randint(0, 99)}", rng.randint(-5, 500), None, 1.5])
            for _ in range(rng.randint(0, 6))]
    return {k: random_value(rng, depth + 1) for k in keys}


def demo_payloads():
    out = [x * 10 for x in (0, 1, 100, 1000, 99999, 999999)]
    for pfx in ("foo", "foobar", "foobarbiz", "foobarbizbash", "foobarbizbashfizzbuzz", "fizzbuzz"):
        for x in (0, 1, 999, 9999):
            out.append({"one": x * 399, "two": pfx})
    out += ["qkknasdkk", "kehzipqyfnslhtqnzjsgqolf", "7124n9jasdgqbozjayqkdhag", "61jkansd89asd"]
    return out


def outcome(fn):
    try:
        return {"hex": fn().hex()}
    except Exception as e:  # noqa: BLE001 - Python's refusal is the expected vector
        return {"error": f"{type(e).__name__}: {e}"}


def decoded(loads, data):
    try:
        return {"decoded": repr(loads(data))}
    except Exception as e:  # noqa: BLE001
        return {"decode_error": f"{type(e).__name__}: {e}"}


def main():
    rng = random.Random(20261125)
    values = demo_payloads() + ints() + floats() + strings(rng) + byteses(rng) + containers(rng)
    while len(values) < 1400:
        values.append(random_value(rng))
    lines = []
    packb = lambda v: msgpack.packb(v)  # noqa: E731 - defaults, use_bin_type=True
    unpackb = lambda b: msgpack.unpackb(b, strict_map_key=False)  # noqa: E731
    for i, value in enumerate(values):
        literal = repr(value)
        big = len(literal) > 20000
        ct = CTS[i % len(CTS)]
        v = 2 if i % 3 else 1
        meta = {"ct": ct, "v": v}
        rows = []
        for proto in (2, 3, 4, 5):
            rows.append(("pickle", "raw", proto, lambda p=proto: pickle.dumps(fresh(value), p),
                         pickle.loads))
        rows.append(("json", "raw", None, lambda: json.dumps(fresh(value)).encode(), json.loads))
        rows.append(("msgpack", "raw", None, lambda: packb(fresh(value)), unpackb))
        if not big:
            # dogpile.cache >= 1.1: json metadata, "|", the serialized payload.
            head = json.dumps(meta).encode() + b"|"
            rows += [
                ("pickle", "dogpile", 4, lambda: head + pickle.dumps(fresh(value)), None),
                ("json", "dogpile", None, lambda: head + json.dumps(fresh(value)).encode(), None),
                ("msgpack", "dogpile", None, lambda: head + packb(fresh(value)), None),
                ("pickle", "tuple", 5, lambda: pickle.dumps(
                    CachedValue(fresh(value), {"ct": ct, "v": v}), pickle.HIGHEST_PROTOCOL), None),
                ("json", "tuple", None, lambda: json.dumps([fresh(value), dict(meta)]).encode(), None),
                ("msgpack", "tuple", None, lambda: packb([fresh(value), dict(meta)]), None),
                ("json", "int_time", None, lambda: json.dumps([fresh(value), int(ct)]).encode(), None),
                ("msgpack", "int_time", None, lambda: packb([fresh(value), int(ct)]), None),
                ("pickle", "int_time", 4, lambda: pickle.dumps([fresh(value), int(ct)]), None),
            ]
            if i % 7 == 0:
                rows.append(("pickle", "tuple", 2, lambda: pickle.dumps(
                    CachedValue(fresh(value), {"ct": ct, "v": v}), 2), None))
        formats = []
        for codec, envelope, proto, fn, loads in rows:
            row = {"codec": codec, "envelope": envelope, "protocol": proto}
            row.update(outcome(fn))
            if loads is not None and "hex" in row:
                row.update(decoded(loads, bytes.fromhex(row["hex"])))
            formats.append(row)
        if not big:
            for proto in (0, 1):
                data = pickle.dumps(fresh(value), proto)
                row = {"codec": "pickle", "envelope": "raw", "protocol": proto,
                       "decode_only": True, "hex": data.hex()}
                row.update(decoded(pickle.loads, data))
                formats.append(row)
        for row in formats:
            if row.get("decoded") == literal:
                del row["decoded"]  # the common case: Python reads back what it wrote
        lines.append({"literal": literal, "ct": ct, "v": v, "formats": formats})
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/codec.jsonl.gz"
    # mtime=0 keeps the file byte-identical from run to run.
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        for row in lines:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass"))
    print(f"{len(values)} values, {sum(len(l['formats']) for l in lines)} vectors -> {out}")


if __name__ == "__main__":
    main()
