//! Checks that need more than a type: redis.conf overrides that would let the private server
//! escape its directory or outlive redisadv, templates that map many records to one key, and
//! datasets too large for the machine.

use super::{MAX_SCALE, RawFamily, Variant};
use crate::dataset::{Family, Layout, Template, ValueGen};
use anyhow::bail;
use toml::Spanned;

/// Why an override is refused, and what to do instead; `None` when it is allowed.
pub fn refused_override(name: &str, value: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let value = value.trim();
    let truthy = !matches!(
        value.to_ascii_lowercase().as_str(),
        "no" | "" | "\"\"" | "0"
    );
    let why = match name.as_str() {
        "daemonize" if truthy => {
            "would detach the server from redisadv, which then could not stop it; redisadv runs \
             it in the foreground and kills it when done"
        }
        "daemonize" => return None,
        "dir" => {
            "would move the server out of its temporary directory; redisadv gives each server \
             its own and removes it afterwards"
        }
        "logfile" => {
            "would write the log outside the server's temporary directory; redisadv keeps it \
             there and shows its last lines when the server dies"
        }
        "pidfile" => "would write a pid file outside the server's temporary directory",
        "include" => {
            "would read a second file the scenario does not show; put the directives in the \
             overrides or in the [server] config file"
        }
        "dbfilename" | "appendfilename" | "appenddirname" | "cluster-config-file" | "aclfile" => {
            "names a persistence file; redisadv runs the server without persistence (and \
             without files outside its temporary directory)"
        }
        "save" if value.is_empty() || value == "\"\"" => return None,
        "save" => {
            "would write snapshots (a forked child that may outlive redisadv, and memory the \
             figures would count); only save = \"\" is allowed"
        }
        "appendonly" if truthy => {
            "would write an append-only file and rewrite it in a forked child; only appendonly = \
             \"no\" is allowed"
        }
        "appendonly" => return None,
        "cluster-enabled" if truthy => {
            "would open a cluster bus port and write nodes.conf on a standalone server; for a \
             cluster, set [server] cluster = { nodes = N } (or bench --cluster N)"
        }
        "cluster-enabled" => return None,
        "unixsocket" if value.starts_with('/') || value.split('/').any(|p| p == "..") => {
            "must stay inside the server's temporary directory: give a plain relative name such \
             as \"redis.sock\""
        }
        "unixsocket" => return None,
        n if n.starts_with("syslog-") => {
            "would send the server's log to syslog, outside its temporary directory"
        }
        "bind" | "port" | "tls-port" | "bind-source-addr" => {
            "redisadv binds each private server itself: a unix socket in its own 0700 \
             directory and no TCP port (a cluster's nodes: 127.0.0.1 on free ports, behind a \
             random password)"
        }
        "requirepass" | "masterauth" => {
            "redisadv keeps each private server to itself (a socket in a 0700 directory, or a \
             random password it never shows); a password in the scenario would be printed in \
             every report"
        }
        "replicaof" | "slaveof" => {
            "would make the server connect to another server; redisadv measures one private \
             server"
        }
        "loadmodule" => "would load code into the server that the measurement does not show",
        _ => return None,
    };
    Some(format!(
        "{name} {why}. Remove it from the overrides (redisadv sets --dir, --logfile, --daemonize \
         no, --save \"\" and --appendonly no itself)"
    ))
}

/// Whether a key template renders a different key for every index: `{i}`, or `{i / N}` (or
/// `{i - i % N}`) together with `{i % N}`.
pub fn distinguishes(templates: &[&Template]) -> bool {
    let parts: Vec<_> = templates.iter().flat_map(|t| t.index_parts()).collect();
    use crate::dataset::IndexPart as P;
    parts.contains(&P::Index)
        || parts.iter().any(|p| match p {
            P::Div(n) | P::Block(n) => parts.contains(&P::Mod(*n)),
            _ => false,
        })
}

/// A rough size of one stored record: key, value, and Redis's own bookkeeping per key.
pub fn estimated_record_bytes(key: &Template, value: &ValueGen) -> f64 {
    const PER_KEY: f64 = 60.0;
    key.source().len() as f64 + 8.0 + value.estimated_len() + PER_KEY
}

