"""Fills a Redis database with families written by libraries other than dogpile, through the
real, unmodified libraries, for whatif's library-setting rows (compression, serializer
swaps) and their check against re-priming (reprime_library.py):

- django-redis, pickle serializer, no compressor: product pages (html and a price list),
  one in 20 holding a datetime (json and msgpack cannot carry it);
- django-redis, json serializer: user settings;
- django-redis, zlib compressor: feeds;
- celery's redis result backend: task results (json);
- Flask-Caching's RedisCache: memoized recommendations (`!` + pickle).

Usage: fill_compressed.py --port PORT [--db N] [--keys N] [--seed S]
Prints one JSON line with the families and the keys in the database.
"""
import argparse
import datetime
import json
import random
import sys
import uuid

import redis

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--db", type=int, default=0)
parser.add_argument("--keys", type=int, default=3000)
parser.add_argument("--seed", type=int, default=23)
ARGS = parser.parse_args()
URL = f"redis://{ARGS.host}:{ARGS.port}/{ARGS.db}"
RNG = random.Random(ARGS.seed)
HOUR = 3600
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray").split()


def share(weight):
    return max(3, int(ARGS.keys * weight))


def text(lo, hi):
    return " ".join(RNG.choice(WORDS) for _ in range(RNG.randint(lo, hi)))


def django():
    import django as dj
    from django.conf import settings

    def cache(prefix, **options):
        return {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": URL,
                "KEY_PREFIX": prefix, "TIMEOUT": 4 * HOUR, "OPTIONS": options}

    settings.configure(CACHES={
        "default": cache("shop"),
        "api": cache("api", SERIALIZER="django_redis.serializers.json.JSONSerializer"),
        "feeds": cache("feeds", COMPRESSOR="django_redis.compressors.zlib.ZlibCompressor"),
    }, USE_TZ=True)
    dj.setup()
    from django.core.cache import caches

    for i in range(share(0.35)):
        page = {"html": "<div class=\"product\">" + text(20, 150) + "</div>",
                "prices": [round(RNG.uniform(1, 500), 2) for _ in range(RNG.randint(1, 6))],
                "etag": uuid.UUID(int=RNG.getrandbits(128)).hex}
        if i % 20 == 3:
            page["updated"] = datetime.datetime(2026, 11, RNG.randint(1, 30), RNG.randint(0, 23),
                                                tzinfo=datetime.timezone.utc)
        caches["default"].set(f"product_page:{i}", page)
    for i in range(share(0.15)):
        caches["api"].set(f"user_settings:{i}", {"theme": RNG.choice(["dark", "light"]),
                                                 "lang": RNG.choice(["en", "de", "fr"]),
                                                 "notify": RNG.random() < 0.5,
                                                 "about": text(0, 12)})
    for i in range(share(0.15)):
        feed = [{"id": RNG.randint(1, 10**6), "title": text(3, 8), "body": text(10, 40)}
                for _ in range(RNG.randint(3, 12))]
        caches["feeds"].set(f"feed:{i}", feed)


def celery():
    from celery import Celery

    app = Celery("shop", backend=URL, broker="memory://")
    app.conf.result_expires = 24 * HOUR
    for _ in range(share(0.2)):
        app.backend.store_result(str(uuid.UUID(int=RNG.getrandbits(128), version=4)),
                                 {"rows": RNG.randint(0, 10**4), "file": text(1, 3),
                                  "notes": text(0, 25)}, "SUCCESS")


def flask():
    from flask import Flask
    from flask_caching import Cache

    app = Flask("shop")
    cache = Cache(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": URL,
                               "CACHE_KEY_PREFIX": "flask_cache_", "CACHE_DEFAULT_TIMEOUT": HOUR})

    @cache.memoize()
    def recommendations(user_id):
        return [{"sku": RNG.randint(1, 10**5), "score": RNG.random(), "title": text(2, 6)}
                for _ in range(8)]

    with app.app_context():
        for i in range(share(0.15)):
            recommendations(i)


def main():
    families = ["django", "celery", "flask"]
    for f in families:
        globals()[f]()
    client = redis.Redis(host=ARGS.host, port=ARGS.port, db=ARGS.db)
    print(json.dumps({"families": families, "dbsize": client.dbsize(), "db": ARGS.db}))


if __name__ == "__main__":
    sys.exit(main())
