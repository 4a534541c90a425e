//! bench's read-workload group: `--read` and the `--read-*` flags that tune it (each
//! implies `--read`), checked against the same limits as the scenario's `read` table.

use super::heading;
use crate::read::ReadOverrides;
use clap::Args;

#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = heading::READ)]
pub struct ReadArgs {
    /// After each variant's memory figures, run a seeded read workload through the backend
    /// (get, get_multi, codec decode) and redis-benchmark GET beside it; report ops/s,
    /// records/s, latency p50/p99/p99.9 and the decode share. Settings: the scenario's
    /// `read = { ... }`, else the defaults, and the --read-* flags over both.
    #[arg(long)]
    pub read: bool,
    /// Connections kept busy at once (default 50, as redis-benchmark -c).
    #[arg(long, value_name = "C", value_parser = setting("connections"))]
    pub read_connections: Option<i64>,
    /// Calls in flight per connection (default 1, as redis-benchmark -P).
    #[arg(long, value_name = "D", value_parser = setting("pipeline"))]
    pub read_pipeline: Option<i64>,
    /// Calls per phase (default 50000).
    #[arg(long, value_name = "N", value_parser = setting("ops"))]
    pub read_ops: Option<i64>,
    /// Keys per get_multi call (default 10).
    #[arg(long, value_name = "K", value_parser = setting("multi"))]
    pub read_multi: Option<i64>,
    /// Seed of the key choice (default 0).
    #[arg(long, value_name = "S", value_parser = setting("seed"))]
    pub read_seed: Option<i64>,
}

impl ReadArgs {
    /// The flags as the library takes them.
    pub fn overrides(&self) -> ReadOverrides {
        ReadOverrides {
            read: self.read,
            read_connections: self.read_connections,
            read_pipeline: self.read_pipeline,
            read_ops: self.read_ops,
            read_multi: self.read_multi,
            read_seed: self.read_seed,
        }
    }
}

/// A `--read-*` value: a whole number (`_` separators allowed) in the setting's range.
fn setting(
    name: &'static str,
) -> impl Fn(&str) -> Result<i64, String> + Clone + Send + Sync + 'static {
    move |text: &str| match text.trim().replace('_', "").parse::<i64>() {
        Ok(v) => crate::read::check_setting(name, v),
        Err(_) => Err(format!(
            "`{text}` is not a whole number; {}",
            crate::read::hint(name)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::setting;

    #[test]
    fn read_flags_are_held_to_the_scenario_limits() {
        assert!(setting("ops")("0").unwrap_err().contains("ops must be"));
        assert!(setting("ops")("x").unwrap_err().contains("whole number"));
        assert_eq!(setting("ops")("50_000"), Ok(50_000));
    }
}
