//! A target for tests that needs no Redis: each variant's job gives the figures it was told
//! to (or fails at the step it was told to), its writes go through the real loader into a
//! sink that discards them, and every call is recorded, so the protocol's order and the
//! orchestration (ordering, failures, a fatal stop, --out, --jobs, the settle overlap) can
//! be tested on their own.

use super::{Explained, NodeFigures, Session, Target, Writes};
use crate::dataset::Key;
use crate::engine_set::Engine;
use crate::job::Job;
use crate::loader::{DumpSink, LoadOutcome};
use crate::probe::MemoryInfo;
use crate::report::Sample;
use crate::scenario::Scenario;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What a variant's job does on the fake target.
#[derive(Debug, Clone)]
pub enum Given {
    /// The empty and the loaded used_memory.
    Figures { empty: u64, loaded: u64 },
    /// Fails at `step` (`"empty"`, `"prime"`, `"settle"`, ...); `fatal` stops the run.
    Fail { step: &'static str, fatal: bool },
}

/// An error the fake target takes as fatal (as a --url target takes an eviction).
#[derive(Debug, thiserror::Error)]
#[error("fake fatal error")]
pub struct FakeFatal;

/// The fake target: `given` per variant name (unnamed ones measure 1,000 B empty and
/// 2,000 B loaded).
#[derive(Default)]
pub struct Fake {
    pub given: HashMap<String, Given>,
    /// How long each job's settling takes.
    pub settle: Duration,
    /// Per variant, an extra settling time (to make jobs finish out of order).
    pub settle_of: HashMap<String, Duration>,
    /// Every call, in the order made: `"<step> <variant>"`.
    pub calls: Mutex<Vec<String>>,
    /// Jobs between priming and their end right now, and the most at once.
    pub running: AtomicUsize,
    pub most_running: AtomicUsize,
}

impl Fake {
    fn log(&self, step: &str, variant: &str) {
        self.calls.lock().unwrap().push(format!("{step} {variant}"));
    }

    /// The calls recorded so far.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// The calls made for `variant`, without its name.
    pub fn calls_of(&self, variant: &str) -> Vec<String> {
        let suffix = format!(" {variant}");
        self.calls()
            .into_iter()
            .filter_map(|c| c.strip_suffix(&suffix).map(str::to_string))
            .collect()
    }
}

impl Target for Fake {
    fn name(&self) -> String {
        "fake".into()
    }

    fn place(&self, _engine: &Engine) -> String {
        "fake".into()
    }

    fn identify(&self, _: &Scenario, _: &mut [Engine], _: bool) -> anyhow::Result<()> {
        Ok(())
    }

    fn prepares_ahead(&self) -> bool {
        true
    }

    fn open<'a>(&'a self, job: Job<'a>) -> anyhow::Result<Box<dyn Session + 'a>> {
        let variant = job.variant.name.clone();
        self.log("open", &variant);
        let given = self.given.get(&variant).cloned().unwrap_or(Given::Figures {
            empty: 1_000,
            loaded: 2_000,
        });
        Ok(Box::new(FakeSession {
            fake: self,
            variant,
            given,
            primed: false,
        }))
    }

    fn is_fatal(&self, e: &anyhow::Error) -> bool {
        e.chain().any(|c| c.is::<FakeFatal>())
    }
}

struct FakeSession<'a> {
    fake: &'a Fake,
    variant: String,
    given: Given,
    /// Counted among the running jobs (from priming to the end).
    primed: bool,
}

impl FakeSession<'_> {
    /// Records the call and fails it when told to.
    fn step(&self, step: &str) -> anyhow::Result<()> {
        self.fake.log(step, &self.variant);
        match &self.given {
            Given::Fail { step: at, fatal } if *at == step => {
                let message = format!("fake failure at {step} of {}", self.variant);
                Err(if *fatal {
                    anyhow::Error::new(FakeFatal).context(message)
                } else {
                    anyhow::anyhow!(message)
                })
            }
            _ => Ok(()),
        }
    }

    fn memory(used_memory: u64) -> MemoryInfo {
        MemoryInfo {
            used_memory,
            used_memory_human: crate::report::human_bytes(used_memory),
            used_memory_rss: used_memory,
            used_memory_peak: used_memory,
            used_memory_dataset: used_memory,
            used_memory_overhead: 0,
        }
    }

    fn figures_given(&self) -> (u64, u64) {
        match self.given {
            Given::Figures { empty, loaded } => (empty, loaded),
            Given::Fail { .. } => (1_000, 2_000),
        }
    }
}

impl Session for FakeSession<'_> {
    fn empty(&mut self) -> anyhow::Result<Vec<MemoryInfo>> {
        self.step("empty")?;
        Ok(vec![Self::memory(self.figures_given().0)])
    }

    fn prime(&mut self, writes: &dyn Writes) -> anyhow::Result<LoadOutcome> {
        let now = self.fake.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.fake.most_running.fetch_max(now, Ordering::SeqCst);
        self.primed = true;
        self.step("prime")?;
        let outcome = writes.write(&mut DumpSink::new(std::io::sink()), &mut |_| {})?;
        self.fake.log("primed", &self.variant);
        Ok(outcome)
    }

    fn settle(&mut self) -> anyhow::Result<f64> {
        let wait = self.fake.settle
            + self
                .fake
                .settle_of
                .get(&self.variant)
                .copied()
                .unwrap_or_default();
        std::thread::sleep(wait);
        self.step("settle")?;
        Ok(wait.as_secs_f64())
    }

    fn figures(&mut self) -> anyhow::Result<Vec<NodeFigures>> {
        self.step("figures")?;
        Ok(vec![NodeFigures {
            memory: Self::memory(self.figures_given().1),
            keys: 0,
            keys_with_ttl: 0,
        }])
    }

    fn samples(&mut self, keys: &[Key]) -> anyhow::Result<Vec<Sample>> {
        self.step("samples")?;
        Ok(keys
            .iter()
            .map(|key| Sample {
                key: key.clone(),
                hex: None,
            })
            .collect())
    }

    fn verify(&mut self) -> anyhow::Result<crate::report::Verified> {
        self.step("verify")?;
        Ok(crate::report::Verified {
            records: 0,
            mismatches: 0,
            examples: Vec::new(),
        })
    }

    fn release(&mut self) -> anyhow::Result<()> {
        self.step("release")
    }

    fn explain(&mut self, _dataset_bytes: u64) -> anyhow::Result<Explained> {
        self.step("explain")?;
        Ok(Explained::default())
    }

    fn read(&mut self) -> anyhow::Result<Option<crate::read::ReadFigures>> {
        self.step("read")?;
        Ok(None)
    }

    fn overlaps(&self) -> bool {
        true
    }

    fn allocator(&self) -> String {
        "fake".into()
    }

    fn end(self: Box<Self>, failed: Option<anyhow::Error>) -> anyhow::Result<f64> {
        self.fake.log("end", &self.variant);
        if self.primed {
            self.fake.running.fetch_sub(1, Ordering::SeqCst);
        }
        failed.map_or(Ok(0.0), Err)
    }
}
