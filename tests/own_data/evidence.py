"""The evidence tables of docs/inspect-whatif.md, from a server filled by run.sh.

1. `inspect --all`: every family on its own line, against an independent redis-py count
   (count.py's SCAN MATCH + MEMORY USAGE SAMPLES 0) of the same glob.
2. For each family in --whatif: `whatif --sample N` projections against re-priming the whole
   family through the real libraries (reprime.py), and the recommendation whatif prints.

Prints Markdown. Run with the fixture's virtualenv python (target/own-data-venv/bin/python).

Usage: evidence.py --port PORT --redisadv BIN [--whatif 'shop.catalog*,pages:*'] [--sample 800]
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--redisadv", required=True)
parser.add_argument("--whatif", default="")
parser.add_argument("--sample", type=int, default=800)
parser.add_argument("--variants", default="region_redis,region_msgpack_raw,"
                    "region_msgpack_raw_hash,region_json_raw")
ARGS = parser.parse_args()
URL = f"redis://127.0.0.1:{ARGS.port}/0"


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def count(glob):
    line = run([sys.executable, os.path.join(HERE, "count.py"), "--port", str(ARGS.port),
                "--match", glob]).strip().splitlines()[-1]
    return json.loads(line)


def globs_of(pattern):
    """SCAN's glob for an inspect pattern (each placeholder a `*`, backslash escapes), and the
    same for fnmatch (bracket escapes)."""
    redis_glob, py_glob, depth = "", "", 0
    for ch in pattern:
        if ch == "{":
            depth += 1
            if depth == 1:
                redis_glob += "*"
                py_glob += "*"
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            special = ch in "[]*?\\"
            redis_glob += "\\" + ch if special else ch
            py_glob += "[" + ch + "]" if special else ch
    return redis_glob, py_glob


def inspect_table():
    report = json.loads(run([ARGS.redisadv, "inspect", "--url", URL, "--all", "--top", "1000",
                             "--format", "json", "--quiet", "--max-ops", "0"]))
    rows = report["patterns"]
    other = report["other"]["keys"] if report.get("other") else 0
    print(f"`inspect --all`: {len(rows)} patterns, {report['keys_inspected']} keys, "
          f"{other:.0f} in other\n")
    print("| pattern | keys | MEMORY USAGE | redis-py glob | keys | MEMORY USAGE | formats |")
    print("|---|---:|---:|---|---:|---:|---|")
    for r in rows:
        redis_glob, py_glob = globs_of(r["pattern"])
        truth = count(redis_glob)
        # The glob may also match keys of other rows (flask_cache_* holds the cached views):
        # redis-py's count is compared with the sum of every row whose keys it matches.
        covered = [x for x in rows if fnmatch.fnmatchcase(x["example"], py_glob)]
        keys = sum(x["keys"] for x in covered)
        memory = sum(x["memory_usage_bytes"] for x in covered)
        same = truth["keys"] == keys and truth["memory"] == memory
        summed = f" (+{len(covered) - 1} rows)" if len(covered) > 1 else ""
        formats = ", ".join(f"{k} {v}" for k, v in sorted(r["formats"].items(),
                                                          key=lambda kv: -kv[1])[:2])
        name = r["pattern"].replace("|", "\\|")
        shown_glob = redis_glob.replace("|", "\\|")
        print(f"| `{name}` | {r['keys']:.0f} | {r['memory_usage_bytes']:.0f} | `{shown_glob}`"
              f"{summed} | {truth['keys']} | {truth['memory']:.0f}"
              f"{' =' if same else ' DIFFERS'} | {formats} |")


def whatif_table(globs):
    print("\n| family | variant | whatif projected | re-primed whole family | difference "
          "| inside ±? |")
    print("|---|---|---:|---:|---:|---|")
    recommendations = []
    for glob in globs:
        report = json.loads(run([ARGS.redisadv, "whatif", "--url", URL, "--match", glob,
                                 "--sample", str(ARGS.sample), "--only", ARGS.variants,
                                 "--format", "json", "-q"]))
        recommendations.append(report.get("recommendation", ""))
        truth = {}
        for line in run([sys.executable, os.path.join(HERE, "reprime.py"), "--port",
                         str(ARGS.port), "--match", glob, "--variants",
                         "as_stored," + ARGS.variants]).splitlines():
            j = json.loads(line)
            truth[j["variant"]] = j
        rows = [report["as_stored"], *report["variants"]]
        for p in rows:
            name = "as_stored" if p["variant"] == "as stored today" else p["variant"]
            t = truth.get(name)
            if t is None:
                continue
            projected, ci = p["projected_bytes"], p["projected_ci95"]
            real = t["dataset_bytes"]
            diff = 100.0 * (projected / real - 1.0)
            inside = "yes" if abs(projected - real) <= ci else "no"
            print(f"| `{glob}` ({t['keys']} keys) | {name} | {projected / 1e6:.3f} MB "
                  f"±{ci / 1e6:.3f} ({p['bytes_per_record']:.2f} B/rec) | {real / 1e6:.3f} MB "
                  f"({t['per_record']:.2f} B/rec) | {diff:+.2f}% | {inside} |")
    print()
    for r in recommendations:
        print(f"- {r}")


def main():
    inspect_table()
    globs = [g for g in ARGS.whatif.split(",") if g]
    if globs:
        whatif_table(globs)


if __name__ == "__main__":
    sys.exit(main())
