//! dogpile_backend_redis_advanced's semantics over real Redis: its plain backend and its
//! `hstore` backend, values through the codec, TTL policies, and the distributed lock, with
//! every multi operation one pipelined round trip.

mod connect;
mod field_ttl;
mod lock;
pub mod plan;
pub mod redis_errors;
pub mod resp;
mod stream;

pub use connect::{ConnectOptions, Socket, redact, timeout_text};
pub use field_ttl::{SUPPORTED as FIELD_TTL_ENGINES, field_ttl_support};
pub use lock::{Lock, LockError, LockOptions};
pub use plan::{EXPIRES_FIELD, TtlPlan};
pub use stream::{PipeStream, StreamKiller, StreamSummary};

use crate::codec::{DecodeError, EncodeError, Format, Metadata, StoredMeta, Value};
use crate::dataset::Key;
use redis::{Cmd, Connection};

/// When a hash bucket gets a Redis TTL (`redis_expiration_time_hash` in the plugin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashTtl {
    /// Python `False`: buckets never get a TTL.
    Never,
    /// Python `None`, the plugin's default: EXPIRE only buckets this write created.
    OnCreate,
    /// Python `True`: EXPIRE after every write to the bucket.
    Always,
    /// The plugin's To Do: an `__expires__` field holds the absolute expiry time; a read of
    /// an expired bucket finds nothing and deletes the bucket.
    Field,
    /// The To Do's modern form: each written field gets its own TTL through the engine's
    /// hash field expiration (Redis 7.4+, Valkey 9.0+); an expired field is simply absent.
    FieldTtl,
}

impl HashTtl {
    pub fn name(self) -> &'static str {
        match self {
            HashTtl::Never => "never",
            HashTtl::OnCreate => "on-create",
            HashTtl::Always => "always",
            HashTtl::Field => "field",
            HashTtl::FieldTtl => "field-ttl",
        }
    }
}

/// Where `ct` comes from when the backend writes metadata. dogpile stamps every value with
/// its own `time.time()`, so the clock is read per record: record `n` of a load (0-based, in
/// write order) gets `ct_at(n)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// `time.time()` at each write.
    Now,
    /// A constant: every record gets the same `ct`.
    Fixed(f64),
    /// Starts at `start` and advances `step` seconds per record, as a real clock does while
    /// an application primes: the printed lengths of `ct` vary as real ones do, and every run
    /// stores the same bytes.
    Simulated { start: f64, step: f64 },
}

impl Clock {
    /// The `ct` of record `n` of a load.
    pub fn ct_at(self, n: u64) -> f64 {
        match self {
            Clock::Now => now_seconds(),
            Clock::Fixed(ct) => ct,
            Clock::Simulated { start, step } => start + n as f64 * step,
        }
    }

    /// What record `n` must carry when read back; `None` for the real clock.
    pub fn expected_ct(self, n: u64) -> Option<f64> {
        match self {
            Clock::Now => None,
            clock => Some(clock.ct_at(n)),
        }
    }

    /// Whether every record gets the same `ct` (one encoder serves a whole load).
    pub fn is_constant(self) -> bool {
        matches!(self, Clock::Fixed(_))
    }
}

/// Seconds since the epoch, as `time.time()`.
pub fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// How a backend stores values: the plugin's region arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendConfig {
    pub format: Format,
    /// dogpile's metadata version `v`.
    pub version: i64,
    /// `redis_expiration_time` in seconds; `None` for no Redis TTL.
    pub redis_ttl: Option<u64>,
    /// `redis_expiration_time_hash`.
    pub hash_ttl: HashTtl,
    pub clock: Clock,
    pub lock: LockOptions,
}

impl BackendConfig {
    pub fn new(format: Format) -> BackendConfig {
        BackendConfig {
            format,
            version: 2,
            redis_ttl: None,
            hash_ttl: HashTtl::OnCreate,
            clock: Clock::Now,
            lock: LockOptions::default(),
        }
    }

    pub fn ttl_plan(&self) -> TtlPlan {
        TtlPlan {
            redis_ttl: self.redis_ttl.filter(|t| *t > 0),
            hash_ttl: self.hash_ttl,
        }
    }

    /// Whether metadata read back is what this config wrote for record `n` of the load
    /// (where the envelope keeps it and the clock is not the real one).
    pub fn check_metadata(&self, meta: &Metadata, n: u64) -> Result<(), String> {
        let Some(ct) = self.clock.expected_ct(n) else {
            return Ok(());
        };
        let expected = match self.format.envelope {
            crate::codec::Envelope::Dogpile | crate::codec::Envelope::Tuple => {
                Metadata::new(ct, self.version)
            }
            crate::codec::Envelope::IntTime => Metadata::new(ct.trunc(), self.version),
            crate::codec::Envelope::Raw => return Ok(()),
        };
        if *meta == expected {
            Ok(())
        } else {
            Err(format!("metadata {meta:?} instead of {expected:?}"))
        }
    }

