use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = redisadv::cli::Cli::parse();
    match redisadv::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
