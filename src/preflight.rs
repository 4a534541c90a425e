//! Checks that refuse a `bench` run before any variant starts writing: today, a field-ttl
//! variant on an engine without hash field expiration.

use crate::backend::{HashTtl, require_field_ttl};
use crate::job::Target;
use crate::scenario::Scenario;
use crate::server::{RedisServer, ServerOptions};
use anyhow::Context;
use std::path::Path;

/// Refuses the run when a field-ttl variant would meet a server without HEXPIRE. Private
/// servers start per variant, so this starts one (with the first such variant's settings),
/// asks it, and stops it: about as cheap as `--version`, and COMMAND INFO is the engine's
/// own answer rather than a guess from a version number. A `--url` server is asked
/// directly. Nothing is written either way.
pub fn field_ttl(scenario: &Scenario, target: &Target, binary: &Path) -> anyhow::Result<()> {
    let Some(variant) = scenario
        .variants
        .iter()
        .find(|v| v.hash_ttl == HashTtl::FieldTtl)
    else {
        return Ok(());
    };
    match target {
        Target::Private => {
            let mut overrides = scenario.server.overrides.clone();
            overrides.extend(variant.overrides.iter().cloned());
            let server = RedisServer::start(&ServerOptions {
                binary: binary.to_path_buf(),
                config_file: Some(scenario.server.config_file.clone()),
                overrides,
                ..ServerOptions::default()
            })
            .context("starting a private server to check for hash field expiration")?;
            let mut conn = server
                .connect()
                .context("connecting to the private server to check for hash field expiration")?;
            require_field_ttl(&mut conn, &variant.name, &binary.display().to_string())
        }
        Target::Url { options, .. } => {
            let connect = crate::url_target::bounded(options);
            let mut conn = connect
                .connect()
                .with_context(|| format!("--url: cannot reach Redis at {}", connect.describe()))?;
            require_field_ttl(
                &mut conn,
                &variant.name,
                &format!("--url {}", connect.describe()),
            )
        }
    }
}