/// This machine's memory in bytes (MemTotal); the dataset lives in Redis's memory.
pub fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn check_scale(scale: f64) -> Result<(), String> {
    if scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE {
        Ok(())
    } else {
        Err(format!(
            "must be more than 0 and at most {MAX_SCALE}, got {scale}"
        ))
    }
}

/// `[server.overrides]` or `[variant.overrides]` as `--name value` pairs. Directives that
/// would let the private server escape its directory or outlive redisadv are refused.
pub(super) fn overrides(
    map: &std::collections::BTreeMap<String, Spanned<toml::Value>>,
    what: &str,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> anyhow::Result<Vec<(String, String)>> {
    map.iter()
        .map(|(name, spanned)| {
            let here = at(spanned.span());
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                bail!("{here}: {what}: {name:?} is not a redis.conf directive name");
            }
            let text = match spanned.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
                other => {
                    bail!(
                        "{here}: {what}: {name} must be a string, number or boolean, not {}",
                        other.type_str()
                    );
                }
            };
            if let Some(why) = refused_override(name, &text) {
                bail!("{here}: {what}: {why}");
            }
            Ok((name.clone(), text))
        })
        .collect()
}

/// A family's templates must give every record its own key under each layout the variants
/// use, unless the family says `overwrite = true`.
pub(super) fn check_distinct(
    raw: &RawFamily,
    family: &Family,
    variants: &[Variant],
    fail: &dyn Fn(std::ops::Range<usize>, String) -> anyhow::Error,
) -> anyhow::Result<()> {
    if raw.overwrite {
        return Ok(());
    }
    // A variant with its own bucketing is checked where it is parsed.
    let uses = |layout| {
        variants.iter().any(|v| {
            v.layout == layout
                && !(layout == Layout::Hash
                    && v.dataset.as_ref().is_some_and(|d| d.buckets.is_some()))
        })
    };
    let name = &family.name;
    let advice = "give each record its own key with {i} (or {i / N} with {i % N}), or add \
                  overwrite = true to the family if later records are meant to overwrite earlier \
                  ones";
    if uses(Layout::Keys) && !distinguishes(&[&family.key]) {
        return Err(fail(
            raw.key.span(),
            format!(
                "[[dataset.family]] {name:?}: key = {:?} writes many records onto one key; \
                 {advice}",
                family.key.source()
            ),
        ));
    }
    if uses(Layout::Hash) && !distinguishes(&[&family.bucket, &family.field]) {
        let span = raw
            .field
            .as_ref()
            .or(raw.bucket.as_ref())
            .map_or(raw.name.span(), |t| t.span());
        return Err(fail(
            span,
            format!(
                "[[dataset.family]] {name:?}: bucket = {:?} with field = {:?} writes many records \
                 onto one hash field (the hash layout); {advice}",
                family.bucket.source(),
                family.field.source()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_refused_and_harmless_settings_pass() {
        for (n, v) in [
            ("daemonize", "yes"),
            ("dir", "/tmp"),
            ("logfile", "/var/log/r.log"),
            ("save", "900 1"),
            ("appendonly", "yes"),
            ("unixsocket", "/tmp/r.sock"),
            ("unixsocket", "../r.sock"),
            ("syslog-enabled", "yes"),
            ("Dir", "x"),
            ("bind", "0.0.0.0"),
        ] {
            assert!(refused_override(n, v).is_some(), "{n} {v}");
        }
        for (n, v) in [
            ("daemonize", "no"),
            ("save", ""),
            ("appendonly", "no"),
            ("unixsocket", "redis.sock"),
            ("hash-max-listpack-entries", "1024"),
        ] {
            assert!(refused_override(n, v).is_none(), "{n} {v}");
        }
    }

    #[test]
    fn which_templates_tell_records_apart() {
        let t = |s: &str| Template::parse(s).unwrap();
        assert!(distinguishes(&[&t("u:{i}")]));
        assert!(!distinguishes(&[&t("u")]));
        assert!(!distinguishes(&[&t("u:{i / 10}")]));
        assert!(distinguishes(&[&t("u:{i / 100}"), &t("{i % 100}")]));
        assert!(!distinguishes(&[&t("u:{i / 100}"), &t("{i % 10}")]));
        assert!(distinguishes(&[&t("{i - i % 100}"), &t("{i}")]));
    }
}
