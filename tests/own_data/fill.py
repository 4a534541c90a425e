"""Fills a Redis database the way a small Python application does, through real, unmodified
libraries (pinned in requirements.txt), so `inspect` and `whatif` are tried on data they did
not write themselves:

- dogpile.cache 1.5 with dogpile_backend_redis_advanced: the plain backend (dogpile's own
  pickle envelope, with and without a Redis TTL), the already_serialized backend with a
  msgpack payload-only proxy ("msgpack raw"), and the hstore backend (hash buckets);
- django-redis with its pickle serializer, its zlib compressor and its json serializer, and
  Django's cache sessions;
- Flask-Caching's RedisCache (memoize and cached views);
- rq jobs (queued, and some run by a burst worker, whose results are streams);
- celery's redis result backend (results stored without a broker or worker);
- plain redis-py lists, sets, sorted sets, streams, counters, hashes and a few large strings;
- more libraries a user may have: huey's queue, dramatiq's broker, kombu's bindings,
  queue and unacked messages (a consumer that never acked), aiocache's decorator, cachelib's
  RedisCache, Django's cached_db sessions, django-redis with a KEY_PREFIX and a VERSION,
  django-ratelimit, limits (fixed and moving windows by client address) and redis-py's Lock;
- a dogpile family with 74-byte keys and small msgpack integers (the hash layout's case).

Usage: fill.py --port PORT [--db N] [--keys N] [--seed S]
--keys is the rough total (default 3000; ~100000 for a report). Prints one JSON line with the
families written and the keys in the database.
"""
import argparse
import json
import random
import sys
import uuid

import msgpack
import redis

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--db", type=int, default=0)
parser.add_argument("--keys", type=int, default=3000)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--inventory", type=int, default=None,
                    help="keys in the shop.inventory family (default: 3%% of --keys)")
ARGS = parser.parse_args()
URL = f"redis://{ARGS.host}:{ARGS.port}/{ARGS.db}"
RNG = random.Random(ARGS.seed)
CLIENT = redis.Redis(host=ARGS.host, port=ARGS.port, db=ARGS.db)
HOUR = 3600

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray").split()


def share(weight):
    """Records for a family weighing `weight` of --keys (at least 3)."""
    return max(3, int(ARGS.keys * weight))


def text(lo, hi):
    return " ".join(RNG.choice(WORDS) for _ in range(RNG.randint(lo, hi)))


def product(i):
    return {
        "id": i,
        "name": text(2, 5).title(),
        "price": round(RNG.uniform(1, 500), 2),
        "tags": [RNG.choice(WORDS) for _ in range(RNG.randint(0, 6))],
        "description": text(5, 60),
        "in_stock": RNG.random() < 0.8,
    }


def ip(i):
    """A client address: several per /24, as a rate limiter sees them."""
    return f"10.{(i // 65536) % 256}.{(i // 256) % 256}.{i % 256}"


def rid():
    """A random UUID from the seeded generator (repeatable fills)."""
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


