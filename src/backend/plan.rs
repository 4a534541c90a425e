//! The Redis commands one set_multi call becomes, exactly as the Python backends send them.
//! Shared by [`super::Backend::set_multi`] (one pipelined round trip) and the loader (many
//! calls streamed per round trip, never merged).

use super::HashTtl;
use crate::dataset::Key;
use redis::Cmd;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

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
    // Indexes keep this linear: a call may hold thousands of fields.
    let mut bucket_at: HashMap<&str, usize> = HashMap::new();
    let mut field_at: HashMap<(usize, &str), usize> = HashMap::new();
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

/// Emits the commands of one set_multi call of already-encoded values.
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
    emit: &mut dyn FnMut(Cmd),
) {
    let plain: Vec<(&str, &[u8])> = records
        .iter()
        .filter_map(|(k, v)| match k {
            Key::Plain(key) => Some((key.as_str(), v.as_slice())),
            Key::Hash { .. } => None,
        })
        .collect();
    if !plain.is_empty() {
        match plan.redis_ttl {
            None => {
                let mut cmd = redis::cmd("MSET");
                for (key, value) in &plain {
                    cmd.arg(*key).arg(*value);
                }
                emit(cmd);
            }
            Some(ttl) => {
                for (key, value) in &plain {
                    let mut cmd = redis::cmd("SETEX");
                    cmd.arg(*key).arg(ttl).arg(*value);
                    emit(cmd);
                }
            }
        }
    }
    for (bucket, fields) in group_buckets(records) {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(bucket);
        for (field, value) in &fields {
            cmd.arg(*field).arg(*value);
        }
        let ttl = plan.redis_ttl;
        if let (Some(ttl), HashTtl::Field) = (ttl, plan.hash_ttl) {
            cmd.arg(EXPIRES_FIELD).arg(now + ttl as i64);
        }
        let expire = match (ttl, plan.hash_ttl) {
            (None, _) | (_, HashTtl::Never | HashTtl::Field | HashTtl::FieldTtl) => false,
            (Some(_), HashTtl::Always) => true,
            (Some(_), HashTtl::OnCreate) => !existed(bucket),
        };
        emit(cmd);
        if let (Some(ttl), HashTtl::FieldTtl) = (ttl, plan.hash_ttl) {
            let mut cmd = redis::cmd("HEXPIRE");
            cmd.arg(bucket).arg(ttl).arg("FIELDS").arg(fields.len());
            for (field, _) in &fields {
                cmd.arg(*field);
            }
            emit(cmd);
        }
        if expire {
            let mut cmd = redis::cmd("EXPIRE");
            cmd.arg(bucket).arg(ttl.expect("expire only with a TTL"));
            emit(cmd);
        }
    }
}

/// Distinct buckets of a call, in order: what the on-create policy asks EXISTS about.
pub fn buckets_of(records: &[(Key, Vec<u8>)]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
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
