//! A read-only, pipelined RESP connection for `inspect` and `whatif`: many commands per
//! round trip, error replies handed back as values (a key that changed type between SCAN and
//! GET is not a failure), and a rate limit so a production server is never flooded.

use crate::backend::ConnectOptions;
use crate::backend::resp::{self, Value};
use redis::Cmd;
use std::io::{BufReader, ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// How long each handshake reply may take, as for the other connections' handshakes.
const HANDSHAKE_READ_LIMIT: Duration = Duration::from_secs(5);

pub struct ReadConn {
    reader: BufReader<Box<dyn Read + Send>>,
    writer: Box<dyn Write + Send>,
    buf: Vec<u8>,
    line: Vec<u8>,
    queued: usize,
    /// The first word of each command whose reply has not been read, oldest first: what
    /// a timeout message says was waited for.
    waiting: std::collections::VecDeque<String>,
    /// The server (`host:port`) and the read limit, for that message.
    server: String,
    limit: Duration,
    pace: Pace,
    /// Commands sent so far.
    pub sent: u64,
}

/// At most `max_ops` commands a second (0: no limit), checked per round trip.
struct Pace {
    max_ops: u64,
    started: Instant,
    sent: u64,
}

impl Pace {
    fn wait_for(&mut self, more: u64) {
        self.sent += more;
        if self.max_ops == 0 {
            return;
        }
        let due = Duration::from_secs_f64(self.sent as f64 / self.max_ops as f64);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
    }
}

impl ReadConn {
    /// Connects (AUTH and SELECT as the URL says). Reads and writes time out after the
    /// options' socket timeout: a server that stops answering is an error, never a hang.
    pub fn connect(options: &ConnectOptions, max_ops: u64) -> anyhow::Result<ReadConn> {
        let socket = options.open_socket()?;
        // The handshake's replies get the short bound the other connections give theirs, so a
        // silent server is named within seconds, not after the long read limit.
        let control = socket.try_clone()?;
        control.set_read_timeout(Some(HANDSHAKE_READ_LIMIT))?;
        let (reader, writer) = socket.split()?;
        let mut conn = ReadConn {
            reader: BufReader::with_capacity(256 * 1024, reader),
            writer,
            buf: Vec::with_capacity(64 * 1024),
            line: Vec::with_capacity(64),
            queued: 0,
            waiting: std::collections::VecDeque::new(),
            server: options.describe(),
            limit: HANDSHAKE_READ_LIMIT,
            pace: Pace {
                max_ops,
                started: Instant::now(),
                sent: 0,
            },
            sent: 0,
        };
        // The replies never quote the password; the error names only the server.
        // With no AUTH or SELECT to send, a PING proves the server answers.
        let mut hello = options.handshake()?;
        if hello.is_empty() {
            hello.push(redis::cmd("PING"));
        }
        for cmd in hello {
            let reply = conn.one(&cmd).map_err(|e| {
                if e.to_string().contains("did not answer") {
                    anyhow::anyhow!(crate::backend::timeout_text(
                        &conn.server,
                        HANDSHAKE_READ_LIMIT,
                        "the replies to the connection's handshake (AUTH, SELECT, PING)",
                        HANDSHAKE_READ_LIMIT
                    ))
                } else {
                    e
                }
            })?;
            if let Value::Error(e) = reply {
                anyhow::bail!("{}: {e}", options.describe());
            }
        }
        conn.limit = options.socket_timeout.unwrap_or_default();
        control.set_read_timeout(options.socket_timeout)?;
        Ok(conn)
    }

    /// Counts the rate limit from now: a connection opened early and used later must not
    /// catch up on the budget of the time it sat idle (a cluster's masters are read in turn).
    pub fn restart_pace(&mut self) {
        self.pace.started = Instant::now();
        self.pace.sent = 0;
    }

    /// Queues a command; its reply comes from [`ReadConn::read`] in order.
    pub fn queue(&mut self, cmd: &Cmd) {
        cmd.write_packed_command(&mut self.buf);
        self.queued += 1;
        let name = cmd.args_iter().next().map(|a| match a {
            redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        });
        self.waiting.push_back(name.unwrap_or_default());
    }

    /// Writes what is queued (after waiting for the rate limit).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.pace.wait_for(self.queued as u64);
        self.sent += self.queued as u64;
        self.queued = 0;
        self.writer.write_all(&self.buf)?;
        self.writer.flush()?;
        self.buf.clear();
        Ok(())
    }

    /// The next reply.
    pub fn read(&mut self) -> anyhow::Result<Value> {
        let started = Instant::now();
        let reply = resp::read_reply(&mut self.reader, &mut self.line);
        let command = self.waiting.pop_front().unwrap_or_default();
        match reply {
            Ok(v) => Ok(v),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                anyhow::bail!(crate::backend::timeout_text(
                    &self.server,
                    started.elapsed(),
                    &format!("the reply to {command}"),
                    self.limit
                ))
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "reading the reply to {command} from {}",
                self.server
            ))),
        }
    }

    /// One command, its reply.
    pub fn one(&mut self, cmd: &Cmd) -> anyhow::Result<Value> {
        self.queue(cmd);
        self.flush()?;
        self.read()
    }

    /// One command whose error reply is an error, naming the command.
    pub fn must(&mut self, cmd: &Cmd, what: &str) -> anyhow::Result<Value> {
        match self.one(cmd)? {
            Value::Error(e) => anyhow::bail!("{what}: Redis answered: {e}"),
            v => Ok(v),
        }
    }

    /// INFO SECTION as text.
    pub fn info(&mut self, section: &str) -> anyhow::Result<String> {
        match self.must(redis::cmd("INFO").arg(section), "INFO")? {
            Value::Bulk(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            other => anyhow::bail!("INFO answered {other:?}"),
        }
    }
}

/// An integer reply, or `None`.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

/// A bulk or status reply as text.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Status(s) => Some(s.clone()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}
