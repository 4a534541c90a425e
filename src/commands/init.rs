//! `redisadv init`: an annotated scenario to start from, and the redis.conf it names, for
//! someone who has only the binary.

use crate::cli::InitArgs;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

const SCENARIO: &str = include_str!("init_scenario.toml");
const REDIS_CONF: &str = include_str!("../../redis.conf");

pub fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let path = &args.path;
    if path.exists() && !args.force {
        eprintln!(
            "error: {} already exists; choose another path or add --force to overwrite it",
            path.display()
        );
        return Ok(ExitCode::from(2));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    crate::files::write(path, SCENARIO.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    let conf = dir.join("redis.conf");
    if conf.exists() {
        eprintln!("kept {} (the scenario uses it)", conf.display());
    } else {
        crate::files::write(&conf, REDIS_CONF.as_bytes())
            .with_context(|| format!("writing {}", conf.display()))?;
        eprintln!("wrote {}", conf.display());
    }
    eprintln!("next: redisadv bench {}", path.display());
    Ok(ExitCode::SUCCESS)
}
