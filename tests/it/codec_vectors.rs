//! Every encoder against CPython's bytes, and every decoder back, from the committed vectors
//! that `tests/vectors/generate.sh` writes with real Python.

use flate2::read::GzDecoder;
use redisadv::codec::{Codec, Envelope, Format, Metadata, StoredMeta, Value, pyliteral};
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};

fn codec(name: &str) -> Codec {
    match name {
        "pickle" => Codec::Pickle,
        "json" => Codec::Json,
        "msgpack" => Codec::Msgpack,
        other => panic!("unknown codec {other}"),
    }
}

fn envelope(name: &str) -> Envelope {
    match name {
        "dogpile" => Envelope::Dogpile,
        "tuple" => Envelope::Tuple,
        "int_time" => Envelope::IntTime,
        "raw" => Envelope::Raw,
        other => panic!("unknown envelope {other}"),
    }
}

/// Equality that holds for NaN too: both sides printed by the same repr.
fn same(a: &Value, b: &Value) -> bool {
    pyliteral::repr(a) == pyliteral::repr(b)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

#[test]
fn encoders_and_decoders_match_cpython() {
    let file = std::fs::File::open("tests/vectors/codec.jsonl.gz").expect("vectors committed");
    let mut values = 0;
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in BufReader::new(GzDecoder::new(file)).lines() {
        let row: Json = serde_json::from_str(&line.unwrap()).unwrap();
        let literal = row["literal"].as_str().unwrap();
        let payload = pyliteral::parse(literal)
            .unwrap_or_else(|e| panic!("cannot parse {}: {e}", short(literal)));
        values += 1;
        let meta = Metadata::new(row["ct"].as_f64().unwrap(), row["v"].as_i64().unwrap());
        // What each codec's reader gives back for the payload, as Python's loads does.
        let mut read_back = std::collections::HashMap::new();
        for f in row["formats"].as_array().unwrap() {
            if f["envelope"] == "raw" && !f["decode_only"].as_bool().unwrap_or(false) {
                let expected = match f["decoded"].as_str() {
                    Some(d) => Some(pyliteral::parse(d).unwrap()),
                    None if f.get("decode_error").is_some() => None,
                    None => Some(payload.clone()),
                };
                read_back.insert(f["codec"].as_str().unwrap().to_string(), expected);
            }
        }
        for f in row["formats"].as_array().unwrap() {
            checked += 1;
            let c = codec(f["codec"].as_str().unwrap());
            let e = envelope(f["envelope"].as_str().unwrap());
            let mut format = Format::new(c, e);
            if let Some(p) = f["protocol"].as_u64() {
                format = format.with_pickle_protocol(p as u8);
            }
            let label = format!("{c}/{e}/{:?} {}", f["protocol"].as_u64(), short(literal));
            if f["decode_only"].as_bool().unwrap_or(false) {
                let bytes = unhex(f["hex"].as_str().unwrap());
                let got = Format::new(Codec::Pickle, Envelope::Raw).decode(&bytes);
                match (got, f["decoded"].as_str(), f.get("decode_error")) {
                    (Ok(d), Some(want), _) => {
                        if !same(&d.payload, &pyliteral::parse(want).unwrap()) {
                            failures.push(format!("decode {label}"));
                        }
                    }
                    (Ok(d), None, None) if same(&d.payload, &payload) => {}
                    (Err(_), _, Some(_)) => {}
                    (got, _, _) => failures.push(format!("decode {label}: {got:?}")),
                }
                continue;
            }
            let encoded = format.encode(&payload, meta);
            let Some(hex) = f["hex"].as_str() else {
                if encoded.is_ok() {
                    failures.push(format!("Python refused but redisadv encoded: {label}"));
                }
                continue;
            };
            let want = unhex(hex);
            match &encoded {
                Ok(bytes) if *bytes == want => {}
                other => {
                    failures.push(format!(
                        "encode {label}: got {:?}",
                        other.as_ref().map(|b| b.len())
                    ));
                    continue;
                }
            }
            let Some(expected) = read_back
                .get(f["codec"].as_str().unwrap())
                .cloned()
                .flatten()
            else {
                continue; // Python cannot read it back either (e.g. a list as a map key)
            };
            match format.decode(&want) {
                Ok(d) => {
                    let meta_ok = match (e, d.meta) {
                        (Envelope::Raw, StoredMeta::Absent) => true,
                        (Envelope::IntTime, StoredMeta::IntTime(t)) => t == meta.ct.trunc() as i64,
                        (_, StoredMeta::Metadata(m)) => m == meta,
                        _ => false,
                    };
                    if !same(&d.payload, &expected) || !meta_ok {
                        failures.push(format!("decode {label}: {:?}", d.meta));
                    }
                }
                Err(err) => failures.push(format!("decode {label}: {err}")),
            }
        }
    }
    assert!(values >= 1000, "only {values} values");
    assert!(
        failures.is_empty(),
        "{} of {checked} vectors failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
