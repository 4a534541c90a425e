//! The backend against real private Redis servers: every operation under every layout, TTL
//! and policy, the stored bytes, and the lock.

use crate::common::redis;
use redisadv::backend::{
    Backend, BackendConfig, BackendError, Clock, ConnectOptions, EXPIRES_FIELD, HashTtl, LockError,
    LockOptions,
};
use redisadv::codec::{Codec, Envelope, Format, Metadata, Value, pyliteral};
use redisadv::dataset::Key;
use std::time::{Duration, Instant};

const CT: f64 = 1795593845.0916238;

fn config(codec: Codec, envelope: Envelope, ttl: Option<u64>, hash_ttl: HashTtl) -> BackendConfig {
    let mut c = BackendConfig::new(Format::new(codec, envelope));
    c.redis_ttl = ttl;
    c.hash_ttl = hash_ttl;
    c.clock = Clock::Fixed(CT);
    c
}

fn lit(s: &str) -> Value {
    pyliteral::parse(s).unwrap()
}

fn ttl(conn: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query(conn).unwrap()
}

#[test]
fn every_layout_ttl_and_policy_stores_the_python_bytes() {
    let server = redis();
    let payload = lit("{'one': 398601, 'two': 'fizzbuzz'}");
    for codec in Codec::ALL {
        for envelope in Envelope::ALL {
            for redis_ttl in [None, Some(3600)] {
                for policy in [
                    HashTtl::Never,
                    HashTtl::OnCreate,
                    HashTtl::Always,
                    HashTtl::Field,
                ] {
                    let mut conn = server.connect().unwrap();
                    redis::cmd("FLUSHALL").query::<()>(&mut conn).unwrap();
                    let cfg = config(codec, envelope, redis_ttl, policy);
                    let format = cfg.format;
                    let mut b = Backend::connect(&server.connect_options(), cfg).unwrap();
                    let label = format!("{codec}/{envelope}/{redis_ttl:?}/{policy:?}");
                    let records = vec![
                        (Key::Plain("a".into()), payload.clone()),
                        (Key::Plain("b".into()), Value::Int(10)),
                        (Key::hash("bucket", "f1"), payload.clone()),
                        (Key::hash("bucket", "f2"), Value::Int(10)),
                    ];
                    b.set_multi(&records).unwrap();
                    let want = format.encode(&payload, Metadata::new(CT, 2)).unwrap();
                    let got: Vec<u8> = redis::cmd("GET").arg("a").query(&mut conn).unwrap();
                    assert_eq!(got, want, "{label}");
                    let got: Vec<u8> = redis::cmd("HGET")
                        .arg("bucket")
                        .arg("f1")
                        .query(&mut conn)
                        .unwrap();
                    assert_eq!(got, want, "{label}");
                    let expect_key_ttl = if redis_ttl.is_some() { 3600 } else { -1 };
                    assert_eq!(ttl(&mut conn, "a"), expect_key_ttl, "{label}");
                    let bucket_ttl = ttl(&mut conn, "bucket");
                    let expires_field: Option<i64> = redis::cmd("HGET")
                        .arg("bucket")
                        .arg(EXPIRES_FIELD)
                        .query(&mut conn)
                        .unwrap();
                    match (redis_ttl, policy) {
                        (Some(_), HashTtl::OnCreate | HashTtl::Always) => {
                            assert_eq!(bucket_ttl, 3600, "{label}")
                        }
                        _ => assert_eq!(bucket_ttl, -1, "{label}"),
                    }
                    assert_eq!(
                        expires_field.is_some(),
                        redis_ttl.is_some() && policy == HashTtl::Field,
                        "{label}"
                    );
                    // Read back, in order, with a duplicate, a miss and mixed keys.
                    let keys = [
                        Key::hash("bucket", "f2"),
                        Key::Plain("a".into()),
                        Key::Plain("missing".into()),
                        Key::hash("bucket", "nope"),
                        Key::Plain("a".into()),
                    ];
                    let got = b.get_multi(&keys).unwrap();
                    let payloads: Vec<Option<&Value>> =
                        got.iter().map(|v| v.as_ref().map(|c| &c.payload)).collect();
                    assert_eq!(
                        payloads,
                        vec![
                            Some(&Value::Int(10)),
                            Some(&payload),
                            None,
                            None,
                            Some(&payload)
                        ],
                        "{label}"
                    );
                    let meta = got[1].as_ref().unwrap().metadata;
                    match envelope {
                        Envelope::Dogpile | Envelope::Tuple => {
                            assert_eq!(meta, Metadata::new(CT, 2))
                        }
                        Envelope::IntTime => assert_eq!(meta.ct, CT.trunc(), "{label}"),
                        // Faked as the plugin does, by the config's clock (fixed here).
                        Envelope::Raw => assert_eq!(meta.ct, CT, "{label}"),
                    }
                    // Deletes.
                    b.delete_multi(&[Key::Plain("a".into()), Key::hash("bucket", "f1")])
                        .unwrap();
                    assert_eq!(b.get(&Key::Plain("a".into())).unwrap(), None, "{label}");
                    assert_eq!(b.get(&Key::hash("bucket", "f1")).unwrap(), None, "{label}");
                    assert!(b.get(&Key::Plain("b".into())).unwrap().is_some(), "{label}");
                    b.delete(&Key::Plain("b".into())).unwrap();
                    let exists: i64 = redis::cmd("EXISTS").arg("b").query(&mut conn).unwrap();
                    assert_eq!(exists, 0, "{label}");
                }
            }
        }
    }
}

