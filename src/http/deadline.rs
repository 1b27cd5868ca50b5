//! Deadlines for slow clients, on each connection's bytes (actix-http times only the first
//! request's head): every request's head must arrive within `head` of its first byte, and its
//! body within `body` of the head's end; a connection taken from the reserve (over the soft
//! connection cap) gets short deadlines and no keep-alive. A connection past a deadline reads an
//! error, and actix-http closes it.
//!
//! Requests are followed from the bytes alone: the head ends at the first empty line, the body
//! is `Content-Length` bytes (or, chunked, ends at `0\r\n\r\n`), and the first response byte
//! the server writes (other than `100 Continue`) ends the request. Pipelined requests are
//! served by actix-http from what it has read, with no deadline of ours: a misreading only ever
//! leaves a deadline out, never cuts a prompt client.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The deadlines one connection gets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From a request's first byte to the end of its head.
    pub head: Duration,
    /// From the end of the head to the end of the body.
    pub body: Duration,
    /// Between a response and the next request's first byte; `None` leaves it to actix-http.
    pub idle: Option<Duration>,
}

/// Counts open connections so that those over the soft cap get the reserve's limits.
#[derive(Debug, Clone)]
pub struct Connections {
    open: Arc<AtomicUsize>,
    soft_cap: usize,
}

/// An open connection's place in the count; leaving frees it.
#[derive(Debug)]
pub struct Slot {
    open: Arc<AtomicUsize>,
    /// Whether this connection is over the soft cap (served from the reserve).
    pub reserve: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    /// A count whose connections past `soft_cap` come from the reserve.
    pub fn new(soft_cap: usize) -> Self {
        Self {
            open: Arc::default(),
            soft_cap,
        }
    }

