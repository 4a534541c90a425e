//! Redis errors in one bounded line: a pipeline that failed on every command (a read-only
//! replica refuses each of thousands) is one message with a count, not megabytes.

use redis::RedisError;

/// `err` as one line: for a pipeline failure, the first failed command and how many failed.
pub fn brief(err: &RedisError) -> String {
    match err.clone().into_server_errors() {
        Some(errors) if errors.len() > 1 => {
            let (index, first) = &errors[0];
            format!(
                "{} commands failed; the first, command {} of the batch: {first}",
                errors.len(),
                index + 1
            )
        }
        Some(errors) if errors.len() == 1 => errors[0].1.to_string(),
        _ => err.to_string(),
    }
}

/// True when Redis answered WRONGTYPE: the key holds another type than the command reads.
pub fn is_wrong_type(err: &RedisError) -> bool {
    err.clone()
        .into_server_errors()
        .is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == "WRONGTYPE"))
}
