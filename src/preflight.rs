//! Checks that refuse a `bench` run before any variant starts writing: today, a field-ttl
//! variant on an engine without hash field expiration.

use crate::backend::HashTtl;
use crate::engine_set::Engine;
use crate::job::Target;
use crate::scenario::Scenario;

/// Refuses the run when a field-ttl variant would meet an engine without HEXPIRE, from the
/// engine's capabilities read once before the run (no server is started to ask). An engine
/// that could not be asked is left to its jobs, which fail on their own. Nothing is
/// written either way.
pub fn field_ttl(scenario: &Scenario, target: &Target, engine: &Engine) -> anyhow::Result<()> {
    let Some(variant) = scenario
        .variants
        .iter()
        .find(|v| v.hash_ttl == HashTtl::FieldTtl)
    else {
        return Ok(());
    };
    let Some(identity) = &engine.identity else {
        return Ok(());
    };
    crate::identity::require_field_ttl(identity, &variant.name, &where_is(target, engine))
}

/// Where an engine's servers are, for messages: its binary, or `--url redis://...`.
pub fn where_is(target: &Target, engine: &Engine) -> String {
    match target {
        Target::Private => engine.binary.display().to_string(),
        Target::Url { options, .. } => format!("--url {}", options.describe()),
    }
}
