//! Random and mutated bytes into every decoder: a typed error or a value, never a panic, and
//! no allocation sized by a length field the input does not back.

use proptest::prelude::*;
use redisadv::codec::{Codec, Envelope, Format, Metadata, Value, detect, pyliteral};

/// 100,000 cases per decoder by default; `PROPTEST_CASES` overrides.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Valid stored values of every format, for mutation: most random bytes die at the first
/// byte, mutated real values reach deep into each reader.
fn seeds() -> Vec<(Format, Vec<u8>)> {
    let payloads = [
        "{'one': 398601, 'two': 'fizzbuzz', 'n': [None, True, 1.5, -7, 2**70]}",
        "[b'\\x00bytes', ('a', 'a', ''), {1: 2.5}, 18446744073709551615]",
        "'qkknasdkk'",
        "10",
    ];
    let meta = Metadata::new(1795593845.0916238, 2);
    let mut out = Vec::new();
    for text in payloads {
        let text = text.replace("2**70", "1180591620717411303424");
        let payload = pyliteral::parse(&text).expect("seed literal");
        for codec in Codec::ALL {
            for envelope in Envelope::ALL {
                for proto in [2, 4, 5] {
                    let format = Format::new(codec, envelope).with_pickle_protocol(proto);
                    if let Ok(bytes) = format.encode(&payload, meta) {
                        out.push((format, bytes));
                    }
                }
            }
        }
    }
    out
}

fn mutate(mut bytes: Vec<u8>, edits: &[(u16, u8, u8)]) -> Vec<u8> {
    for &(at, kind, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let i = at as usize % bytes.len();
        match kind % 4 {
            0 => bytes[i] = byte,
            1 => bytes.insert(i, byte),
            2 => {
                bytes.remove(i);
            }
            _ => bytes.truncate(i),
        }
    }
    bytes
}

fn every_decoder(bytes: &[u8]) {
    for codec in Codec::ALL {
        for envelope in Envelope::ALL {
            let _ = Format::new(codec, envelope).decode(bytes);
        }
    }
    let _ = detect(bytes, None, None);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        every_decoder(&bytes);
    }

    #[test]
    fn mutated_values_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let seeds = seeds();
        let (format, bytes) = &seeds[seed.index(seeds.len())];
        let bytes = mutate(bytes.clone(), &edits);
        let _ = format.decode(&bytes);
        every_decoder(&bytes);
    }
}

/// Length fields claiming gigabytes: each must fail fast without reserving that memory.
#[test]
fn huge_length_fields_are_errors() {
    let cases: &[(&str, Codec, &[u8])] = &[
        (
            "BINUNICODE8 2**60",
            Codec::Pickle,
            b"\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x10.",
        ),
        (
            "BINBYTES 4 GiB",
            Codec::Pickle,
            b"\x80\x03B\xff\xff\xff\xff.",
        ),
        (
            "LONG4 4 GiB",
            Codec::Pickle,
            b"\x80\x02\x8b\xff\xff\xff\xff.",
        ),
        (
            "FRAME 2**63",
            Codec::Pickle,
            b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x80K\x01.",
        ),
        (
            "LONG_BINPUT 4e9",
            Codec::Pickle,
            b"\x80\x02Nr\xff\xff\xff\xff.",
        ),
        ("array32 4e9", Codec::Msgpack, b"\xdd\xff\xff\xff\xff\x01"),
        ("map32 4e9", Codec::Msgpack, b"\xdf\xff\xff\xff\xff\x01\x02"),
        ("str32 4 GiB", Codec::Msgpack, b"\xdb\xff\xff\xff\xffab"),
    ];
    for (name, codec, bytes) in cases {
        let result = Format::new(*codec, Envelope::Raw).decode(bytes);
        if *name == "LONG_BINPUT 4e9" {
            assert_eq!(result.unwrap().payload, Value::None, "{name}");
        } else {
            assert!(result.is_err(), "{name} decoded");
        }
    }
}

/// A pickle that shares one list a million times over must not expand without bound.
#[test]
fn shared_references_expand_within_a_budget() {
    // a = [0]; then 60 times: a = [a, a]  => 2**60 leaves if expanded naively.
    let mut p = b"\x80\x02]q\x00K\x00a".to_vec();
    for i in 1..=60u8 {
        p.extend_from_slice(&[b'(', b'h', i - 1, b'h', i - 1, b'l', b'q', i]);
    }
    p.push(b'.');
    let err = Format::new(Codec::Pickle, Envelope::Raw)
        .decode(&p)
        .unwrap_err();
    assert!(err.to_string().contains("shared references"), "{err}");
}
