//! What one job of a run is: the run's options (where it runs among them), and the
//! (engine, variant) pair with everything each step needs. Shared by the orchestration
//! (`bench`), the protocol and every target.

use crate::backend::{BackendConfig, ConnectOptions};
use crate::dataset::Dataset;
use crate::engine_set;
use crate::scenario::{Scenario, Variant};

/// Where the command line says the variants run; `bench` turns it into a
/// [`crate::protocol::Target`], the only place that tells the kinds apart.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// A fresh private redis-server per variant.
    Private,
    /// An existing server the user named; `flush` allows emptying its database first,
    /// `keep` leaves the records written.
    Url {
        options: ConnectOptions,
        flush: bool,
        keep: bool,
        /// `--budget`: the most one variant's records may take on the server.
        budget: Option<u64>,
    },
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub target: TargetChoice,
    /// Show progress bars.
    pub progress: bool,
    /// Read every record back and compare it.
    pub verify: bool,
    /// Keep the loading connection open while the loaded figures are read, as a Python
    /// application's connection pool does: every figure then includes one idle client.
    pub hold_connection: bool,
    /// What the explanations measure.
    pub explain: crate::explain::ExplainOptions,
    /// How many jobs run at once (`--jobs`); above 1 the timing figures are not comparable.
    pub jobs: usize,
    /// Whether the next variant primes while this one settles (see `schedule::Ahead::Run`);
    /// `--no-overlap` turns it off, to compare priming figures with and without it.
    pub overlap: bool,
    /// The read workload after each variant's figures (`--read`); `None`: no reads.
    pub read: Option<crate::read::ReadSettings>,
}

/// One (engine, variant) job: what every step of it needs.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub scenario: &'a Scenario,
    /// The engine it runs on: binary, overrides, server name and version.
    pub engine: &'a engine_set::Engine,
    pub variant: &'a Variant,
    pub dataset: &'a Dataset,
    pub options: &'a RunOptions,
}

impl Job<'_> {
    /// The backend's configuration for this job's variant.
    pub fn config(&self) -> BackendConfig {
        backend_config(self.scenario, self.variant)
    }
}

pub fn backend_config(scenario: &Scenario, variant: &Variant) -> BackendConfig {
    let mut config = BackendConfig::new(variant.format);
    config.version = variant.version;
    config.redis_ttl = variant.redis_ttl;
    config.hash_ttl = variant.hash_ttl;
    config.clock = scenario.clock();
    config
}
