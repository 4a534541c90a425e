//! The family rule on every ambiguous case: msgpack's one-byte values, json's bare numbers
//! and words, dogpile's envelope around them, and families that really are text.

use super::*;
use crate::codec::{Codec, Envelope, Format, Metadata, Value};

fn msgpack_int(i: i64) -> Vec<u8> {
    Format::new(Codec::Msgpack, Envelope::Raw)
        .encode(&Value::Int(i), Metadata::new(1.0, 1))
        .unwrap()
}

fn read_all(values: &[Vec<u8>]) -> Vec<Detected> {
    let f = family_of(values.iter().map(|v| v.as_slice()));
    values.iter().map(|v| reading(v, f)).collect()
}

#[test]
fn msgpack_raw_small_ints_read_as_msgpack_in_their_family() {
    // 0x00-0x20 (control characters and space), 33-126 (printable), 127 (DEL), beyond.
    let values: Vec<Vec<u8>> = (0..=300).map(msgpack_int).collect();
    assert_eq!(
        detect(&values[42]).format,
        ValueFormat::Text,
        "per record: text"
    );
    assert_eq!(detect(&values[127]).format, ValueFormat::Binary);
    for (i, d) in read_all(&values).iter().enumerate() {
        assert_eq!(d.format, ValueFormat::Plain(Serializer::Msgpack), "{i}");
        assert_eq!(d.payload, Value::Int(i as i64), "{i}");
    }
    // Ints 0..120 only: most of them (33..120) read as text one by one.
    let small: Vec<Vec<u8>> = (0..=120).map(msgpack_int).collect();
    assert!(
        read_all(&small)
            .iter()
            .all(|d| d.format.name() == "msgpack")
    );
    // nil, false, true and a mix of them with printable ints.
    let mut mixed: Vec<Vec<u8>> = vec![vec![0xc0], vec![0xc2], vec![0xc3]];
    mixed.extend((40..50).map(msgpack_int));
    let read = read_all(&mixed);
    assert_eq!(read[0].payload, Value::None);
    assert_eq!(read[1].payload, Value::Bool(false));
    assert_eq!(read[3].payload, Value::Int(40));
}

#[test]
fn json_raw_numbers_and_words_read_as_json_in_their_family() {
    let values: Vec<Vec<u8>> = [
        &b"{\"a\": 1}"[..],
        b"[1, 2]",
        b"\"quoted\"",
        b"42",
        b"-7",
        b"1.5",
        b"true",
        b"null",
    ]
    .iter()
    .map(|v| v.to_vec())
    .collect();
    assert_eq!(detect(b"42").format, ValueFormat::Text);
    let read = read_all(&values);
    assert!(read.iter().all(|d| d.format.name() == "json"), "{read:?}");
    assert_eq!(read[3].payload, Value::Int(42));
    assert_eq!(read[4].payload, Value::Int(-7));
    assert_eq!(read[5].payload, Value::Float(1.5));
    assert_eq!(read[6].payload, Value::Bool(true));
    assert_eq!(read[7].payload, Value::None);
}

#[test]
fn dogpile_envelope_around_ambiguous_payloads() {
    let meta = Metadata::new(1700000000.5, 2);
    for codec in [Codec::Msgpack, Codec::Json] {
        let values: Vec<Vec<u8>> = (0..=120)
            .map(|i| {
                Format::new(codec, Envelope::Dogpile)
                    .encode(&Value::Int(i), meta)
                    .unwrap()
            })
            .collect();
        let read = read_all(&values);
        for (i, d) in read.iter().enumerate() {
            assert_eq!(d.format.name(), format!("dogpile/{codec}"), "{i}");
            assert_eq!(d.payload, Value::Int(i as i64));
            assert_eq!(d.created, Some(1700000000.5));
        }
    }
}

#[test]
fn text_stays_text() {
    // Counters, flags and words: nothing in the family reads as a serializer without doubt.
    let text: Vec<Vec<u8>> = ["42", "7", "a", "true", "null", "hello world", "1.5"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(family_of(text.iter().map(|v| v.as_slice())), None);
    assert!(
        read_all(&text)
            .iter()
            .all(|d| d.format == ValueFormat::Text)
    );
    // A few msgpack values among mostly words that decode as nothing: per record.
    let mut mixed = text.clone();
    mixed.extend(["order shipped", "cart empty", "hello again"].map(|s| s.as_bytes().to_vec()));
    mixed.push(vec![0x81, 0xa1, b'a', 0x01]);
    mixed.push(vec![0x81, 0xa1, b'b', 0x02]);
    let read = read_all(&mixed);
    assert_eq!(read[0].format, ValueFormat::Text);
    assert_eq!(read[0].payload, Value::str("42"));
    // A pickle family: text beside it is not pickle, and stays text.
    let pickled = Format::new(Codec::Pickle, Envelope::Raw)
        .encode(&Value::Int(5), Metadata::new(1.0, 1))
        .unwrap();
    let family = vec![pickled.clone(), pickled, b"42".to_vec()];
    assert_eq!(read_all(&family)[2].format, ValueFormat::Text);
}

#[test]
fn counts_and_names_follow_the_rule() {
    let values: Vec<Vec<u8>> = (0..=120).map(msgpack_int).collect();
    let mut t = Tally::default();
    let mut formats = BTreeMap::new();
    for v in &values {
        let f = detect(v).format;
        t.add(v, f);
        *formats.entry(f.name()).or_insert(0u64) += 1;
    }
    assert_eq!(formats["text"], 89);
    assert_eq!(
        t.apply(&formats),
        BTreeMap::from([("msgpack".to_string(), 121)])
    );
    // Merged halves say the same as the whole.
    let (mut a, mut b) = (Tally::default(), Tally::default());
    for (i, v) in values.iter().enumerate() {
        let x = if i % 2 == 0 { &mut a } else { &mut b };
        x.add(v, detect(v).format);
    }
    a.merge(&b);
    assert_eq!(a, t);
    // A record read again by the format its sample names.
    assert_eq!(detect_as(b"*", "msgpack").payload, Value::Int(42));
    assert_eq!(detect_as(b"*", "text").payload, Value::str("*"));
}
