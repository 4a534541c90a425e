//! A small epoll wrapper: the connections are registered once (level-triggered reads), so a
//! wake-up costs the ready connections, not all of them as `poll` does (at 50 connections
//! `poll` alone took a fifth of the client's time).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct Poller {
    epoll: OwnedFd,
    /// Whether each token is also watched for room to write.
    writing: Vec<bool>,
    fds: Vec<RawFd>,
    events: Vec<libc::epoll_event>,
}

impl Poller {
    /// Watches `fds` for reading; token `i` is `fds[i]`.
    pub fn new(fds: &[RawFd]) -> io::Result<Poller> {
        // SAFETY: plain syscall; the fd is owned below.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
        let poller = Poller {
            epoll,
            writing: vec![false; fds.len()],
            fds: fds.to_vec(),
            events: vec![libc::epoll_event { events: 0, u64: 0 }; fds.len().max(1)],
        };
        for i in 0..fds.len() {
            poller.ctl(libc::EPOLL_CTL_ADD, i, false)?;
        }
        Ok(poller)
    }

    fn ctl(&self, op: libc::c_int, token: usize, write: bool) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | if write { libc::EPOLLOUT } else { 0 }) as u32,
            u64: token as u64,
        };
        // SAFETY: valid epoll and socket descriptors, and a live event struct.
        let r = unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, self.fds[token], &mut event) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Watches `token` for room to write, or stops.
    pub fn want_write(&mut self, token: usize, write: bool) -> io::Result<()> {
        if self.writing[token] != write {
            self.ctl(libc::EPOLL_CTL_MOD, token, write)?;
            self.writing[token] = write;
        }
        Ok(())
    }

    /// Waits up to `timeout_ms` and puts the ready tokens with their events in `ready`.
    pub fn wait(&mut self, timeout_ms: i32, ready: &mut Vec<(usize, u32)>) -> io::Result<()> {
        ready.clear();
        // SAFETY: `events` holds `events.len()` writable structs.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                self.events.as_mut_ptr(),
                self.events.len() as libc::c_int,
                timeout_ms,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            };
        }
        ready.extend(
            self.events[..n as usize]
                .iter()
                .map(|e| (e.u64 as usize, e.events)),
        );
        Ok(())
    }
}
