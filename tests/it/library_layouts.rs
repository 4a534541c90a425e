//! The library settings whatif measures for data dogpile did not write: every compressor and
//! serializer swap against the bytes the real Python libraries wrote
//! (tests/fixtures/library-layouts.json.gz, from tests/vectors/library_layouts.sh), the
//! types a serializer cannot carry named, and `whatif` through the CLI on django-redis and
//! celery families, with the server's recommendation.

use crate::bench_cli::redisadv;
use crate::common::{project_file, redis};
use redisadv::codec::{Value, json, msgpack, pyliteral};
use redisadv::compress::{Compressor, celery_zlib};
use redisadv::whatif::recode::{self, Library, Target};
use serde_json::Value as Json;
use std::io::Read;

fn vectors() -> Json {
    let file = std::fs::File::open(project_file("tests/fixtures/library-layouts.json.gz"))
        .expect("vectors committed");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn bytes(j: &Json) -> Vec<u8> {
    hex::decode(j.as_str().unwrap()).unwrap()
}

#[test]
fn compressors_write_what_django_redis_and_celery_write() {
    let v = vectors();
    let rows = v["compress"].as_array().unwrap();
    assert!(rows.len() >= 10);
    let mut failures = Vec::new();
    for row in rows {
        let input = bytes(&row["input"]);
        for c in Compressor::ALL {
            let want = bytes(&row[c.name()]);
            let got = c.django(&input);
            if got != want {
                failures.push(format!(
                    "{} of {} bytes: {} bytes, python {} bytes",
                    c.name(),
                    input.len(),
                    got.len(),
                    want.len()
                ));
            }
            if want != input {
                assert_eq!(c.decompress(&want).unwrap(), input, "{}", c.name());
            }
        }
        assert_eq!(celery_zlib(&input), bytes(&row["celery_zlib"]));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn serializer_swaps_write_what_django_redis_writes_and_refuse_what_would_change() {
    let v = vectors();
    for row in v["serialize"].as_array().unwrap() {
        let literal = row["literal"].as_str().unwrap();
        let value: Value = pyliteral::parse(literal).unwrap();
        let parsed = recode::parse(&bytes(&row["pickle"]));
        assert_eq!(parsed.payload.as_ref(), Some(&value), "{literal}");
        for (target, name) in [(Target::Json, "json"), (Target::Msgpack, "msgpack")] {
            let lossy = recode::lossy(&value, target);
            match &row[name] {
                Json::Null => assert!(lossy.is_some(), "{literal} under {name}: python refuses"),
                want => {
                    assert_eq!(lossy, None, "{literal} under {name}");
                    let mut out = Vec::new();
                    match target {
                        Target::Json => json::dumps_into(&value, &mut out).unwrap(),
                        Target::Msgpack => msgpack::packb_into(&value, &mut out).unwrap(),
                    }
                    assert_eq!(hex::encode(out), want.as_str().unwrap(), "{literal} {name}");
                }
            }
        }
    }
    let swaps = recode::grid(Library::DjangoRedis, Some(recode_pickle()));
    let json_swap = swaps.iter().find(|r| r.name == "json").unwrap();
    for row in v["unencodable"].as_array().unwrap() {
        let stored = bytes(&row["pickle"]);
        let p = recode::parse(&stored);
        let ty = row["type"].as_str().unwrap();
        assert_eq!(p.opaque_type.as_deref(), Some(ty));
        let err = recode::encode(&p, &stored, json_swap, Library::DjangoRedis).unwrap_err();
        assert_eq!(err, ty);
        // Compression alone keeps the pickle: it can always be written.
        let zlib = swaps.iter().find(|r| r.name == "zlib").unwrap();
        let packed = recode::encode(&p, &stored, zlib, Library::DjangoRedis).unwrap();
        assert_eq!(packed, Compressor::Zlib.django(&stored));
    }
}

fn recode_pickle() -> redisadv::codec::detect::Serializer {
    redisadv::codec::detect::Serializer::Pickle
}

fn run_json(args: &[&str]) -> Json {
    crate::common::json(&redisadv(args))
}

#[test]
fn whatif_measures_library_settings_and_recommends_for_the_server() {
    let v = vectors();
    // django-redis pickles (a page, as the real PickleSerializer wrote it), a few holding a
    // datetime; celery results as its json backend stores them.
    let page = bytes(&v["compress"].as_array().unwrap().last().unwrap()["input"]);
    let dated = bytes(&v["unencodable"][0]["pickle"]);
    let server = redis();
    let mut c = server.connect().unwrap();
    for i in 0..300 {
        let value = if i % 30 == 7 { &dated } else { &page };
        let _: () = redis::cmd("SET")
            .arg(format!("pages:1:product_page:{i}"))
            .arg(value.as_slice())
            .arg("EX")
            .arg(14_400)
            .query(&mut c)
            .unwrap();
        let result = format!(
            "{{\"status\": \"SUCCESS\", \"result\": {{\"rows\": {i}, \"file\": \"alpha bravo\"}}, \
             \"traceback\": null, \"children\": [], \"date_done\": \"2026-12-03T23:00:00.{i:06}\", \
             \"task_id\": \"{i:08x}-0000-4000-8000-000000000000\"}}"
        );
        let _: () = redis::cmd("SET")
            .arg(format!(
                "celery-task-meta-{i:08x}-0000-4000-8000-000000000000"
            ))
            .arg(result)
            .arg("EX")
            .arg(86_400)
            .query(&mut c)
            .unwrap();
    }
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let doc = run_json(&[
        "whatif",
        "--url",
        &url,
        "--match",
        "pages:*",
        "--match",
        "celery-task-meta-*",
        "--only",
        "zlib,json,msgpack",
        "--format",
        "json",
        "-q",
    ]);
    let families = doc["families"].as_array().unwrap();
    assert_eq!(families.len(), 2);
    let pages = &families[0];
    assert_eq!(pages["library"], "django-redis");
    let row = |f: &Json, name: &str| {
        f["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["variant"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    let zlib = row(pages, "zlib");
    assert!(zlib["savings_percent"].as_f64().unwrap() > 30.0, "{zlib}");
    assert_eq!(zlib["unencodable"], 0);
    // The datetime pickles: named, with the first record and how many.
    let json_row = row(pages, "json");
    assert_eq!(json_row["unencodable"], 10);
    let why = json_row["cannot_encode"][0].as_str().unwrap();
    assert!(
        why.starts_with("cannot encode as json: datetime.datetime at record ")
            && why.contains("10 of 300"),
        "{why}"
    );
    let celery = &families[1];
    assert_eq!(celery["library"], "celery");
    assert!(row(celery, "msgpack")["savings_percent"].as_f64().unwrap() > 0.0);
    let server_line = doc["server_recommendation"].as_str().unwrap();
    assert!(
        server_line.contains("django_redis.compressors.zlib.ZlibCompressor"),
        "{server_line}"
    );
    assert!(
        server_line.contains("celery: app.conf result_"),
        "{server_line}"
    );
    assert!(
        server_line.contains("read path: not measured"),
        "{server_line}"
    );
    // The table names the same, and refuses what it cannot show for several families.
    let table = redisadv(&[
        "whatif", "--url", &url, "--match", "pages:*", "--match", "x:*", "--format", "csv", "-q",
    ]);
    assert_eq!(table.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&table.stderr).contains("take one --match"));
}
