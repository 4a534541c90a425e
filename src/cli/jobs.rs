//! `--jobs N`: one type and one range for every command that runs things side by side
//! (bench's and whatif's variants, engines install's make jobs).

/// The most jobs any command runs at once: each bench or whatif job is a private
/// redis-server, and make gains nothing past the cores of any machine this runs on.
pub const MAX_JOBS: usize = 64;

/// `--jobs`: a whole number from 1 to [`MAX_JOBS`]; clap names the flag in the error.
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("0 runs nothing; give 1 (one at a time) or more".into()),
        Ok(n) if n <= MAX_JOBS => Ok(n),
        Ok(n) => Err(format!("{n} is more than {MAX_JOBS}; give 1 to {MAX_JOBS}")),
        Err(_) => Err(format!(
            "`{text}` is not a whole number; give e.g. --jobs 2"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_1_to_64() {
        assert_eq!(parse_jobs("1"), Ok(1));
        assert_eq!(parse_jobs("64"), Ok(64));
        assert!(parse_jobs("0").is_err());
        assert!(parse_jobs("65").is_err());
        assert!(parse_jobs("two").is_err());
    }
}
