//! The Redis commands one set_multi call becomes, exactly as the Python backends send them.
//! Shared by [`super::Backend::set_multi`] (one pipelined round trip) and the loader (many
//! calls streamed per round trip, never merged).

use super::HashTtl;
use crate::dataset::Key;
use redis::Cmd;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// foldhash's fast hasher rather than SipHash: the loader groups every record of a run
/// through these maps, and no key here comes from an adversary.
pub type Fast = foldhash::fast::RandomState;

/// The name of the extra field that carries a bucket's absolute expiry time under
/// [`HashTtl::Field`].
pub const EXPIRES_FIELD: &str = "__expires__";

/// TTL settings that decide the commands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TtlPlan {
    /// `redis_expiration_time` in seconds; `None` (or 0 in Python) means no Redis TTL.
    pub redis_ttl: Option<u64>,
    pub hash_ttl: HashTtl,
}

impl TtlPlan {
    /// Whether this plan asks Redis which buckets exist before writing (the on-create
    /// policy).
    pub fn needs_exists(&self) -> bool {
        self.redis_ttl.is_some() && self.hash_ttl == HashTtl::OnCreate
    }
}

/// One bucket's writes in a call: its name and its (field, value) pairs.
pub type BucketWrites<'a> = (&'a str, Vec<(&'a str, &'a [u8])>);

/// Buckets of one call in first-appearance order, each with its fields (a repeated field
/// keeps its first place and its last value, as a Python dict does).
pub fn group_buckets(records: &[(Key, Vec<u8>)]) -> Vec<BucketWrites<'_>> {
    let mut buckets: Vec<BucketWrites<'_>> = Vec::new();
    if !records.iter().any(|(k, _)| matches!(k, Key::Hash { .. })) {
        return buckets;
    }
    // Indexes keep this linear: a call may hold thousands of fields.
    let mut bucket_at: HashMap<&str, usize, Fast> =
        HashMap::with_capacity_and_hasher(records.len(), Fast::default());
    let mut field_at: HashMap<(usize, &str), usize, Fast> =
        HashMap::with_capacity_and_hasher(records.len(), Fast::default());
    for (key, value) in records {
        if let Key::Hash { bucket, field } = key {
            let slot = *bucket_at.entry(bucket.as_str()).or_insert_with(|| {
                buckets.push((bucket.as_str(), Vec::new()));
                buckets.len() - 1
            });
            let fields = &mut buckets[slot].1;
            match field_at.entry((slot, field.as_str())) {
                Entry::Occupied(at) => fields[*at.get()].1 = value,
                Entry::Vacant(v) => {
                    v.insert(fields.len());
                    fields.push((field.as_str(), value));
                }
            }
        }
    }
    buckets
}

/// Emits the commands of one set_multi call of already-encoded values, each as its
/// arguments (name first), so a loader can write RESP without building a `redis::Cmd` per
/// command: a million records a run, that was a visible part of the loader's CPU.
///
/// - plain keys without TTL: one `MSET` for the call (redis-py's `mset`);
/// - plain keys with TTL: `SETEX key ttl value` per key (redis-py's `setex` in a pipeline);
/// - hash keys: one `HSET bucket field value ...` per bucket per call, then `EXPIRE bucket
///   ttl` as the policy says; `existed(bucket)` answers for the on-create policy.
/// - field-ttl: `HSET` as above, then `HEXPIRE bucket ttl FIELDS n field ...` for the fields
///   just written. HSET + HEXPIRE rather than HSETEX: Redis 7.4 has HEXPIRE but not HSETEX
///   (8.0+), and Valkey 9 accepts both, so this form runs on every engine with hash field
///   expiration; the stored bytes are the same.
/// - `now` (seconds) dates the `__expires__` field of the field policy.
pub fn set_multi_commands(
    plan: TtlPlan,
    records: &[(Key, Vec<u8>)],
    existed: &mut dyn FnMut(&str) -> bool,
    now: i64,
    emit: &mut dyn FnMut(&[&[u8]]),
) {
    let mut ttl_text = itoa::Buffer::new();
    let ttl: Option<&[u8]> = plan.redis_ttl.map(|t| ttl_text.format(t).as_bytes());
    let mut plain: Vec<&[u8]> = Vec::new();
    for (key, value) in records {
        if let Key::Plain(key) = key {
            match ttl {
                None => {
                    if plain.is_empty() {
                        plain.reserve_exact(1 + 2 * records.len());
                        plain.push(b"MSET");
                    }
                    plain.push(key.as_bytes());
                    plain.push(value);
                }
                Some(ttl) => emit(&[b"SETEX", key.as_bytes(), ttl, value]),
            }
        }
    }
    if !plain.is_empty() {
        emit(&plain);
    }
    let mut expires_text = itoa::Buffer::new();
    let expires: Option<&[u8]> = match (plan.redis_ttl, plan.hash_ttl) {
        (Some(t), HashTtl::Field) => Some(expires_text.format(now + t as i64).as_bytes()),
        _ => None,
    };
    for (bucket, fields) in group_buckets(records) {
        let mut hset: Vec<&[u8]> = Vec::with_capacity(4 + 2 * fields.len());
        hset.extend([b"HSET".as_slice(), bucket.as_bytes()]);
        for (field, value) in &fields {
            hset.extend([field.as_bytes(), value]);
        }
        if let Some(expires) = expires {
            hset.extend([EXPIRES_FIELD.as_bytes(), expires]);
        }
        let expire = match (ttl, plan.hash_ttl) {
            (None, _) | (_, HashTtl::Never | HashTtl::Field | HashTtl::FieldTtl) => false,
            (Some(_), HashTtl::Always) => true,
            (Some(_), HashTtl::OnCreate) => !existed(bucket),
        };
        emit(&hset);
        if let (Some(ttl), HashTtl::FieldTtl) = (ttl, plan.hash_ttl) {
            let mut count = itoa::Buffer::new();
            let mut hexpire: Vec<&[u8]> = Vec::with_capacity(5 + fields.len());
            hexpire.extend([
                b"HEXPIRE".as_slice(),
                bucket.as_bytes(),
                ttl,
                b"FIELDS",
                count.format(fields.len()).as_bytes(),
            ]);
            hexpire.extend(fields.iter().map(|(field, _)| field.as_bytes()));
            emit(&hexpire);
        }
        if expire {
            let ttl = ttl.expect("expire only with a TTL");
            emit(&[b"EXPIRE", bucket.as_bytes(), ttl]);
        }
    }
}