# --- dogpile.cache with dogpile_backend_redis_advanced ---------------------------------------
def dogpile():
    import dogpile_backend_redis_advanced  # noqa: F401  (registers the backends)
    from dogpile.cache import make_region
    from dogpile_backend_redis_advanced.cache.serializers import (
        _CustomSerializerNoMetaProxyBackend,
    )

    base = {"host": ARGS.host, "port": ARGS.port, "db": ARGS.db}

    class MsgpackRaw(_CustomSerializerNoMetaProxyBackend):
        """The plugin's payload-only proxy with msgpack, as its README shows."""

        def _serialize(self, value):
            return msgpack.packb(value, use_bin_type=True)

        def _deserialize(self, raw):
            return msgpack.unpackb(raw, raw=False)

    def named(module, name, fn):
        fn.__module__, fn.__name__, fn.__qualname__ = module, name, name
        return fn

    def batched(region, module, name, make, count, **kw):
        """`count` records through the region's cache_multi_on_arguments, 100 per call."""
        fn = named(module, name, lambda *ids: [make(i) for i in ids])
        cached = region.cache_multi_on_arguments(**kw)(fn)
        for start in range(0, count, 100):
            cached(*range(start, min(count, start + 100)))

    plain = make_region().configure(
        "dogpile_backend_redis_advanced", expiration_time=HOUR,
        arguments={**base, "redis_expiration_time": 2 * HOUR})
    batched(plain, "shop.catalog", "get_product", product, share(0.16))

    forever = make_region().configure(
        "dogpile_backend_redis_advanced", expiration_time=HOUR, arguments=dict(base))
    batched(forever, "shop.users", "get_profile",
            lambda uid: {"uid": uid, "name": text(2, 3), "bio": text(0, 30)}, share(0.06))

    raw = make_region().configure(
        "dogpile_backend_redis_advanced.already_serialized", expiration_time=HOUR,
        arguments={**base, "redis_expiration_time": 2 * HOUR}, wrap=[MsgpackRaw])
    # One call per record: the plugin's proxies replace the values of set_multi's mapping
    # in place, which dogpile 1.5's get_or_create_multi then reads back as CachedValues.
    get_stock = raw.cache_on_arguments()(named(
        "shop.stock", "get_stock",
        lambda sku: {"sku": sku, "count": RNG.randint(0, 900), "where": RNG.choice(WORDS)}))
    for i in range(share(0.10)):
        get_stock(i)

    def bucketed(namespace, fn, **_kw):
        """The hstore layout: (bucket, field), 100 ids per bucket."""
        prefix = f"{fn.__module__}:{fn.__name__}"
        return lambda *ids: [(f"{prefix}|{i // 100}", str(i)) for i in ids]

    hstore = make_region(function_multi_key_generator=bucketed).configure(
        "dogpile_backend_redis_advanced.hstore", expiration_time=HOUR,
        arguments={**base, "redis_expiration_time": 2 * HOUR})
    batched(hstore, "shop.prices", "get_price", lambda pid: round(RNG.uniform(1, 99), 2),
            share(0.10))

    # 74-byte keys (4-digit ids), small msgpack integers: the hash layout saves most here.
    get_quantity = raw.cache_on_arguments()(named(
        "shop.inventory.regional_warehouses", "get_available_quantity_for_sku_now",
        lambda sku: RNG.randint(0, 120)))
    for i in range(1000, 1000 + (ARGS.inventory or share(0.03))):
        get_quantity(i)