    /// Encodes one call's payloads, record `first + i` stamped with the clock's `ct_at`, as
    /// dogpile stamps each value of a set_multi.
    pub fn encode_call(
        &self,
        records: &[(Key, Value)],
        first: u64,
    ) -> Result<Vec<(Key, Vec<u8>)>, BackendError> {
        records
            .iter()
            .zip(first..)
            .map(|((key, payload), n)| {
                let meta = Metadata::new(self.clock.ct_at(n), self.version);
                let mut bytes = Vec::new();
                self.format
                    .encode_into(payload, meta, &mut bytes)
                    .map_err(|e| BackendError::Encode {
                        key: key.to_string(),
                        error: e,
                    })?;
                Ok((key.clone(), bytes))
            })
            .collect()
    }

    /// The command get and get_multi send for `key`: GET, HGET, or under the field policy
    /// HMGET of the field and `__expires__` (the read workload sends the same).
    pub fn get_command(&self, key: &Key) -> Cmd {
        let mut cmd;
        match key {
            Key::Plain(k) => {
                cmd = redis::cmd("GET");
                cmd.arg(k);
            }
            Key::Hash { bucket, field } if self.hash_ttl == HashTtl::Field => {
                cmd = redis::cmd("HMGET");
                cmd.arg(bucket).arg(field).arg(EXPIRES_FIELD);
            }
            Key::Hash { bucket, field } => {
                cmd = redis::cmd("HGET");
                cmd.arg(bucket).arg(field);
            }
        }
        cmd
    }

    /// The value a read gives back for stored `bytes`, metadata filled in as the plugin
    /// fakes it where the envelope keeps none (`now` is the clock's present).
    pub fn cached_value(&self, bytes: &[u8], now: f64) -> Result<CachedValue, DecodeError> {
        let decoded = self.format.decode(bytes)?;
        let metadata = match decoded.meta {
            StoredMeta::Metadata(m) => m,
            // The plugin fakes metadata so read-through callers see fresh values.
            StoredMeta::IntTime(t) => Metadata::new(t as f64, self.version),
            StoredMeta::Absent => Metadata::new(now, self.version),
        };
        Ok(CachedValue {
            payload: decoded.payload,
            metadata,
        })
    }

