//! How errors print: one line, each cause once.

/// An error and its causes on one line, as `{:#}` prints them, but without a cause whose
/// text is already in the line: some errors (redis's, for one) embed their source's text
/// in their own message and return it as `source()` too, which would print it twice.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