#[test]
fn single_set_uses_set_with_ex() {
    let server = redis();
    let mut conn = server.connect().unwrap();
    let cfg = config(Codec::Json, Envelope::Raw, Some(100), HashTtl::OnCreate);
    let mut b = Backend::connect(&server.connect_options(), cfg).unwrap();
    b.set(&Key::Plain("k".into()), &Value::Int(10)).unwrap();
    assert_eq!(ttl(&mut conn, "k"), 100);
    let stored: String = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
    assert_eq!(stored, "10");
    b.set(&Key::hash("h", "f"), &Value::Int(11)).unwrap();
    assert_eq!(ttl(&mut conn, "h"), 100);
}

#[test]
fn on_create_expires_only_new_buckets_and_always_renews() {
    let server = redis();
    let mut conn = server.connect().unwrap();
    for (policy, want_after_rewrite) in [(HashTtl::OnCreate, 50), (HashTtl::Always, 3600)] {
        redis::cmd("FLUSHALL").query::<()>(&mut conn).unwrap();
        let cfg = config(Codec::Msgpack, Envelope::Raw, Some(3600), policy);
        let mut b = Backend::connect(&server.connect_options(), cfg).unwrap();
        b.set_multi(&[(Key::hash("B", "1"), Value::Int(1))])
            .unwrap();
        assert_eq!(ttl(&mut conn, "B"), 3600);
        redis::cmd("EXPIRE")
            .arg("B")
            .arg(50)
            .query::<()>(&mut conn)
            .unwrap();
        // Two fields of the same bucket and a new bucket in one call.
        b.set_multi(&[
            (Key::hash("B", "2"), Value::Int(2)),
            (Key::hash("C", "1"), Value::Int(3)),
            (Key::hash("B", "3"), Value::Int(4)),
        ])
        .unwrap();
        let t = ttl(&mut conn, "B");
        assert!(
            (want_after_rewrite - 1..=want_after_rewrite).contains(&t),
            "{policy:?}: {t}"
        );
        assert_eq!(ttl(&mut conn, "C"), 3600);
        let n: i64 = redis::cmd("HLEN").arg("B").query(&mut conn).unwrap();
        assert_eq!(n, 3);
    }
}

