//! A minimal HTTP/1.1 client for deliveries: one POST per connection (`Connection: close`),
//! over TLS (rustls with the Mozilla roots of `webpki-roots`, verifying the URL's host name) for
//! `https://`; no redirects followed (a 3xx is an answer like any other non-2xx), the whole
//! exchange under one timeout, and at most a small number of response bytes read.

use crate::domain::webhook::WebhookUrl;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::rustls;

/// The most response-head bytes read.
const MAX_HEAD_BYTES: usize = 8192;

/// How one exchange is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Connecting.
    pub connect: Duration,
    /// The whole exchange, connecting included.
    pub total: Duration,
    /// Response body bytes read (the rest is ignored).
    pub max_body: usize,
}

/// POSTs `body` to `url` at `addr` with `headers`; answers the response status.
pub async fn post(
    addr: SocketAddr,
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &str,
    bounds: Bounds,
) -> Result<u16, String> {
    tokio::time::timeout(bounds.total, exchange(addr, url, headers, body, bounds))
        .await
        .map_err(|_| format!("no answer within {} s", bounds.total.as_secs()))?
}

async fn exchange(
    addr: SocketAddr,
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &str,
    bounds: Bounds,
) -> Result<u16, String> {
    let tcp = tokio::time::timeout(bounds.connect, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| "connecting timed out".to_owned())?
        .map_err(|e| format!("could not connect: {e}"))?;
    if !url.https {
        return talk(tcp, url, headers, body, bounds).await;
    }
    let name = rustls::pki_types::ServerName::try_from(url.host.clone())
        .map_err(|_| "the host is not a valid TLS server name".to_owned())?;
    let tls = tokio_rustls::TlsConnector::from(tls_config()?)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS failed: {e}"))?;
    talk(tls, url, headers, body, bounds).await
}

/// The TLS client configuration, built once: ring, safe protocol versions, Mozilla's roots.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(Arc::new(config))
        })
        .clone()
        .ok_or_else(|| "no TLS client configuration".to_owned())
}

/// Sends the request over `stream` and reads the answer's status.
async fn talk(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &str,
    bounds: Bounds,
) -> Result<u16, String> {
    let default_port = if url.https { 443 } else { 80 };
    let host = match (url.host.contains(':'), url.port == default_port) {
        (true, true) => format!("[{}]", url.host),
        (true, false) => format!("[{}]:{}", url.host, url.port),
        (false, true) => url.host.clone(),
        (false, false) => format!("{}:{}", url.host, url.port),
    };
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Latchkey-Webhooks/1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path,
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("could not send: {e}"))?;
    let status = read_status(&mut stream).await?;
    // Read (and drop) at most `max_body` more bytes, so a receiver cannot make us hold more.
    let mut sink = vec![0u8; bounds.max_body.min(65_536)];
    let _ = stream.read(&mut sink).await;
    Ok(status)
}

/// Reads the response head (at most `MAX_HEAD_BYTES`) and answers its status code.
async fn read_status(stream: &mut (impl AsyncRead + Unpin)) -> Result<u16, String> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.contains(&b'\n') {
        if head.len() >= MAX_HEAD_BYTES {
            return Err("the response head is too long".into());
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("could not read the answer: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse_status(&head).ok_or_else(|| "the answer is not HTTP/1.x".to_owned())
}

/// The status code of an `HTTP/1.x NNN …` status line.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts
        .next()?
        .parse()
        .ok()
        .filter(|s| (100..600).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `https://` goes through a TLS handshake: a plain-text listener fails it.
    #[actix_web::rt::test]
    async fn https_endpoints_are_spoken_to_over_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        actix_web::rt::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
        });
        let url = WebhookUrl::parse(&format!("https://{addr}/"), false).unwrap();
        let bounds = Bounds {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(5),
            max_body: 16,
        };
        let answer = post(addr, &url, &[], "{}", bounds).await;
        assert!(
            answer.as_ref().is_err_and(|e| e.starts_with("TLS failed")),
            "{answer:?}"
        );
        assert!(tls_config().is_ok());
    }

    #[test]
    fn status_lines_are_parsed() {
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(
            parse_status(b"HTTP/1.0 302 Found\r\nLocation: x"),
            Some(302)
        );
        assert_eq!(parse_status(b"SSH-2.0\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 99999\r\n"), None);
    }
}
