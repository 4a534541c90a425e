//! Why each variant costs what it costs: the sizes the plan writes, warnings before
//! priming, the encodings Redis chose, the TTL's own cost, a breakdown of dataset bytes
//! that adds up, and a one-line "why" against the baseline.
//!
//! Everything that touches the server after priming runs after the reported figures are
//! read, so dataset bytes stay what they were without it.

pub mod breakdown;
pub mod encoding;
pub mod ttl_cost;
pub mod warnings;
pub mod written;

pub use breakdown::Part;
pub use encoding::{Embedding, EncodingMix, Limits};
pub use ttl_cost::TtlCost;
pub use written::Written;

use crate::backend::BackendConfig;
use crate::dataset::{Dataset, Layout};
use crate::probe;
use redis::Connection;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// A variant's explanation, as reports carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// The server's effective hash limits (CONFIG GET).
    pub limits: Limits,
    pub written: Written,
    /// Printed once priming has written the plan; the measured encodings confirm or
    /// contradict them.
    pub warnings: Vec<String>,
    pub encodings: EncodingMix,
    pub ttl: TtlCost,
    /// Parts of dataset bytes that add up to it.
    pub breakdown: Vec<Part>,
    /// What each step cost, in seconds.
    pub seconds: StepSeconds,
    /// Against the baseline; filled in when the report is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSeconds {
    /// Counting the sizes of what the loader wrote, as it wrote them (inside priming).
    pub plan: f64,
    pub encodings: f64,
    /// MEMORY STATS, and PERSIST with settling when the TTL cost is measured.
    pub ttl: f64,
}

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplainOptions {
    /// Measure the TTL's cost by PERSIST + settle (changes the server: private servers only).
    pub measure_ttl: bool,
    /// Keep the plan's warnings off stderr (whatif prints each distinct one once).
    pub quiet_warnings: bool,
}

/// The part of the explanation known before priming: the server's limits, and the
/// [`Tally`](written::Tally) the loader counts what it writes into.
pub struct Explainer {
    limits: Limits,
    tally: written::Tally,
    layout: Layout,
    variant: String,
}

