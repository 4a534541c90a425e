//! dogpile's distributed lock as redis-py's `Lock` takes it: `SET name token NX PX timeout`
//! with a random token, released by a compare-and-delete script.

use rand::RngExt;
use redis::{Connection, Script};
use std::time::{Duration, Instant};

/// redis-py `Lock` options, with dogpile's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct LockOptions {
    /// Prepended to the key: dogpile's `_lock`.
    pub prefix: String,
    /// How long the lock lives in Redis; `None` holds it until released.
    pub timeout: Option<Duration>,
    /// Pause between attempts while blocking.
    pub sleep: Duration,
    /// Wait for the lock (true) or give up at once (false).
    pub blocking: bool,
    /// Longest wait when blocking; `None` waits for ever.
    pub blocking_timeout: Option<Duration>,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            prefix: "_lock".into(),
            timeout: None,
            sleep: Duration::from_millis(100),
            blocking: true,
            blocking_timeout: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock was gone or held by another token at release (expired, flushed): the
    /// plugin's `lock_class` lets a caller ignore exactly this.
    #[error("lock {name:?} was lost before release (expired, flushed or taken over)")]
    Lost { name: String },
    #[error("lock {name:?} is not held by this client")]
    NotHeld { name: String },
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

const RELEASE: &str = r#"if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
else
    return 0
end"#;

/// One named lock; `acquire` and `release` it on a connection.
#[derive(Debug)]
pub struct Lock {
    name: String,
    options: LockOptions,
    token: Option<String>,
}

impl Lock {
    pub fn new(name: String, options: LockOptions) -> Lock {
        Lock {
            name,
            options,
            token: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Tries once, or until `blocking_timeout` when blocking; true when taken.
    pub fn acquire(&mut self, conn: &mut Connection) -> Result<bool, LockError> {
        let token: String = {
            let mut rng = rand::rng();
            (0..16)
                .map(|_| format!("{:02x}", rng.random::<u8>()))
                .collect()
        };
        let started = Instant::now();
        loop {
            let mut cmd = redis::cmd("SET");
            cmd.arg(&self.name).arg(&token).arg("NX");
            if let Some(timeout) = self.options.timeout {
                cmd.arg("PX").arg(timeout.as_millis().max(1) as u64);
            }
            let taken: Option<String> = cmd.query(conn)?;
            if taken.is_some() {
                self.token = Some(token);
                return Ok(true);
            }
            if !self.options.blocking {
                return Ok(false);
            }
            if let Some(limit) = self.options.blocking_timeout
                && started.elapsed() + self.options.sleep > limit
            {
                return Ok(false);
            }
            std::thread::sleep(self.options.sleep);
        }
    }

    /// Deletes the lock if this client still holds it; [`LockError::Lost`] if not.
    pub fn release(&mut self, conn: &mut Connection) -> Result<(), LockError> {
        let token = self.token.take().ok_or_else(|| LockError::NotHeld {
            name: self.name.clone(),
        })?;
        let deleted: i64 = Script::new(RELEASE)
            .key(&self.name)
            .arg(&token)
            .invoke(conn)?;
        if deleted == 1 {
            Ok(())
        } else {
            Err(LockError::Lost {
                name: self.name.clone(),
            })
        }
    }
}
