//! The one parser for server versions, read from a binary (`--version`) or from INFO; here,
//! on the ground floor, so starting a server can check it without knowing engines.

use std::fmt;

/// A server version, `major.minor.patch`: the one parser for every version redisadv reads
/// from a server or a binary (`7.0.15`, `8.6.3`, `255.255.255` for unstable builds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// The leading numbers of `text`; a missing or unreadable part counts as 0, so anything
    /// unknown compares as older than every release.
    pub fn parse(text: &str) -> Version {
        let mut parts = text
            .trim()
            .split('.')
            .map(|p| p.trim().parse::<u32>().unwrap_or(0));
        Version {
            major: parts.next().unwrap_or(0),
            minor: parts.next().unwrap_or(0),
            patch: parts.next().unwrap_or(0),
        }
    }

    pub fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}
