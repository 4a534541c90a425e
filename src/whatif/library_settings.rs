//! What to change in the library that wrote a family to get one of recode.rs's variants:
//! django-redis's `OPTIONS`, celery's result settings, or, where the library has no setting
//! (Flask-Caching, values written by the application), the code that does the same.

use super::Projection;
use crate::compress::Compressor;

/// The change that writes `p` (a row of library_rows.rs).
pub fn how(p: &Projection) -> String {
    let compressor = Compressor::ALL.into_iter().find(|c| c.name() == p.envelope);
    let swap = swapped(p);
    match p.library.as_str() {
        "django-redis" => {
            let mut opts = Vec::new();
            if let Some(c) = compressor {
                opts.push(format!("\"COMPRESSOR\": \"{}\"", c.django_class()));
            }
            match swap {
                Some("json") => opts.push(
                    "\"SERIALIZER\": \"django_redis.serializers.json.JSONSerializer\"".into(),
                ),
                Some("msgpack") => opts.push(
                    "\"SERIALIZER\": \"django_redis.serializers.msgpack.MSGPackSerializer\"".into(),
                ),
                _ => {}
            }
            let mut out = format!(
                "django-redis: CACHES[...][\"OPTIONS\"] = {{{}}}{}",
                opts.join(", "),
                needs(compressor, swap)
            );
            if swap.is_some() {
                out.push_str(
                    "; values stored with the old serializer do not read back under the new \
                     one: bump the cache's VERSION (or KEY_PREFIX) when switching",
                );
            }
            out
        }
        "celery" => {
            let mut opts = Vec::new();
            if compressor.is_some() {
                opts.push("result_compression = \"zlib\"".to_string());
            }
            if let Some(s) = swap {
                opts.push(format!(
                    "result_serializer = \"{s}\" (and \"{s}\" in result_accept_content)"
                ));
            }
            format!("celery: app.conf {}", opts.join(", "))
        }
        "Flask-Caching" => format!(
            "Flask-Caching has no setting for it: a subclass of cachelib's RedisSerializer \
             whose dumps() {} (integers stay digits), set as the RedisCache's serializer",
            code(compressor, swap)
        ),
        _ => format!(
            "in the application's code (redis-py): {}",
            code(compressor, swap)
        ),
    }
}

/// The serializer the row swaps to, when it swaps (rows that only compress are named after
/// their compressor: `zlib`; swaps after the serializer: `json`, `msgpack+zlib`).
fn swapped(p: &Projection) -> Option<&str> {
    let base = p.variant.split('+').next().unwrap_or("");
    matches!(base, "json" | "msgpack").then_some(base)
}

/// The Python a custom serializer would run.
fn code(c: Option<Compressor>, swap: Option<&str>) -> String {
    let ser = match swap {
        Some("json") => "json.dumps(value).encode()",
        Some("msgpack") => "msgpack.packb(value)",
        _ => "the bytes it writes today",
    };
    match c {
        None => format!("writes {ser}"),
        Some(c) => format!(
            "writes {ser} compressed with {} when longer than {} bytes (as django-redis's {} \
             does; reading it back needs the same check)",
            call(c),
            c.django_min_length(),
            c.django_class().rsplit('.').next().unwrap_or("")
        ),
    }
}

fn call(c: Compressor) -> &'static str {
    match c {
        Compressor::Zlib => "zlib.compress(data, 6)",
        Compressor::Lz4 => "lz4.frame.compress(data)",
        Compressor::Zstd => "pyzstd.compress(data)",
        Compressor::Lzma => "lzma.compress(data, preset=4)",
    }
}

/// The packages a django-redis setting needs beyond django-redis.
fn needs(c: Option<Compressor>, swap: Option<&str>) -> String {
    let mut pkgs = Vec::new();
    match c {
        Some(Compressor::Lz4) => pkgs.push("lz4"),
        Some(Compressor::Zstd) => pkgs.push("pyzstd"),
        _ => {}
    }
    if swap == Some("msgpack") {
        pkgs.push("msgpack");
    }
    if pkgs.is_empty() {
        String::new()
    } else {
        format!(" (pip install {})", pkgs.join(" "))
    }
}
