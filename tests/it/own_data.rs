//! `inspect` on a server filled by real, unmodified Python libraries (tests/own_data: dogpile
//! with the plugin's backends, django-redis, Django sessions, Flask-Caching, rq, celery,
//! plain redis-py): every family on its own line, exact figures under --all against an
//! independent redis-py count, no error replies left in INFO errorstats, gentle reads on a
//! full server, and key names that cannot break any output format.

use crate::bench_cli::redisadv;
use crate::common::json;
use crate::common::{project_file, redis, redis_with};
use redisadv::server::RedisServer;
use serde_json::Value as Json;
use std::process::Command;

fn url(server: &RedisServer) -> String {
    format!("redis://127.0.0.1:{}/0", server.port())
}

/// tests/own_data/run.sh: fills `server` (or, with `--count`, counts it) through the pinned
/// virtualenv.
fn own_data(args: &[&str]) -> Json {
    let out = Command::new(project_file("tests/own_data/run.sh"))
        .args(args)
        .output()
        .expect("tests/own_data/run.sh runs");
    assert!(
        out.status.success(),
        "run.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("one JSON line")
}

fn filled(keys: u64) -> RedisServer {
    let server = redis();
    own_data(&[&server.port().to_string(), "--keys", &keys.to_string()]);
    server
}

fn info(server: &RedisServer, section: &str) -> String {
    let mut c = server.connect().unwrap();
    redis::cmd("INFO").arg(section).query(&mut c).unwrap()
}

/// `name:value` of an INFO section.
fn info_field(server: &RedisServer, section: &str, name: &str) -> u64 {
    info(server, section)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO {section} has {name}"))
}

fn rows(report: &Json) -> Vec<&Json> {
    report["patterns"].as_array().unwrap().iter().collect()
}

fn row<'a>(report: &'a Json, name: &str) -> &'a Json {
    rows(report)
        .into_iter()
        .find(|r| r["pattern"] == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = rows(report)
                .iter()
                .map(|r| r["pattern"].as_str().unwrap())
                .collect();
            panic!("no row {name} in {names:?}")
        })
}

/// The families fill.py writes, as inspect names them.
const FAMILIES: &[&str] = &[
    "shop.catalog:get_product|{n}",
    "shop.users:get_profile|{n}",
    "shop.stock:get_stock|{n}",
    "shop.prices:get_price|{n}",
    "pages:{n}:product_page:{n}",
    "feeds:{n}:feed:{n}",
    "api:{n}:user_settings:{n}",
    "api:{n}:rate:{n}",
    "web:{n}:django.contrib.sessions.cache{token}",
    "flask_cache_{token}",
    "flask_cache_view//product/{n}",
    "rq:job:{uuid}",
    "rq:results:{uuid}",
    "celery-task-meta-{uuid}",
    "timeline:{n}",
    "tags:product:{n}",
    "counter:views:{n}",
    "user:{n}",
    "events:{n}",
    "report:{date}",
    // More libraries (fill.py's queues() and caches_and_limits()).
    "shop.inventory.regional_warehouses:get_available_quantity_for_sku_now|{n}",
    "catalog-v2:{n}:category_tree:{n}",
    "web:{n}:django.contrib.sessions.cached_db{token}",
    "web:{n}:rl:{hex}",
    "shop.apiget_item({n},)[]",
    "thumbs:{hex}",
    "lock:order:{n}",
    "LIMITS:LIMITER/{ip}/api/{n}/{n}/hour",
    "LIMITS:LIMITER/{ip}/login/{n}/{n}/minute",
];