impl Explainer {
    /// Reads the server's limits and which engine it is (its rule for embedded strings),
    /// then runs `meanwhile` (settling and reading the empty figure) on `conn`. CONFIG GET
    /// and INFO come before the empty figure, so nothing they ask changes what is measured.
    /// `config` says whether keys are stored with an expire.
    pub fn before_priming<T>(
        conn: &mut Connection,
        config: &BackendConfig,
        layout: Layout,
        seed: u64,
        variant: &str,
        embedding: Embedding,
        meanwhile: impl FnOnce(&mut Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<(Explainer, T)> {
        let limits = read_limits(conn, variant);
        let other = meanwhile(conn)?;
        let explainer = Explainer {
            limits,
            tally: written::Tally::new(seed, embedding, config),
            layout,
            variant: variant.to_string(),
        };
        Ok((explainer, other))
    }

    /// What the loader calls with each call's records as written.
    pub fn count(&mut self, records: &crate::loader::EncodedCall) {
        let started = Instant::now();
        for (key, bytes) in records {
            self.tally.add(key, bytes);
        }
        self.tally.seconds += started.elapsed().as_secs_f64();
    }

    /// Once every record is written: the sizes as written, and the warnings, printed on
    /// stderr now.
    pub fn written(self, dataset: &Dataset, config: &BackendConfig, print: bool) -> Scanned {
        let plan_seconds = self.tally.seconds;
        let seed = self.tally.seed();
        let scan = self.tally.finish(dataset, self.layout, config, self.limits);
        let warnings = warnings::warnings(&scan, self.limits);
        for w in warnings.iter().filter(|_| print) {
            crate::ui::say!("warning: variant {}: {w}", self.variant);
        }
        Scanned {
            limits: self.limits,
            scan,
            warnings,
            seed,
            layout: self.layout,
            variant: self.variant,
            plan_seconds,
        }
    }
}

/// The part of the explanation known once priming has written the plan.
pub struct Scanned {
    limits: Limits,
    scan: written::PlanScan,
    warnings: Vec<String>,
    seed: u64,
    layout: Layout,
    variant: String,
    plan_seconds: f64,
}

impl Scanned {
    /// After every reported figure is read: encodings, MEMORY STATS, the TTL cost (measured
    /// when asked, which removes the TTLs) and the breakdown. A server that refuses one of
    /// these (a `--url` server's ACL) costs the explanation, with a warning, not the
    /// variant's figures.
    pub fn after_figures(
        self,
        conn: &mut Connection,
        db: i64,
        dataset: &Dataset,
        dataset_bytes: u64,
        options: ExplainOptions,
        settle_limit: Duration,
    ) -> Option<Explanation> {
        let variant = self.variant.clone();
        self.measure(conn, db, dataset, dataset_bytes, options, settle_limit)
            .map_err(|e| crate::ui::say!("warning: variant {variant}: no explanation: {e:#}"))
            .ok()
    }

    fn measure(
        self,
        conn: &mut Connection,
        db: i64,
        dataset: &Dataset,
        dataset_bytes: u64,
        options: ExplainOptions,
        settle_limit: Duration,
    ) -> anyhow::Result<Explanation> {
        let started = Instant::now();
        let keys: Vec<String> = self.scan.check.iter().map(|(k, _)| k.clone()).collect();
        let got = probe::encodings(conn, &keys)?;
        let encodings = encoding::mix(
            self.scan.written.redis_keys,
            &self.scan.check,
            &got,
            self.scan.sampled,
            self.seed,
        );
        if encodings.unexpected > 0 {
            crate::ui::say!(
                "warning: variant {}: {} of {} keys checked are not encoded as predicted: {}",
                self.variant,
                encodings.unexpected,
                encodings.checked,
                encodings.unexpected_examples.join("; ")
            );
        }
        let encodings_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let stats = probe::memory_stats(conn, db)?;
        let (_, entries) = probe::keyspace(conn, db)?;
        let mut ttl = ttl_cost::derived(&stats, entries);
        if options.measure_ttl && entries > 0 {
            let mut names = redis_keys(dataset, self.layout, &self.scan);
            ttl = ttl_cost::measure(conn, db, &mut names, ttl, settle_limit)?;
        }
        let breakdown = breakdown::breakdown(dataset_bytes, &stats, &ttl);
        Ok(Explanation {
            limits: self.limits,
            written: self.scan.written,
            warnings: self.warnings,
            encodings,
            ttl,
            breakdown,
            seconds: StepSeconds {
                plan: self.plan_seconds,
                encodings: encodings_seconds,
                ttl: started.elapsed().as_secs_f64(),
            },
            why: None,
        })
    }
}

/// The effective hash limits; Redis 7.0's defaults, with a warning, when CONFIG GET is
/// refused (a `--url` server may rename or forbid CONFIG).
fn read_limits(conn: &mut Connection, variant: &str) -> Limits {
    let entries = probe::config_number(conn, "hash-max-listpack-entries");
    let value = probe::config_number(conn, "hash-max-listpack-value");
    match (entries, value) {
        (Ok(entries), Ok(value)) => Limits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
        },
        (Err(e), _) | (_, Err(e)) => {
            crate::ui::say!(
                "warning: variant {variant}: {e:#}; warnings assume Redis's defaults \
                 (hash-max-listpack-entries 128, hash-max-listpack-value 64)"
            );
            Limits {
                hash_max_listpack_entries: 128,
                hash_max_listpack_value: 64,
            }
        }
    }
}

/// Every Redis key the variant wrote, regenerated from the key templates (no values).
fn redis_keys<'a>(
    dataset: &'a Dataset,
    layout: Layout,
    scan: &'a written::PlanScan,
) -> Box<dyn Iterator<Item = String> + 'a> {
    match layout {
        Layout::Keys => Box::new(dataset.families.iter().flat_map(move |f| {
            (0..f.count).map(move |i| match f.key(i, Layout::Keys) {
                crate::dataset::Key::Plain(k) => k,
                crate::dataset::Key::Hash { bucket, .. } => bucket,
            })
        })),
        Layout::Hash => Box::new(scan.buckets.iter().map(|b| b.0.clone())),
    }
}
