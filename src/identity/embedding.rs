//! An engine's rule for embedded strings (object and value in one allocation): a
//! capability of the engine, chosen from its kind and version.

use super::{Kind, Version};

/// The longest string Redis 7.0 keeps in one allocation with its object (embstr).
pub const EMBSTR_MAX: usize = 44;

/// How an engine decides whether a string value shares one allocation with its object
/// (`embstr`) or gets one of its own (`raw`). Redis 8 and Valkey 9.1 also embed the key
/// (Valkey the expire too) in that allocation, so the key's length and the TTL count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// Redis 7.x (object.c `OBJ_ENCODING_EMBSTR_SIZE_LIMIT` 44): the value alone, up to 44 B.
    Redis7,
    /// Redis 8.x (object.c `kvobjSet`): 16 B object + key + 3 + value + 4 within one 64-byte
    /// cache line, i.e. key + value <= 41 B; the expire is metadata placed before the object
    /// and is left out of the sum.
    Redis8,
    /// Valkey 9.1 (object.c `shouldEmbedStringObject`): 8 B of object (its value pointer is
    /// reused) + 1 + the key's sds (header 1 B under 32 B, 3 B up to 252 B) + 8 B when an
    /// expire is stored + the value's sds8 (3 + value + 1) <= 128 B.
    Valkey9,
}

/// The key plus value bytes Redis 8 embeds at most.
const REDIS8_KEY_VALUE_MAX: usize = 41;
/// Valkey 9.1's budget for the object, key, expire and value of an embedded string.
const VALKEY_EMBED_BYTES: usize = 128;

impl Embedding {
    /// The rule of an engine: Redis 8+ and Valkey 9.1+ by their own rules, anything else
    /// (Redis 7, older Valkey, an unknown server) by Redis 7.0's 44 bytes.
    pub fn of(kind: &Kind, version: Version) -> Embedding {
        match kind {
            Kind::Valkey if version.at_least(9, 1) => Embedding::Valkey9,
            Kind::Redis if version.at_least(8, 0) => Embedding::Redis8,
            _ => Embedding::Redis7,
        }
    }

    /// Whether a `value`-byte string stored under a `key`-byte key (with its expire when
    /// `ttl`) is embedded. A few comparisons: this runs for every record during priming.
    pub fn embeds(self, key: usize, value: usize, ttl: bool) -> bool {
        match self {
            Embedding::Redis7 => value <= EMBSTR_MAX,
            Embedding::Redis8 => value <= EMBSTR_MAX && key + value <= REDIS8_KEY_VALUE_MAX,
            Embedding::Valkey9 => {
                value <= 255 && valkey_embedded(key, value, ttl) <= VALKEY_EMBED_BYTES
            }
        }
    }

    /// The rule in words, for warnings: which values are embedded and which are raw.
    pub fn describe(self, ttl: bool) -> String {
        match self {
            Embedding::Redis7 => format!("longer than {EMBSTR_MAX} B"),
            Embedding::Redis8 => format!(
                "longer than {REDIS8_KEY_VALUE_MAX} B with their key (Redis 8 embeds the key \
                 too: key + value <= {REDIS8_KEY_VALUE_MAX} B)"
            ),
            Embedding::Valkey9 => {
                let budget = 113 - 8 * ttl as usize;
                format!(
                    "longer than {budget} B with their key (Valkey 9.1 embeds the key{} too: \
                     key + value <= {budget} B, {} B for keys of 32 B or more)",
                    if ttl { " and the expire" } else { "" },
                    budget - 2
                )
            }
        }
    }
}

/// The bytes Valkey 9.1 would allocate to embed a string: the object less its value pointer
/// (8), the key's header-size byte and sds (header + key + NUL), the expire (8) when stored,
/// and the value's sds8 (3 + value + NUL).
fn valkey_embedded(key: usize, value: usize, ttl: bool) -> usize {
    let expire = if ttl { 8 } else { 0 };
    8 + (1 + sds_header(key) + key + 1) + expire + (3 + value + 1)
}

/// The header of the sds Valkey embeds a key as (sds.c `sdsReqType`: type 5 under 32 B, type
/// 8 up to 252 B, then 16 and 32).
fn sds_header(len: usize) -> usize {
    match len {
        0..32 => 1,
        32..=252 => 3,
        253..=65530 => 5,
        _ => 9,
    }
}
