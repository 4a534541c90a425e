//! `redisadv seed-fixture` (hidden; scripts/seed-fixture runs it): fills an empty database
//! with the key families the inspect/whatif tests check, in the formats a Python cache
//! leaves behind, each value encoded by redisadv's byte-exact encoders.

use crate::cli::SeedArgs;
use crate::codec::{Codec, Envelope, Format, Metadata, Value};
use anyhow::Context;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::io::Write;
use std::process::ExitCode;

/// `pickle.dumps(Point(i, 2), protocol=4)` for a class `app.models.Point` (Python 3.12),
/// split around the pickled int `x` (`K` + one byte).
const POINT_HEAD: &str =
    "8004952c000000000000008c0a6170702e6d6f64656c73948c05506f696e749493942981947d94288c017894";
const POINT_TAIL: &str = "8c0179944b0275622e";

/// The fixture's families: (key prefix, what the values are, TTL seconds).
pub const FAMILIES: [(&str, &str, Option<u64>); 10] = [
    ("user:{n}", "dogpile pickle envelope, dicts", Some(3600)),
    ("session:{uuid}", "dogpile json envelope, dicts", Some(1800)),
    ("product:{n}", "dogpile msgpack envelope, lists", None),
    (
        "legacy:{n}",
        "pickled CachedValue (dogpile < 1.1)",
        Some(7200),
    ),
    ("page:{n}:html", "plain text", None),
    ("cfg:{n}", "plain json", None),
    ("blob:{hex}", "opaque binary", Some(600)),
    ("zip:{n}", "zlib-compressed json", None),
    (
        "obj:{n}",
        "dogpile pickle envelope of a custom class",
        Some(3600),
    ),
    ("bucket:{n}", "hashes of 50 msgpack fields", Some(3600)),
];

pub fn run(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let mut connect = crate::backend::ConnectOptions::new(&args.url);
    connect.check("--url")?;
    crate::cli::secret::apply_password(&mut connect, None)?;
    let mut conn = connect.connect()?;
    let size: u64 = redis::cmd("DBSIZE").query(&mut conn)?;
    if size > 0 {
        anyhow::bail!(
            "--url {}: the database holds {size} keys; seed-fixture fills only an empty one",
            connect.describe()
        );
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let meta = Metadata::new(crate::scenario::FIXED_CT, 2);
    let enc = |codec, envelope, v: &Value| Format::new(codec, envelope).encode(v, meta);
    let n = args.count;
    let mut pipe = redis::pipe();
    let flush = |pipe: &mut redis::Pipeline, conn: &mut redis::Connection, force: bool| {
        if (force && !pipe.is_empty()) || pipe.len() >= 2000 {
            pipe.query::<()>(conn).context("seeding")?;
            pipe.clear();
        }
        anyhow::Ok(())
    };
    for i in 0..n {
        let user = Value::Dict(vec![
            (Value::str("id"), Value::Int(i as i64)),
            (
                Value::str("name"),
                Value::str(format!("user{}", rng.random_range(0..100_000))),
            ),
            (Value::str("active"), Value::Bool(i % 3 != 0)),
            (
                Value::str("score"),
                Value::Float(rng.random_range(0.0..100.0)),
            ),
        ]);
        pipe.cmd("SET")
            .arg(format!("user:{i}"))
            .arg(enc(Codec::Pickle, Envelope::Dogpile, &user)?)
            .arg("EX")
            .arg(3600)
            .ignore();
        if args.users_only {
            flush(&mut pipe, &mut conn, false)?;
            continue;
        }
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            rng.random::<u32>(),
            rng.random::<u16>(),
            rng.random_range(0..0x1000u16),
            rng.random_range(0..0x1000u16),
            rng.random::<u64>() & 0xffff_ffff_ffff
        );
        let session = Value::Dict(vec![
            (
                Value::str("user"),
                Value::Int(rng.random_range(0..1_000_000)),
            ),
            (
                Value::str("csrf"),
                Value::str(format!("{:016x}", rng.random::<u64>())),
            ),
        ]);
        pipe.cmd("SET")
            .arg(format!("session:{uuid}"))
            .arg(enc(Codec::Json, Envelope::Dogpile, &session)?)
            .arg("EX")
            .arg(1800)
            .ignore();
        let product = Value::List(
            (0..rng.random_range(1..6))
                .map(|k| Value::Int(i as i64 * 10 + k))
                .collect(),
        );
        pipe.cmd("SET")
            .arg(format!("product:{i}"))
            .arg(enc(Codec::Msgpack, Envelope::Dogpile, &product)?)
            .ignore();
        pipe.cmd("SET")
            .arg(format!("legacy:{i}"))
            .arg(enc(
                Codec::Pickle,
                Envelope::Tuple,
                &Value::str(format!("v{i}")),
            )?)
            .arg("EX")
            .arg(7200)
            .ignore();
        pipe.cmd("SET")
            .arg(format!("page:{i}:html"))
            .arg(format!(
                "<p>page {i} {}</p>",
                "lorem ipsum ".repeat(rng.random_range(1..8))
            ))
            .ignore();
        let cfg = Value::Dict(vec![(Value::str("flag"), Value::Bool(i % 2 == 0))]);
        pipe.cmd("SET")
            .arg(format!("cfg:{i}"))
            .arg(enc(Codec::Json, Envelope::Raw, &cfg)?)
            .ignore();
        let blob: Vec<u8> = (0..rng.random_range(40..80))
            .map(|_| rng.random::<u8>() | 0x80)
            .collect();
        pipe.cmd("SET")
            .arg(format!("blob:{:016x}", rng.random::<u64>()))
            .arg(blob)
            .arg("EX")
            .arg(600)
            .ignore();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(format!("{{\"id\": {i}, \"text\": \"{}\"}}", "abc ".repeat(20)).as_bytes())?;
        pipe.cmd("SET")
            .arg(format!("zip:{i}"))
            .arg(z.finish()?)
            .ignore();
        let mut point = hex::decode(POINT_HEAD)?;
        point.push(b'K');
        point.push((i % 256) as u8);
        point.extend(hex::decode(POINT_TAIL)?);
        let mut stored = Vec::new();
        crate::codec::json::dumps_into(&meta.to_value(), &mut stored)?;
        stored.push(b'|');
        stored.extend(point);
        pipe.cmd("SET")
            .arg(format!("obj:{i}"))
            .arg(stored)
            .arg("EX")
            .arg(3600)
            .ignore();
        if i % 50 == 0 {
            let bucket = format!("bucket:{}", i / 50);
            for f in 0..50 {
                pipe.cmd("HSET")
                    .arg(&bucket)
                    .arg(f)
                    .arg(enc(
                        Codec::Msgpack,
                        Envelope::Raw,
                        &Value::Int((i + f) as i64),
                    )?)
                    .ignore();
            }
            pipe.cmd("EXPIRE").arg(&bucket).arg(3600).ignore();
        }
        flush(&mut pipe, &mut conn, false)?;
    }
    flush(&mut pipe, &mut conn, true)?;
    let size: u64 = redis::cmd("DBSIZE").query(&mut conn)?;
    eprintln!("seeded {size} keys into {}", connect.describe());
    Ok(ExitCode::SUCCESS)
}