#[test]
fn every_family_of_real_libraries_on_its_own_line_exact_and_without_errors() {
    let server = filled(3000);
    // One connection for both readings: redis-rs's connection setup (CLIENT SETINFO) is
    // itself an error reply on Redis 7.0.
    let mut watcher = server.connect().unwrap();
    let errorstats = |c: &mut redis::Connection| -> String {
        redis::cmd("INFO").arg("errorstats").query(c).unwrap()
    };
    let errors_before = errorstats(&mut watcher);
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--top",
        "200",
        "--format",
        "json",
    ]);
    let report = json(&out);
    for family in FAMILIES {
        let r = row(&report, family);
        assert!(r["keys"].as_f64().unwrap() >= 3.0, "{family}: {r}");
    }
    assert!(
        report["other"].is_null(),
        "nothing left over: {}",
        report["other"]
    );
    // Rows are sorted by the bytes they show.
    let bytes: Vec<f64> = rows(&report)
        .iter()
        .map(|r| r["bytes"].as_f64().unwrap())
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");
    // Flask-Caching's "!" + pickle is pickle, not binary.
    let flask = &row(&report, "flask_cache_{token}")["formats"];
    assert!(flask.get("flask-caching/pickle").is_some(), "{flask}");
    assert!(flask.get("binary").is_none(), "{flask}");
    // A hash's mean value is labelled as the mean of its fields.
    let job = row(&report, "rq:job:{uuid}");
    assert!(job["mean_hash_field_bytes"].as_f64().is_some(), "{job}");
    // No error reply landed in the server's INFO errorstats (no HSCAN on a non-hash).
    assert_eq!(errorstats(&mut watcher), errors_before);
    assert!(report["exact"].as_bool().unwrap());
    // The never-expires view and the largest keys.
    let never: Vec<&str> = report["never_expires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["pattern"].as_str().unwrap())
        .collect();
    assert!(never.contains(&"shop.users:get_profile|{n}"), "{never:?}");
    assert!(
        !never.contains(&"shop.catalog:get_product|{n}"),
        "{never:?}"
    );
    let largest = report["largest_keys"].as_array().unwrap();
    assert_eq!(largest.len(), 10);
    assert!(
        largest[0]["key"].as_str().unwrap().starts_with("report:"),
        "{largest:?}"
    );

    // Exact: --all equals an independent redis-py count with SAMPLES 0, family by family.
    let port = server.port().to_string();
    for glob in ["rq:job:*", "tenant:*", "shop.prices:*", "timeline:*", "*"] {
        let truth = own_data(&["--count", &port, "--match", glob]);
        let out = redisadv(&[
            "inspect",
            "--url",
            &url(&server),
            "--all",
            "--match",
            glob,
            "--format",
            "json",
        ]);
        let total = &json(&out)["total"];
        assert_eq!(total["keys"].as_f64(), truth["keys"].as_f64(), "{glob}");
        assert_eq!(
            total["memory_usage_bytes"].as_f64(),
            truth["memory"].as_f64(),
            "{glob}: MEMORY USAGE SAMPLES 0 summed"
        );
    }

    // A sample's MEMORY USAGE is exact for keys of up to 1,000 elements (SAMPLES 1000; the
    // default 5 read rq's job hashes 4.9% low): a sample that reads every key equals --all.
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--sample",
        "100000",
        "--top",
        "200",
        "--format",
        "json",
    ]);
    let whole_sample = json(&out);
    for family in [
        "rq:job:{uuid}",
        "tenant:{n}:settings",
        "leaderboard:{date}:{n}",
    ] {
        assert_eq!(
            row(&whole_sample, family)["memory_usage_bytes"],
            row(&report, family)["memory_usage_bytes"],
            "{family}"
        );
    }

    // A sample never lists a pattern it saw once.
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--sample",
        "300",
        "--count",
        "100",
        "--format",
        "json",
    ]);
    let sampled = json(&out);
    for r in rows(&sampled) {
        assert!(r["inspected"].as_u64().unwrap() > 1, "{r}");
    }

    // At --max-patterns the big families stay whole, whatever order SCAN lists the keys
    // in: the same keys restored into two servers (each its own hash seed, inserted in
    // opposite orders; both restored, as a restored stream is smaller than a live one) give
    // the same rows, and the report says how they were chosen.
    let (copy, reversed) = (copied(&server, false), copied(&server, true));
    assert_ne!(
        first_scan_page(&copy),
        first_scan_page(&reversed),
        "the two servers list the keys in different orders"
    );
    let capped_rows = |s: &RedisServer| {
        let out = redisadv(&[
            "inspect",
            "--url",
            &url(s),
            "--all",
            "--max-patterns",
            "12",
            "--top",
            "100",
            "--format",
            "json",
        ]);
        let report = json(&out);
        let note = report["patterns_capped"].as_str().unwrap_or_default();
        assert!(
            note.contains("do not depend on the order SCAN lists the keys"),
            "{report}"
        );
        let mut rows: Vec<(String, u64)> = rows(&report)
            .iter()
            .map(|r| {
                (
                    r["pattern"].as_str().unwrap().to_string(),
                    r["keys"].as_f64().unwrap() as u64,
                )
            })
            .collect();
        rows.push((
            "other".into(),
            report["other"]["keys"].as_f64().unwrap_or(0.0) as u64,
        ));
        rows.sort();
        rows
    };
    let (first, second) = (capped_rows(&copy), capped_rows(&reversed));
    assert_eq!(first, second, "the rows depend on SCAN's order");
    let truth = own_data(&["--count", &port, "--match", "shop.catalog:*"]);
    let catalog = first
        .iter()
        .find(|(p, _)| p == "shop.catalog:get_product|{n}")
        .map(|r| r.1 as f64);
    assert_eq!(catalog, truth["keys"].as_f64(), "{first:?}");

    // From an RDB copy: the same families (token families merged there too), each with its
    // keys, and the note on where a loaded copy differs from the live server.
    let mut c = server.connect().unwrap();
    redis::cmd("SAVE").query::<()>(&mut c).unwrap();
    let out = redisadv(&[
        "inspect",
        "--rdb",
        server.dir().join("dump.rdb").to_str().unwrap(),
        "--all",
        "--top",
        "200",
        "--format",
        "json",
        "-q",
    ]);
    let from_rdb = json(&out);
    assert!(
        from_rdb["loaded_copy"]
            .as_str()
            .is_some_and(|n| n.contains("streams and big hashes")),
        "{from_rdb}"
    );
    for family in FAMILIES {
        assert!(
            row(&from_rdb, family)["keys"].as_f64().unwrap() >= 3.0,
            "{family}"
        );
    }

    // Markdown: the `|` of every dogpile key stays inside its cell; --out writes each format.
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("r.md");
    let html = dir.path().join("r.html");
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--quiet",
        "--out",
        md.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(md).unwrap();
    assert_table_cells_line_up(&md);
    assert!(md.contains("shop.catalog:get_product\\|{n}"), "{md}");
    assert!(std::fs::read_to_string(html).unwrap().contains("<table>"));
}

