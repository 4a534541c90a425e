//! Checks that refuse a `bench` run before any variant starts writing: today, a field-ttl
//! variant on an engine without hash field expiration.

use crate::backend::HashTtl;
use crate::engine_set::Engine;
use crate::scenario::Scenario;

/// Refuses the run when a field-ttl variant would meet an engine without HEXPIRE, from the
/// engine's capabilities read once before the run (no server is started to ask). An engine
/// that could not be asked is left to its jobs, which fail on their own. Nothing is
/// written either way. `place`: where the engine's servers are, for the message.
pub fn field_ttl(scenario: &Scenario, place: &str, engine: &Engine) -> anyhow::Result<()> {
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
    crate::identity::require_field_ttl(identity, &variant.name, place)
}
