//! A full-duplex command stream, as `redis-cli --pipe` loads data: one thread writes packed
//! commands while another reads and checks the replies, so Redis never waits on the client
//! between batches. Results come back only for commands that ask for them (EXISTS for the
//! on-create policy); every other reply is counted and checked for errors.

use super::ConnectOptions;
use super::resp::{self, Value};
use redis::Cmd;
use std::io::{BufReader, Read, Write};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// Queued commands are written once this many bytes wait, so Redis starts on a batch
/// while the rest is still being encoded.
const FLUSH_AT: usize = 64 * 1024;

enum Expect {
    /// Count and check this many replies.
    Discard(u64),
    /// Hand this many replies back to the writer.
    Return(u64),
}

/// What the reader saw: replies read, how many were errors, and the first error reply with
/// its position.
#[derive(Debug, Default)]
pub struct StreamSummary {
    pub replies: u64,
    pub errors: u64,
    pub first_error: Option<(u64, String)>,
}

impl StreamSummary {
    /// An error when Redis refused any command: the first refusal and the count, in one
    /// line however many there were (a read-only replica refuses every write).
    pub fn check(&self) -> anyhow::Result<()> {
        match &self.first_error {
            None => Ok(()),
            Some((n, err)) if self.errors == 1 => {
                anyhow::bail!("Redis refused command {n} of {}: {err}", self.replies)
            }
            Some((n, err)) => anyhow::bail!(
                "Redis refused {} of {} commands; the first, command {n}: {err}",
                self.errors,
                self.replies
            ),
        }
    }
}

pub struct PipeStream {
    writer: Box<dyn Write + Send>,
    buf: Vec<u8>,
    expect: Option<Sender<Expect>>,
    pending_discard: u64,
    results: Receiver<Value>,
    reader: Option<JoinHandle<std::io::Result<StreamSummary>>>,
    sent: u64,
    /// Of `sent`, the connection's own handshake (AUTH, SELECT), which is no load command.
    handshake: u64,
    /// Another handle on the socket, for [`PipeStream::killer`].
    socket: StreamKiller,
    /// How long one flush may take in all.
    timeout: Option<std::time::Duration>,
}

/// A handle on a loading connection that another thread (a signal's cleanup) can cut, and
/// the address Redis knows the connection by, for `CLIENT KILL ADDR`. While it lives the
/// socket stays open, so Redis cannot run commands still queued on it after a cleanup.
pub type StreamKiller = super::Socket;

impl PipeStream {
    /// Connects (AUTH and SELECT as the options say) and starts the reply reader.
    pub fn connect(options: &ConnectOptions) -> anyhow::Result<PipeStream> {
        let socket = options.open_socket()?;
        let killer = socket.try_clone()?;
        let (reader, writer) = socket.split()?;
        let socket = killer;
        let (expect_tx, expect_rx) = channel::<Expect>();
        let (result_tx, result_rx) = channel::<Value>();
        let handle = std::thread::spawn(move || read_replies(reader, expect_rx, result_tx));
        let mut stream = PipeStream {
            writer,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            expect: Some(expect_tx),
            pending_discard: 0,
            results: result_rx,
            reader: Some(handle),
            sent: 0,
            handshake: 0,
            socket,
            timeout: options.socket_timeout,
        };
        let hello = options.handshake()?;
        if !hello.is_empty() {
            stream.query(&hello)?;
            stream.handshake = hello.len() as u64;
        }
        Ok(stream)
    }