/// The keys SCAN lists first (one page).
fn first_scan_page(server: &RedisServer) -> Vec<Vec<u8>> {
    let mut c = server.connect().unwrap();
    let (_, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(20)
        .query(&mut c)
        .unwrap();
    keys
}

/// Another server holding the same keys (DUMP and RESTORE with their TTLs), written in the
/// order the first one lists them, or in reverse.
fn copied(server: &RedisServer, reverse: bool) -> RedisServer {
    let copy = redis();
    let mut from = server.connect().unwrap();
    let mut to = copy.connect().unwrap();
    let mut keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut from).unwrap();
    if reverse {
        keys.reverse();
    }
    for key in &keys {
        let (dump, pttl): (Vec<u8>, i64) = redis::pipe()
            .cmd("DUMP")
            .arg(key)
            .cmd("PTTL")
            .arg(key)
            .query(&mut from)
            .unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg(key)
            .arg(pttl.max(0))
            .arg(dump)
            .query(&mut to)
            .unwrap();
    }
    copy
}

/// Every Markdown table row has as many unescaped `|` as its header.
fn assert_table_cells_line_up(md: &str) {
    let pipes = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    let mut header = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let n = pipes(line);
        match header {
            None => header = Some(n),
            Some(h) => assert_eq!(n, h, "{line}"),
        }
    }
}

