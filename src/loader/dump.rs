//! The loader's commands written out instead of sent: `redisadv commands` prints the exact
//! stream `bench` sends, for `redis-cli --pipe`, answering EXISTS as a fresh server would.

use super::Sink;
use crate::backend::plan::{self, Fast};
use crate::backend::resp::Value;
use std::collections::HashSet;
use std::io::Write;

/// Writes the commands a load would send, in RESP, as `redis-cli --pipe` reads them. It
/// answers EXISTS as a fresh server would: a bucket exists once an HSET wrote it.
pub struct DumpSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    written_buckets: HashSet<Vec<u8>, Fast>,
    answers: std::collections::VecDeque<Value>,
    sent: u64,
}

impl<W: Write> DumpSink<W> {
    pub fn new(out: W) -> Self {
        DumpSink {
            out,
            buf: Vec::with_capacity(1 << 16),
            written_buckets: HashSet::default(),
            answers: Default::default(),
            sent: 0,
        }
    }
}

impl<W: Write> Sink for DumpSink<W> {
    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        if let [b"HSET", bucket, ..] = args
            && !self.written_buckets.contains(*bucket)
        {
            self.written_buckets.insert(bucket.to_vec());
        }
        plan::write_resp(&mut self.buf, args);
        self.sent += 1;
        if self.buf.len() > 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }
    fn query_start(&mut self, cmds: &[redis::Cmd]) -> anyhow::Result<()> {
        for cmd in cmds {
            // Answered as a fresh server would, after everything written before it.
            let exists = match cmd.args_iter().nth(1) {
                Some(redis::Arg::Simple(key)) => self.written_buckets.contains(key),
                _ => false,
            };
            cmd.write_packed_command(&mut self.buf);
            self.sent += 1;
            self.answers.push_back(Value::Int(exists as i64));
        }
        Ok(())
    }
    fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>> {
        anyhow::ensure!(
            n <= self.answers.len(),
            "more replies asked for than commands sent"
        );
        Ok(self.answers.drain(..n).collect())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
    fn commands_sent(&self) -> u64 {
        self.sent
    }
}
