use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = redisadv::cli::Cli::parse();
    match redisadv::commands::run(cli) {
        Ok(code) => code,
        // The reader of stdout went away (`| head`): a quiet end, as ripgrep does.
        Err(err) if redisadv::commands::output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", redisadv::commands::error_text(&err));
            ExitCode::from(2)
        }
    }
}