    /// The clock's "now" once `written` records were written: what the field policy stamps
    /// into `__expires__` and compares it with, so one clock dates a whole scenario.
    pub fn now_after(&self, written: u64) -> f64 {
        self.clock.ct_at(written)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    // The codec error is part of the message and deliberately not `source()`: a field named
    // `source` would be both, and `{:#}` would print it twice.
    #[error("cannot encode the value of key {key}: {error}")]
    Encode { key: String, error: EncodeError },
    #[error("cannot decode the value stored at {key}: {error}")]
    Decode { key: String, error: DecodeError },
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from Redis: {0}")]
    Reply(#[from] redis::ParsingError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// What a read gives back: the payload and dogpile's metadata (filled in for envelopes that
/// do not store it, as the plugin fakes it).
#[derive(Debug, Clone, PartialEq)]
pub struct CachedValue {
    pub payload: Value,
    pub metadata: Metadata,
}

impl CachedValue {
    /// Whether dogpile would still serve it under `expiration_time` seconds.
    pub fn is_fresh(&self, expiration_time: Option<f64>, now: f64) -> bool {
        expiration_time.is_none_or(|t| self.metadata.ct + t > now)
    }
}

/// A connected backend.
pub struct Backend {
    conn: Connection,
    config: BackendConfig,
    /// Records written so far: where the clock stands.
    written: u64,
}

impl Backend {
    pub fn connect(
        options: &ConnectOptions,
        config: BackendConfig,
    ) -> Result<Backend, BackendError> {
        Ok(Backend {
            conn: options.connect()?,
            config,
            written: 0,
        })
    }

    pub fn from_connection(conn: Connection, config: BackendConfig) -> Backend {
        Backend {
            conn,
            config,
            written: 0,
        }
    }

    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn get(&mut self, key: &Key) -> Result<Option<CachedValue>, BackendError> {
        Ok(self.get_multi(std::slice::from_ref(key))?.pop().flatten())
    }

    /// Values in the caller's order; duplicates and mixed plain/hash keys allowed; `None` for
    /// a miss. One round trip, plus one to delete buckets found expired under the field
    /// policy.
    pub fn get_multi(&mut self, keys: &[Key]) -> Result<Vec<Option<CachedValue>>, BackendError> {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.add_command(self.config.get_command(key));
        }
        let replies: Vec<redis::Value> = if keys.is_empty() {
            Vec::new()
        } else {
            pipe.query(&mut self.conn)?
        };
        let now = self.config.now_after(self.written);
        let mut expired: Vec<&str> = Vec::new();
        let mut out = Vec::with_capacity(keys.len());
        for (key, reply) in keys.iter().zip(replies) {
            let stored: Option<Vec<u8>> = match (key, reply) {
                (Key::Hash { bucket, .. }, redis::Value::Array(mut parts)) if parts.len() == 2 => {
                    let expires: Option<i64> = redis::from_redis_value(parts.pop().expect("two"))?;
                    if expires.is_some_and(|t| (t as f64) <= now) {
                        if !expired.contains(&bucket.as_str()) {
                            expired.push(bucket);
                        }
                        None
                    } else {
                        redis::from_redis_value(parts.pop().expect("two"))?
                    }
                }
                (_, reply) => redis::from_redis_value(reply)?,
            };
            out.push(match stored {
                Some(bytes) => Some(self.decode(key, &bytes)?),
                None => None,
            });
        }
        if !expired.is_empty() {
            let mut del = redis::cmd("DEL");
            for bucket in &expired {
                del.arg(*bucket);
            }
            del.query::<()>(&mut self.conn)?;
        }
        Ok(out)
    }

    fn decode(&self, key: &Key, bytes: &[u8]) -> Result<CachedValue, BackendError> {
        self.config
            .cached_value(bytes, self.config.now_after(self.written))
            .map_err(|e| BackendError::Decode {
                key: key.to_string(),
                error: e,
            })
    }

    /// `set`: SET (with EX under a TTL) for a plain key; for a hash key the same commands as
    /// a one-record set_multi.
    pub fn set(&mut self, key: &Key, payload: &Value) -> Result<(), BackendError> {
        if let Key::Plain(k) = key {
            let encoded = self
                .config
                .encode_call(&[(key.clone(), payload.clone())], self.written)?;
            self.written += 1;
            let mut cmd = redis::cmd("SET");
            cmd.arg(k).arg(&encoded[0].1);
            if let Some(ttl) = self.config.ttl_plan().redis_ttl {
                cmd.arg("EX").arg(ttl);
            }
            cmd.query::<()>(&mut self.conn)?;
            return Ok(());
        }
        self.set_multi(&[(key.clone(), payload.clone())])
    }

    /// One set_multi call: one pipelined round trip (two under the on-create policy: EXISTS
    /// for the call's buckets first).
    pub fn set_multi(&mut self, records: &[(Key, Value)]) -> Result<(), BackendError> {
        if records.is_empty() {
            return Ok(());
        }
        let now = self.config.now_after(self.written) as i64;
        let encoded = self.config.encode_call(records, self.written)?;
        self.written += records.len() as u64;
        let plan = self.config.ttl_plan();
        let buckets = plan::buckets_of(&encoded);
        let existing: Vec<bool> = if plan.needs_exists() && !buckets.is_empty() {
            let mut pipe = redis::pipe();
            for bucket in &buckets {
                pipe.cmd("EXISTS").arg(*bucket);
            }
            pipe.query(&mut self.conn)?
        } else {
            Vec::new()
        };
        let mut existed = |bucket: &str| {
            buckets
                .iter()
                .position(|b| *b == bucket)
                .and_then(|i| existing.get(i).copied())
                .unwrap_or(false)
        };
        let mut pipe = redis::pipe();
        plan::set_multi_commands(plan, &encoded, &mut existed, now, &mut |args| {
            pipe.add_command(plan::to_cmd(args)).ignore();
        });
        pipe.query::<()>(&mut self.conn)?;
        Ok(())
    }

    pub fn delete(&mut self, key: &Key) -> Result<(), BackendError> {
        self.delete_multi(std::slice::from_ref(key))
    }

    /// DEL for plain keys (one command), HDEL per hash key; one round trip.
    pub fn delete_multi(&mut self, keys: &[Key]) -> Result<(), BackendError> {
        let mut pipe = redis::pipe();
        let plain: Vec<&str> = keys
            .iter()
            .filter_map(|k| match k {
                Key::Plain(k) => Some(k.as_str()),
                Key::Hash { .. } => None,
            })
            .collect();
        if !plain.is_empty() {
            pipe.cmd("DEL").arg(&plain).ignore();
        }
        for key in keys {
            if let Key::Hash { bucket, field } = key {
                pipe.cmd("HDEL").arg(bucket).arg(field).ignore();
            }
        }
        if !keys.is_empty() {
            pipe.query::<()>(&mut self.conn)?;
        }
        Ok(())
    }

    /// dogpile's `get_mutex(key)` with `distributed_lock=True`: a Redis lock named
    /// `lock_prefix + key` (a hash key as `bucket,field`). Use [`Lock::acquire`] on it.
    pub fn mutex(&self, key: &Key) -> Lock {
        let name = match key {
            Key::Plain(k) => format!("{}{k}", self.config.lock.prefix),
            Key::Hash { bucket, field } => format!("{}{bucket},{field}", self.config.lock.prefix),
        };
        Lock::new(name, self.config.lock.clone())
    }
}
