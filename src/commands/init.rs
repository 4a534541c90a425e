//! `redisadv init`: an annotated scenario to start from (or a built-in one), and the
//! redis.conf it names, for someone who has only the binary; `redisadv scenarios` lists the
//! built-in ones.

use crate::cli::InitArgs;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

const SCENARIO: &str = include_str!("init_scenario.toml");
use crate::builtin::REDIS_CONF;

pub fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let text = match &args.from {
        Some(name) => crate::builtin::find(name)
            .map_err(|e| anyhow::anyhow!("--from: {e}"))?
            .text_beside_conf(),
        None => SCENARIO.to_string(),
    };
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
    crate::files::write(path, text.as_bytes())
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

/// `redisadv scenarios`: the built-in scenarios, one a line, with what each runs.
pub fn scenarios() -> anyhow::Result<ExitCode> {
    let width = crate::builtin::BUILTINS
        .iter()
        .map(|b| b.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for b in crate::builtin::BUILTINS {
        out.push_str(&format!("{:width$}  {}\n", b.name, b.summary));
    }
    out.push_str(
        "\nrun one: redisadv bench --builtin NAME; edit one: redisadv init --from NAME FILE.toml\n",
    );
    super::output::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