/// Appends one command in RESP, as `redis-cli --pipe` reads it (the bytes of
/// `redis::Cmd::write_packed_command` for the same arguments).
pub fn write_resp(out: &mut Vec<u8>, args: &[&[u8]]) {
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(n.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// A `redis::Cmd` of the same arguments, for a client that sends through redis-rs.
pub fn to_cmd(args: &[&[u8]]) -> Cmd {
    let mut cmd = Cmd::new();
    for arg in args {
        cmd.arg(*arg);
    }
    cmd
}

/// Distinct buckets of a call, in order: what the on-create policy asks EXISTS about.
pub fn buckets_of(records: &[(Key, Vec<u8>)]) -> Vec<&str> {
    let mut seen: HashSet<&str, Fast> =
        HashSet::with_capacity_and_hasher(records.len(), Fast::default());
    let mut out: Vec<&str> = Vec::new();
    for (key, _) in records {
        if let Key::Hash { bucket, .. } = key
            && seen.insert(bucket.as_str())
        {
            out.push(bucket);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-packed RESP is redis-rs's, byte for byte: what `redis-cli --pipe` and the
    /// byte-identical command streams rely on.
    #[test]
    fn written_resp_is_redis_rs_packing() {
        let long = vec![b'x'; 70_000];
        let cases: [&[&[u8]]; 4] = [
            &[b"MSET", b"k", b"", b"k2", b"\r\n\x00\xff"],
            &[b"SETEX", b"key:1", b"3600", &long],
            &[b"EXISTS", b"bucket"],
            &[b"HEXPIRE", b"b", b"60", b"FIELDS", b"1", b"f"],
        ];
        for args in cases {
            let mut ours = Vec::new();
            write_resp(&mut ours, args);
            assert_eq!(ours, to_cmd(args).get_packed_command());
        }
        // Integers as redis-rs writes them.
        let mut cmd = redis::cmd("EXPIRE");
        cmd.arg("b").arg(3600u64);
        let mut ours = Vec::new();
        write_resp(&mut ours, &[b"EXPIRE", b"b", b"3600"]);
        assert_eq!(ours, cmd.get_packed_command());
    }

    /// Python dict semantics (first place, last value): buckets of 1 to 60 fields, each
    /// field repeated.
    #[test]
    fn grouping_keeps_first_place_and_last_value() {
        let mut records = Vec::new();
        for round in 0..3u8 {
            for n in 0..60usize {
                for b in (0..4).filter(|b| n < [1, 16, 17, 60][*b]) {
                    records.push((Key::hash(format!("b{b}"), format!("f{n}")), vec![round]));
                }
            }
        }
        let got = group_buckets(&records);
        assert_eq!(got.len(), 4);
        for (b, (bucket, fields)) in got.iter().enumerate() {
            let want = [1, 16, 17, 60][b];
            assert_eq!(*bucket, format!("b{b}"));
            assert_eq!(fields.len(), want, "{bucket}");
            for (n, (field, value)) in fields.iter().enumerate() {
                assert_eq!(*field, format!("f{n}"));
                assert_eq!(*value, &[2u8][..], "{bucket}/{field}: the last value");
            }
        }
    }
}