#[test]
fn hostile_key_names_are_escaped_in_every_format() {
    let server = redis();
    let mut c = server.connect().unwrap();
    let names = [
        "evil\x1b[2J\x1b]0;owned\x07:1",
        "line\nbreak:2",
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-2-2",
        "@SUM(A1)",
        "<script>alert(1)</script>",
        "pipe|in|key",
    ];
    for n in names {
        let _: () = redis::cmd("SET").arg(n).arg("v").query(&mut c).unwrap();
    }
    // A value of one byte "!" (a msgpack 33): Flask-Caching's marker with nothing after it.
    let _: () = redis::cmd("SET")
        .arg("bang")
        .arg("!")
        .query(&mut c)
        .unwrap();
    for format in ["table", "markdown", "csv", "html", "svg"] {
        let out = redisadv(&[
            "inspect",
            "--url",
            &url(&server),
            "--all",
            "--format",
            format,
        ]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{format}: {text}"
        );
        assert!(!text.contains("line\nbreak"), "{format}: {text}");
        match format {
            "csv" => {
                for bad in ["=HYPERLINK", "+1+1", "-2-2", "@SUM"] {
                    for line in text.lines() {
                        for cell in line.split(',') {
                            assert!(!cell.trim_matches('"').starts_with(bad), "{line}");
                        }
                    }
                }
            }
            "html" | "svg" => assert!(!text.contains("<script>"), "{format}: {text}"),
            "markdown" => assert_table_cells_line_up(&text),
            _ => {}
        }
    }
}

#[test]
fn a_server_without_pttl_object_or_type_is_named_never_read_as_zero() {
    let server = redis();
    let mut c = server.connect().unwrap();
    for i in 0..50 {
        let _: () = redis::cmd("SET")
            .arg(format!("k:{i}"))
            .arg("v")
            .query(&mut c)
            .unwrap();
    }
    let mut acl = |user: &str, minus: &str| {
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg(user)
            .arg("on")
            .arg(">pw")
            .arg("~*")
            .arg("+@all")
            .arg(minus)
            .query(&mut c)
            .unwrap();
        format!("redis://{user}:pw@127.0.0.1:{}/0", server.port())
    };
    let out = redisadv(&["inspect", "--url", &acl("nopttl", "-pttl"), "--all"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("PTTL"), "{err}");
    let out = redisadv(&[
        "inspect",
        "--url",
        &acl("noobject", "-object"),
        "--all",
        "--format",
        "json",
    ]);
    let report = json(&out);
    assert_eq!(report["total"]["keys"].as_f64(), Some(50.0));
    assert!(report["total"]["encodings"].get("unknown").is_some());
    assert!(
        report["unknown"][0].as_str().unwrap().contains("OBJECT"),
        "{}",
        report["unknown"]
    );
}

/// A full allkeys-lru cache with a little headroom: inspect's replies stay within a share of
/// it, so the server evicts nothing (one MGET per page of 1,000 1 KB values evicted here).
#[test]
fn a_full_lru_cache_evicts_nothing_while_inspect_reads_it() {
    let server = redis_with(&[("maxmemory", "24mb"), ("maxmemory-policy", "allkeys-lru")]);
    let mut c = server.connect().unwrap();
    let value = vec![b'x'; 1000];
    let mut i = 0;
    while info_field(&server, "stats", "evicted_keys") == 0 {
        let mut pipe = redis::pipe();
        for _ in 0..500 {
            pipe.cmd("SET")
                .arg(format!("page:{i}"))
                .arg(&value)
                .ignore();
            i += 1;
        }
        pipe.query::<()>(&mut c).unwrap();
    }
    // 300 keys' worth of headroom (about 360 KB).
    let mut pipe = redis::pipe();
    for j in 0..300 {
        pipe.cmd("DEL").arg(format!("page:{}", i - 1 - j)).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let evicted = info_field(&server, "stats", "evicted_keys");
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "json",
    ]);
    json(&out);
    assert_eq!(info_field(&server, "stats", "evicted_keys"), evicted);
}

