//! The connection layer under actix-http. A request whose head cannot be parsed (a malformed
//! request line, headers past actix-http's buffer) is answered by actix-http itself, before any
//! route or middleware runs, with a bodiless 400 or 431. This wrapper around each connection
//! rewrites exactly those answers on their way out into the contract's JSON error body, so every
//! answer to a request carries `{"errors": [...]}`.
//!
//! The 408 actix-http sends on a connection that opened but never sent a request in time stays
//! as it is: browsers open such connections ahead of need and retry on a bodiless 408, and
//! there is no request to answer.
//!
//! Nothing the application answers can be mistaken for one of them: every error Latchkey
//! answers has a JSON body, so its `content-length` is never 0.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The bodiless heads actix-http writes on its own, and what Latchkey says instead.
const REWRITTEN: [(&[u8], &str, &str); 2] = [
    (
        b"HTTP/1.1 400 Bad Request\r\n",
        "400 Bad Request",
        "the request is not valid HTTP/1.1 (request line or headers malformed)",
    ),
    (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        "431 Request Header Fields Too Large",
        "the request headers are too large",
    ),
];

/// A connection whose outgoing bytes pass through `rewrite`.
pub struct ErrorBodies<T> {
    io: T,
    /// Rewritten bytes accepted from the writer but not yet written to `io`.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ErrorBodies<T> {
    /// Wraps a connection.
    pub fn new(io: T) -> Self {
        Self {
            io,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> ErrorBodies<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ErrorBodies<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some(rewritten) = rewrite(buf) {
            this.pending = rewritten;
            // Accepted in full; what is left goes out on the next write or flush.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// `buf` with a trailing bodiless parser-error response replaced by one with a JSON body, or
/// None when `buf` does not end with one.
fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let start = buf.windows(9).rposition(|w| w == b"HTTP/1.1 ")?;
    let head = &buf[start..];
    let (_, status, message) = REWRITTEN.iter().find(|(line, ..)| head.starts_with(line))?;
    let lower = head.to_ascii_lowercase();
    if !lower.windows(19).any(|w| w == b"\ncontent-length: 0\r") {
        return None;
    }
    let body =
        serde_json::json!({ "errors": [{ "key": "request", "message": message }] }).to_string();
    let mut out = buf[..start].to_vec();
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn parser_errors_get_a_json_body_and_nothing_else_changes() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(bare).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"));
        assert!(out.ends_with(r#"{"errors":[{"key":"request","message":"the request is not valid HTTP/1.1 (request line or headers malformed)"}]}"#));

        // An earlier response in the same write is kept as it was.
        let mut two = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        two.extend_from_slice(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n",
        );
        let out = String::from_utf8(rewrite(&two).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 431 "));

        // Responses with bodies, other statuses and partial heads pass through.
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 57\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
        assert!(rewrite(b"{\"errors\":[]}").is_none());
    }
}