#[test]
fn field_policy_treats_an_expired_bucket_as_gone() {
    let server = redis();
    let mut conn = server.connect().unwrap();
    let cfg = config(Codec::Json, Envelope::Raw, Some(3600), HashTtl::Field);
    let mut b = Backend::connect(&server.connect_options(), cfg).unwrap();
    b.set_multi(&[(Key::hash("B", "1"), Value::Int(1))])
        .unwrap();
    assert!(b.get(&Key::hash("B", "1")).unwrap().is_some());
    redis::cmd("HSET")
        .arg("B")
        .arg(EXPIRES_FIELD)
        .arg(1000)
        .query::<()>(&mut conn)
        .unwrap();
    assert_eq!(
        b.get_multi(&[Key::hash("B", "1"), Key::hash("B", "1")])
            .unwrap(),
        vec![None, None]
    );
    let exists: i64 = redis::cmd("EXISTS").arg("B").query(&mut conn).unwrap();
    assert_eq!(exists, 0, "the expired bucket is deleted");
}

#[test]
fn a_value_json_cannot_hold_is_a_typed_error() {
    let server = redis();
    let cfg = config(Codec::Json, Envelope::Raw, None, HashTtl::OnCreate);
    let mut b = Backend::connect(&server.connect_options(), cfg).unwrap();
    let err = b
        .set_multi(&[(Key::Plain("k".into()), Value::Bytes(vec![1]))])
        .unwrap_err();
    assert!(matches!(err, BackendError::Encode { .. }), "{err}");
    assert!(err.to_string().contains("bytes"), "{err}");
}

#[test]
fn lock_contention_between_two_connections_and_a_lost_lock() {
    let server = redis();
    let mut cfg = config(Codec::Pickle, Envelope::Dogpile, None, HashTtl::OnCreate);
    cfg.lock = LockOptions {
        timeout: Some(Duration::from_secs(30)),
        sleep: Duration::from_millis(10),
        ..LockOptions::default()
    };
    let a = Backend::connect(&server.connect_options(), cfg.clone()).unwrap();
    let mut conn_a = server.connect().unwrap();
    let mut conn_b = server.connect().unwrap();
    let mut lock_a = a.mutex(&Key::hash("bucket", "field"));
    assert_eq!(lock_a.name(), "_lockbucket,field");
    assert!(lock_a.acquire(&mut conn_a).unwrap());
    let pttl: i64 = redis::cmd("PTTL")
        .arg(lock_a.name())
        .query(&mut conn_a)
        .unwrap();
    assert!(pttl > 29_000 && pttl <= 30_000, "{pttl}");

    let mut opts = cfg.lock.clone();
    opts.blocking = false;
    let mut lock_b = redisadv::backend::Lock::new(lock_a.name().to_string(), opts.clone());
    assert!(
        !lock_b.acquire(&mut conn_b).unwrap(),
        "non-blocking attempt fails while held"
    );
    opts.blocking = true;
    opts.blocking_timeout = Some(Duration::from_millis(200));
    let mut lock_b = redisadv::backend::Lock::new(lock_a.name().to_string(), opts);
    let started = Instant::now();
    assert!(!lock_b.acquire(&mut conn_b).unwrap());
    assert!(started.elapsed() >= Duration::from_millis(150));

    lock_a.release(&mut conn_a).unwrap();
    assert!(lock_b.acquire(&mut conn_b).unwrap(), "free after release");

    // Lost: the key vanishes (flushed) before release.
    redis::cmd("FLUSHALL").query::<()>(&mut conn_a).unwrap();
    let err = lock_b.release(&mut conn_b).unwrap_err();
    assert!(matches!(err, LockError::Lost { .. }), "{err}");
    // Releasing a lock this client does not hold is a different error.
    assert!(matches!(
        lock_b.release(&mut conn_b),
        Err(LockError::NotHeld { .. })
    ));
}

#[test]
fn a_server_that_does_not_answer_is_an_error_within_the_timeout() {
    let port = crate::common::silent_port(5);
    let mut options = ConnectOptions::local(port);
    options.connect_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let cfg = config(Codec::Json, Envelope::Raw, None, HashTtl::OnCreate);
    let result = Backend::connect(&options, cfg);
    assert!(result.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