# --- Django: django-redis (pickle, zlib, json) and cache sessions --------------------------
def django():
    import django as dj
    from django.conf import settings

    def cache(prefix, **options):
        return {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": URL, "KEY_PREFIX": prefix,
                "TIMEOUT": 4 * HOUR, "OPTIONS": options}

    settings.configure(
        CACHES={
            "default": cache("web"),
            "pages": cache("pages"),
            "feeds": cache("feeds", COMPRESSOR="django_redis.compressors.zlib.ZlibCompressor"),
            "api": cache("api", SERIALIZER="django_redis.serializers.json.JSONSerializer"),
            # A KEY_PREFIX with a dash and a VERSION other than 1.
            "catalog": {**cache("catalog-v2"), "VERSION": 3},
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        INSTALLED_APPS=["django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        RATELIMIT_USE_CACHE="default",
        SECRET_KEY="own-data-fixture",  # signs the cached_db sessions; a test value
        USE_TZ=True,
    )
    dj.setup()
    from django.contrib.sessions.backends.cache import SessionStore
    from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import RequestFactory
    from django_ratelimit.core import is_ratelimited

    call_command("migrate", "sessions", verbosity=0)
    for i in range(share(0.03)):
        caches["catalog"].set(f"category_tree:{i}", {"id": i, "children": list(range(i % 7))})
    for i in range(share(0.03)):
        s = CachedDbStore()
        s["_auth_user_id"] = str(RNG.randint(1, 10**5))
        s.save()
    requests = RequestFactory()
    for i in range(share(0.02)):
        request = requests.post("/login", REMOTE_ADDR=ip(i))
        is_ratelimited(request, group="login", key="ip", rate="5/m", increment=True)

    for i in range(share(0.07)):
        caches["pages"].set(f"product_page:{i}", {"html": "<div>" + text(20, 120) + "</div>",
                                                    "etag": uuid.UUID(int=i).hex})
    for i in range(share(0.05)):
        feed = [{"id": RNG.randint(1, 10**6), "title": text(3, 8), "body": text(10, 40)}
                for _ in range(RNG.randint(3, 12))]
        caches["feeds"].set(f"feed:{i}", feed)
    for i in range(share(0.05)):
        caches["api"].set(f"user_settings:{i}", {"theme": RNG.choice(["dark", "light"]),
                                                 "lang": RNG.choice(["en", "de", "fr"]),
                                                 "notify": RNG.random() < 0.5})
    # Counters: django-redis stores integers as they are, not serialized.
    for i in range(share(0.02)):
        caches["api"].set(f"rate:{i}", RNG.randint(0, 500), timeout=HOUR)
    for i in range(share(0.07)):
        s = SessionStore()
        s["_auth_user_id"] = str(RNG.randint(1, 10**5))
        s["cart"] = [RNG.randint(1, 5000) for _ in range(RNG.randint(0, 5))]
        s.save()


# --- Flask-Caching -------------------------------------------------------------------------
def flask():
    from flask import Flask
    from flask_caching import Cache

    app = Flask("shop")
    cache = Cache(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": URL,
                               "CACHE_KEY_PREFIX": "flask_cache_", "CACHE_DEFAULT_TIMEOUT": HOUR})

    @cache.memoize()
    def recommendations(user_id):
        return [{"sku": RNG.randint(1, 10**5), "score": RNG.random()} for _ in range(5)]

    @app.route("/product/<int:pid>")
    @cache.cached()
    def product_view(pid):
        return "<html><body>" + text(30, 150) + "</body></html>"

    with app.app_context():
        for i in range(share(0.07)):
            recommendations(i)
    client = app.test_client()
    for i in range(share(0.03)):
        client.get(f"/product/{i}")


# --- rq --------------------------------------------------------------------------------------
def rq():
    from rq import Queue, SimpleWorker

    queued = Queue("emails", connection=CLIENT)
    for i in range(share(0.05)):
        queued.enqueue("builtins.len", "x" * RNG.randint(10, 200), description=f"mail {i}",
                       result_ttl=24 * HOUR)
    done = Queue("reports", connection=CLIENT)
    for i in range(share(0.01)):
        done.enqueue("builtins.sorted", [RNG.randint(0, 100) for _ in range(20)],
                     result_ttl=24 * HOUR)
    SimpleWorker([done], connection=CLIENT).work(burst=True, logging_level="WARNING")


# --- celery's redis result backend -----------------------------------------------------------
def celery():
    from celery import Celery

    app = Celery("shop", backend=URL, broker="memory://")
    app.conf.result_expires = 24 * HOUR
    for _ in range(share(0.07)):
        app.backend.store_result(rid(), {"rows": RNG.randint(0, 10**4), "file": text(1, 3)},
                                 "SUCCESS")


# --- plain redis-py ------------------------------------------------------------------------
def plain():
    pipe = CLIENT.pipeline(transaction=False)
    for i in range(share(0.02)):
        pipe.rpush(f"timeline:{i}", *[RNG.randint(1, 10**6) for _ in range(RNG.randint(1, 30))])
    for i in range(share(0.02)):
        pipe.sadd(f"tags:product:{i}", *{RNG.choice(WORDS) for _ in range(RNG.randint(1, 8))})
    for day in range(max(3, share(0.001))):
        pipe.zadd(f"leaderboard:2026-11-{day % 28 + 1:02d}:{day // 28}",
                  {f"player{RNG.randint(1, 10**5)}": RNG.randint(0, 10**6) for _ in range(200)})
    for shard in range(4):
        for _ in range(max(10, share(0.005))):
            pipe.xadd(f"events:{shard}", {"type": RNG.choice(WORDS), "user": RNG.randint(1, 999)})
    for i in range(share(0.03)):
        pipe.set(f"counter:views:{i}", RNG.randint(0, 10**6))
    for i in range(share(0.02)):
        pipe.hset(f"user:{i}", mapping={"name": text(1, 2), "email": f"u{i}@example.org",
                                         "visits": RNG.randint(0, 99)})
    for i in range(max(2, share(0.0005))):
        # Big hashes (hashtable encoded): one per tenant.
        pipe.hset(f"tenant:{i}:settings", mapping={f"opt{j}": text(1, 4) for j in range(300)})
    for day in range(5):
        pipe.set(f"report:2026-11-{day + 1:02d}", text(20000, 40000).encode())
    pipe.execute()


# --- task queues: huey, dramatiq, kombu ------------------------------------------------------
def queues():
    from huey import RedisHuey

    huey = RedisHuey("shop", host=ARGS.host, port=ARGS.port, db=ARGS.db)

    @huey.task()
    def resize(image_id):
        return image_id

    for i in range(share(0.02)):
        resize(i)
    for i in range(share(0.005)):
        resize.schedule(args=(i,), delay=HOUR)

    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    dramatiq.set_broker(RedisBroker(host=ARGS.host, port=ARGS.port, db=ARGS.db))

    @dramatiq.actor(queue_name="mail")
    def notify(user_id):
        return user_id

    for i in range(share(0.01)):
        notify.send(i)

    from kombu import Connection

    conn = Connection(URL)
    queue = conn.SimpleQueue("thumbnails")
    for i in range(max(10, share(0.005))):
        queue.put({"image": i, "size": RNG.choice([64, 128, 256])})
    channel = queue.channel
    # A consumer that took messages and never acked them (a worker killed mid-task).
    channel.qos.restore_at_shutdown = False
    for _ in range(3):
        queue.get(block=False)


# --- more caches: aiocache, cachelib; redis-py's Lock; limits --------------------------------
def caches_and_limits():
    import asyncio

    from aiocache import Cache, cached
    from aiocache.serializers import PickleSerializer

    async def get_item(item_id):
        return {"id": item_id, "title": text(2, 6), "price": RNG.randint(1, 999)}

    # The decorator's key is module + name + the call's arguments: shop.apiget_item(42,)[].
    get_item.__module__ = "shop.api"
    get_item = cached(cache=Cache.REDIS, endpoint=ARGS.host, port=ARGS.port, db=ARGS.db,
                      ttl=HOUR, serializer=PickleSerializer())(get_item)

    async def fill_aiocache():
        for i in range(share(0.03)):
            await get_item(i)

    asyncio.run(fill_aiocache())

    from cachelib import RedisCache

    thumbs = RedisCache(host=ARGS.host, port=ARGS.port, db=ARGS.db, key_prefix="thumbs:",
                        default_timeout=HOUR)
    for i in range(share(0.03)):
        thumbs.set(f"{RNG.getrandbits(160):040x}", b"\x89PNG" + RNG.randbytes(RNG.randint(40, 300)))

    for i in range(share(0.01)):
        CLIENT.lock(f"lock:order:{i}", timeout=600).acquire(blocking=False)

    from limits import parse, storage, strategies

    store = storage.RedisStorage(f"redis://{ARGS.host}:{ARGS.port}/{ARGS.db}")
    fixed = strategies.FixedWindowRateLimiter(store)
    moving = strategies.MovingWindowRateLimiter(store)
    for i in range(share(0.02)):
        fixed.hit(parse("100/hour"), ip(i), "api")
        if i % 2 == 0:
            moving.hit(parse("5/minute"), ip(i), "login")


def main():
    families = ["dogpile", "django", "flask", "rq", "celery", "plain", "queues",
                "caches_and_limits"]
    for family in families:
        globals()[family]()
    print(json.dumps({"families": families, "dbsize": CLIENT.dbsize(), "db": ARGS.db}))


if __name__ == "__main__":
    sys.exit(main())
