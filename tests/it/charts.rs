//! Pictures: the SVG chart and the self-contained HTML report, checked for structure (the
//! SVG parses as XML, one bar per variant with its label and value, one line per variant in
//! a sweep chart) and for having no external reference.

use crate::common::project_file;
use std::path::Path;
use std::process::Command;

fn redisadv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .output()
        .unwrap()
}

/// The fill of a bar and the stroke of series 0 (`chart::color(0)`).
const BAR: &str = "#0072B2";

fn texts<'a>(doc: &'a roxmltree::Document) -> Vec<&'a str> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect()
}

#[test]
fn the_bench_svg_has_one_bar_per_variant_with_label_and_value() {
    let json = project_file("reports/quick-redis-7.0.json");
    let out = redisadv(&["report", json.to_str().unwrap(), "--format", "svg"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert!(doc.root_element().has_tag_name("svg"));
    let report = redisadv::report::load(&json).unwrap();
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(BAR))
        .count();
    assert_eq!(bars, report.variants.len());
    let texts = texts(&doc);
    for v in &report.variants {
        let percent = redisadv::report::relative_percent(&report, v).unwrap();
        assert!(texts.contains(&v.name.as_str()), "no label {}", v.name);
        let value = format!("{percent:.2}%");
        assert!(
            texts.contains(&value.as_str()),
            "no value {value} for {}",
            v.name
        );
    }
    // A bar's length is its value: the baseline's (100%) is the longest but none.
    let widths: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(BAR))
        .map(|n| n.attribute("width").unwrap().parse().unwrap())
        .collect();
    let baseline = report
        .variants
        .iter()
        .position(|v| v.name == report.baseline)
        .unwrap();
    let legacy = report
        .variants
        .iter()
        .position(|v| v.name == "region_redis_legacy")
        .unwrap();
    assert!(widths[legacy] > widths[baseline], "{widths:?}");
}

const SWEEP: &str = r#"name = "pictures"
description = "Buckets <across> the entry limit & back"
baseline = "keys"

[server]
config = "REDIS_CONF"

[dataset]
kind = "custom"
seed = 3

[[dataset.family]]
name = "items"
count = 2000
key = "item:{i}"
value = { type = "str", min_len = 10, max_len = 20 }

[[variant]]
name = "keys"
codec = "msgpack"
envelope = "raw"

[[variant]]
name = "hash"
codec = "msgpack"
envelope = "raw"
layout = "hash"
bucket_size = [250, 500, 1000]
"#;

/// Every `<svg>...</svg>` of an HTML page.
fn svg_parts(html: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("every <svg> is closed") + start + 6;
        parts.push(&rest[start..end]);
        rest = &rest[end..];
    }
    parts
}

#[test]
fn a_sweep_draws_one_line_per_variant_and_the_html_stands_alone() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("pictures.toml");
    std::fs::write(
        &scenario,
        SWEEP.replace("REDIS_CONF", project_file("redis.conf").to_str().unwrap()),
    )
    .unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--quiet",
        // A [[variant]]'s name selects all its runs.
        "--only",
        "keys,hash",
        "--out",
        &file("r.svg"),
        "--out",
        &file("r.html"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let svg = std::fs::read_to_string(file("r.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    // Series are the thick polylines (axes and ticks are 1 px): hash, and keys (not swept).
    let series: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .map(|n| n.attribute("points").unwrap())
        .collect();
    assert_eq!(series.len(), 2, "{series:?}");
    assert_eq!(
        series[0].split_whitespace().count(),
        3,
        "one point per bucket size"
    );
    let texts = texts(&doc);
    assert!(texts.contains(&"hash"), "{texts:?}");
    assert!(texts.contains(&"keys (not swept)"), "{texts:?}");
    assert!(texts.contains(&"bucket_size"), "{texts:?}");
    // 500 fields stay a listpack, 1000 are over hash-max-listpack-entries 512.
    assert!(texts.contains(&"listpack → hashtable"), "{texts:?}");

    let html = std::fs::read_to_string(file("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
    assert!(!html.contains("<script"), "no script at all");
    for attr in ["src=", "href="] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i..(i + 80).min(html.len())];
            assert!(!value.contains("http"), "external reference: {value}");
        }
    }
    let parts = svg_parts(&html);
    assert_eq!(parts.len(), 2, "the sweep chart and the bars");
    for part in parts {
        roxmltree::Document::parse(part).expect("each inline SVG is well-formed");
    }
    for want in [
        "Redis 7.0.15",
        "jemalloc",
        "pictures.toml",
        "hash[bucket_size=1000]",
        "Breakdown of dataset bytes",
        "Warnings",
        // The scenario text, escaped.
        "Buckets &lt;across&gt; the entry limit &amp; back",
        "name = &quot;pictures&quot;",
    ] {
        assert!(html.contains(want), "the page lacks {want}");
    }
    assert!(Path::new(&file("r.html")).metadata().unwrap().len() > 1000);
}