    /// Takes a slot for a new connection.
    pub fn open(&self) -> Slot {
        let before = self.open.fetch_add(1, Ordering::Relaxed);
        Slot {
            open: self.open.clone(),
            reserve: before >= self.soft_cap,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests (or before the first).
    Idle,
    /// Reading a head; `tail` holds its last bytes to find the empty line across reads.
    Head,
    /// Reading a body: bytes still to come, or `None` for a chunked body.
    Body(Option<u64>),
    /// The request is read; the server is answering.
    Answering,
}

/// A connection whose reads are held to `Limits`.
pub struct Deadlines<T> {
    io: T,
    limits: Limits,
    phase: Phase,
    /// The head read so far (bounded), to find `Content-Length` and `Transfer-Encoding`.
    head: Vec<u8>,
    /// The last bytes of a chunked body, to find its end.
    tail: Vec<u8>,
    deadline: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
    _slot: Option<Slot>,
}

/// The head bytes kept for parsing; heads past actix-http's own limit are refused by it.
const MAX_HEAD: usize = 32 * 1024;

impl<T> Deadlines<T> {
    /// Wraps a connection; `slot` is released when it closes.
    pub fn new(io: T, limits: Limits, slot: Option<Slot>) -> Self {
        Self {
            io,
            limits,
            phase: Phase::Idle,
            head: Vec::new(),
            tail: Vec::new(),
            deadline: None,
            timer: None,
            _slot: slot,
        }
    }

    fn set_deadline(&mut self, after: Option<Duration>) {
        self.deadline = after.map(|d| Instant::now() + d);
        self.timer = None;
    }

    /// Follows the request through bytes the client sent.
    fn saw(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.phase {
                Phase::Idle => {
                    self.phase = Phase::Head;
                    self.head.clear();
                    self.set_deadline(Some(self.limits.head));
                }
                Phase::Head => {
                    let start = self.head.len().saturating_sub(3);
                    let room = MAX_HEAD.saturating_sub(self.head.len()).min(bytes.len());
                    self.head.extend_from_slice(&bytes[..room]);
                    let Some(end) = find(&self.head[start..], b"\r\n\r\n") else {
                        bytes = &bytes[room..];
                        if room == 0 {
                            return;
                        }
                        continue;
                    };
                    let head_len = start + end + 4;
                    let used = head_len - (self.head.len() - room);
                    bytes = &bytes[used.min(bytes.len())..];
                    self.phase = body_of(&self.head[..head_len]);
                    self.head.clear();
                    self.tail.clear();
                    match self.phase {
                        Phase::Answering => self.set_deadline(None),
                        _ => self.set_deadline(Some(self.limits.body)),
                    }
                }
                Phase::Body(Some(left)) => {
                    let n = (bytes.len() as u64).min(left);
                    bytes = &bytes[n as usize..];
                    self.phase = match left - n {
                        0 => Phase::Answering,
                        rest => Phase::Body(Some(rest)),
                    };
                    if self.phase == Phase::Answering {
                        self.set_deadline(None);
                    }
                }
                Phase::Body(None) => {
                    self.tail
                        .extend_from_slice(&bytes[bytes.len().saturating_sub(5)..]);
                    let keep = self.tail.len().saturating_sub(5);
                    self.tail.drain(..keep);
                    if self.tail.ends_with(b"0\r\n\r\n") {
                        self.phase = Phase::Answering;
                        self.set_deadline(None);
                    }
                    return;
                }
                Phase::Answering => return,
            }
        }
    }

    /// Notes that the server wrote `bytes`: a response (not `100 Continue`) ends the request.
    fn wrote(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || bytes.starts_with(b"HTTP/1.1 100 ") {
            return;
        }
        if matches!(self.phase, Phase::Answering | Phase::Body(_) | Phase::Head) {
            self.phase = Phase::Idle;
            self.set_deadline(self.limits.idle);
        }
    }
}

/// Where the body of a request with this head ends. Reads the bytes in place (names and
/// `chunked` in any case): every request passes here, and copying the head into a lower-cased
/// `String` first was 4–5% of a read's instructions (callgrind, bench/README.md).
fn body_of(head: &[u8]) -> Phase {
    let mut length = None;
    let mut rest = head;
    let mut first = true;
    loop {
        let (line, next) = match find(rest, b"\r\n") {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        if let (false, Some(colon)) = (first, line.iter().position(|&b| b == b':')) {
            let (name, value) = (line[..colon].trim_ascii(), &line[colon + 1..]);
            if name.eq_ignore_ascii_case(b"transfer-encoding")
                && value.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
            {
                return Phase::Body(None);
            }
            if name.eq_ignore_ascii_case(b"content-length") {
                length = std::str::from_utf8(value.trim_ascii())
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok());
            }
        }
        first = false;
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    match length {
        Some(n) if n > 0 => Phase::Body(Some(n)),
        _ => Phase::Answering,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the client was too slow")
}

impl<T: AsyncRead + Unpin> AsyncRead for Deadlines<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Poll::Ready(Err(timed_out()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                self.saw(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = self.deadline else {
                    return Poll::Pending;
                };
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Deadlines<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written {
            self.wrote(&buf[..n]);
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux), if it can be read.
pub fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapper() -> Deadlines<()> {
        let limits = Limits {
            head: Duration::from_secs(1),
            body: Duration::from_secs(1),
            idle: None,
        };
        Deadlines::new((), limits, None)
    }

    #[test]
    fn requests_are_followed_through_head_body_and_answer() {
        let mut d = wrapper();
        d.saw(b"POST /v1/auth HTTP/1.1\r\nHost: x\r\nContent-");
        assert_eq!(d.phase, Phase::Head);
        d.saw(b"Length: 4\r\n\r\nab");
        assert_eq!(d.phase, Phase::Body(Some(2)));
        d.saw(b"cd");
        assert_eq!(d.phase, Phase::Answering);
        assert!(d.deadline.is_none());
        d.wrote(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(d.phase, Phase::Idle);
        d.saw(b"GET /health HTTP/1.1\r\n\r\n");
        assert_eq!(d.phase, Phase::Answering);
        d.wrote(b"HTTP/1.1 200 OK\r\n");
        d.saw(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n");
        assert_eq!(d.phase, Phase::Body(None));
        d.saw(b"\r\n");
        assert_eq!(d.phase, Phase::Answering);
    }

    #[test]
    fn heads_are_read_in_any_case_and_spacing() {
        let head = |h: &str| body_of(h.as_bytes());
        assert_eq!(
            head("POST / HTTP/1.1\r\nCONTENT-LENGTH :  12 \r\n\r\n"),
            Phase::Body(Some(12))
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            Phase::Body(None)
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n"),
            Phase::Body(Some(3))
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            Phase::Answering
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Phase::Answering
        );
        // The request line is not a header, even with a colon in it.
        assert_eq!(
            head("GET /content-length:5 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Phase::Answering
        );
    }

    #[test]
    fn the_reserve_starts_past_the_soft_cap() {
        let c = Connections::new(1);
        let first = c.open();
        let second = c.open();
        assert!(!first.reserve && second.reserve);
        drop(first);
        drop(second);
        assert!(!c.open().reserve);
    }
}