/// Big values are read in pieces: the server's memory peak does not grow by the values'
/// size (one MGET of ten 4 MB strings held 40 MB more in the output buffer).
#[test]
fn big_values_do_not_double_the_servers_memory() {
    let server = redis();
    let mut c = server.connect().unwrap();
    for i in 0..10 {
        let _: () = redis::cmd("SET")
            .arg(format!("blob:{i}"))
            .arg(vec![b'a' + i as u8; 4 << 20])
            .query(&mut c)
            .unwrap();
    }
    let peak = info_field(&server, "memory", "used_memory_peak");
    let used = info_field(&server, "memory", "used_memory");
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "json",
    ]);
    let report = json(&out);
    assert_eq!(report["total"]["keys"].as_f64(), Some(10.0));
    let after = info_field(&server, "memory", "used_memory_peak");
    assert!(
        after < peak.max(used) + (8 << 20),
        "peak {peak} -> {after} (used {used})"
    );
}

#[test]
fn db_is_honoured_with_url_or_refused_and_other_databases_are_named() {
    let server = redis();
    let mut c = server.connect().unwrap();
    for db in [0, 3] {
        let _: () = redis::cmd("SELECT").arg(db).query(&mut c).unwrap();
        for i in 0..(db + 2) {
            let _: () = redis::cmd("SET")
                .arg(format!("d{db}:{i}"))
                .arg("v")
                .query(&mut c)
                .unwrap();
        }
    }
    let base = format!("redis://127.0.0.1:{}", server.port());
    let out = redisadv(&[
        "inspect", "--url", &base, "--db", "3", "--all", "--format", "json",
    ]);
    let report = json(&out);
    assert_eq!(report["db"], 3);
    assert_eq!(report["total"]["keys"].as_f64(), Some(5.0));
    let out = redisadv(&[
        "inspect",
        "--url",
        &format!("{base}/0"),
        "--db",
        "3",
        "--all",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db 3"));
    let out = redisadv(&["inspect", "--url", &format!("{base}/0"), "--all"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("other databases") && text.contains("db3 5 keys"),
        "{text}"
    );
}

/// On an engine with CLIENT NO-TOUCH, reading values leaves OBJECT IDLETIME alone; Redis 7.0
/// has none, and the report says so.
#[test]
fn reading_values_leaves_idle_times_alone_where_the_engine_has_no_touch() {
    let server = redis();
    let mut c = server.connect().unwrap();
    let _: () = redis::cmd("SET").arg("a").arg("v").query(&mut c).unwrap();
    let out = redisadv(&["inspect", "--url", &url(&server), "--all"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("has no CLIENT NO-TOUCH"), "{text}");

    let Some(binary) = crate::common::engine_binary("redis-8.6", "no_touch") else {
        return;
    };
    let server = crate::common::redis_of(&binary);
    let mut c = server.connect().unwrap();
    for i in 0..20 {
        let _: () = redis::cmd("SET")
            .arg(format!("s:{i}"))
            .arg("v")
            .query(&mut c)
            .unwrap();
        let _: () = redis::cmd("HSET")
            .arg(format!("h:{i}"))
            .arg("f")
            .arg("v")
            .query(&mut c)
            .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let out = redisadv(&["inspect", "--url", &url(&server), "--all"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CLIENT NO-TOUCH, the keys' idle times"),
        "{text}"
    );
    for key in ["s:0", "h:0", "s:19"] {
        let idle: i64 = redis::cmd("OBJECT")
            .arg("IDLETIME")
            .arg(key)
            .query(&mut c)
            .unwrap();
        assert!(idle >= 3, "{key}: idle {idle} s after inspect read it");
    }
}