    /// Queues a command whose reply is only checked.
    pub fn send(&mut self, cmd: &Cmd) -> std::io::Result<()> {
        cmd.write_packed_command(&mut self.buf);
        self.pending_discard += 1;
        self.sent += 1;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// [`PipeStream::send`] for a command given as its arguments (name first), packed
    /// straight into the buffer.
    pub fn send_args(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        super::plan::write_resp(&mut self.buf, args);
        self.pending_discard += 1;
        self.sent += 1;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn announce_discards(&mut self) {
        if self.pending_discard > 0 {
            if let Some(tx) = &self.expect {
                let _ = tx.send(Expect::Discard(self.pending_discard));
            }
            self.pending_discard = 0;
        }
    }

    /// Writes what is queued; replies keep arriving in the background. The socket timeout
    /// bounds the whole write, not each piece of it: a server that takes a few bytes now
    /// and then is as stuck as one that takes none.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.announce_discards();
        let started = std::time::Instant::now();
        let mut at = 0;
        while at < self.buf.len() {
            match self.writer.write(&self.buf[at..]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if let Some(limit) = self.timeout
                && at < self.buf.len()
                && started.elapsed() > limit
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("Redis took no more of the commands within {limit:?}"),
                ));
            }
        }
        self.buf.clear();
        self.writer.flush()
    }

    /// Sends `cmds` after everything queued and waits for their replies (which implies that
    /// every earlier command has been executed).
    pub fn query(&mut self, cmds: &[Cmd]) -> anyhow::Result<Vec<Value>> {
        self.query_start(cmds)?;
        self.query_finish(cmds.len())
    }

    /// Queues `cmds` (and writes everything queued); their replies wait for `query_finish`.
    pub fn query_start(&mut self, cmds: &[Cmd]) -> anyhow::Result<()> {
        self.announce_discards();
        for cmd in cmds {
            cmd.write_packed_command(&mut self.buf);
        }
        self.sent += cmds.len() as u64;
        if let Some(tx) = &self.expect {
            let _ = tx.send(Expect::Return(cmds.len() as u64));
        }
        self.flush()?;
        Ok(())
    }

    /// The replies of the oldest `n` commands sent with `query_start`.
    pub fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            match self.results.recv() {
                Ok(value) => out.push(value),
                Err(_) => {
                    // The reader stopped: its error says why.
                    let summary = self.finish_reader();
                    anyhow::bail!(
                        "the Redis connection closed while waiting for replies: {}",
                        match summary {
                            Err(e) => e.to_string(),
                            Ok(s) => format!("{} replies read", s.replies),
                        }
                    );
                }
            }
        }
        if let Some(Value::Error(err)) = out.iter().find(|v| matches!(v, Value::Error(_))) {
            anyhow::bail!("Redis answered an error: {err}");
        }
        Ok(out)
    }

    pub fn commands_sent(&self) -> u64 {
        self.sent - self.handshake
    }

    /// A handle that can cut this connection from another thread.
    pub fn killer(&self) -> std::io::Result<StreamKiller> {
        self.socket.try_clone()
    }

    fn finish_reader(&mut self) -> std::io::Result<StreamSummary> {
        self.expect = None; // closes the channel: the reader ends after what it was told
        match self.reader.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the reply reader panicked"))),
            None => Ok(StreamSummary::default()),
        }
    }

    /// Flushes, waits for every reply, and reports what the reader saw. The connection
    /// stays open until the stream is dropped.
    pub fn finish(&mut self) -> anyhow::Result<StreamSummary> {
        self.flush()?;
        let summary = self.finish_reader()?;
        if summary.replies != self.sent {
            anyhow::bail!(
                "Redis answered {} of {} commands before the connection ended",
                summary.replies,
                self.sent
            );
        }
        Ok(summary)
    }
}

fn read_replies(
    reader: Box<dyn Read + Send>,
    expect: Receiver<Expect>,
    results: Sender<Value>,
) -> std::io::Result<StreamSummary> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut line = Vec::with_capacity(64);
    let mut summary = StreamSummary::default();
    for what in expect {
        let (count, give_back) = match what {
            Expect::Discard(n) => (n, false),
            Expect::Return(n) => (n, true),
        };
        for _ in 0..count {
            let value = resp::read_reply(&mut reader, &mut line)?;
            summary.replies += 1;
            if let Value::Error(err) = &value {
                summary.errors += 1;
                if summary.first_error.is_none() {
                    summary.first_error = Some((summary.replies, err.clone()));
                }
            }
            if give_back && results.send(value).is_err() {
                return Ok(summary);
            }
        }
    }
    Ok(summary)
}
