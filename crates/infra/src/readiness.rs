//! Readiness: whether the services this process depends on answer now. `/health` stays
//! liveness; an orchestrator routes traffic by this.

use std::time::Duration;

use crate::Infra;

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Checks the database, the cache and the broker side by side, each within `deadline`. An
/// in-process cache or queue is part of the process: always ready.
pub async fn check(infra: &Infra, deadline: Duration) -> Vec<Check> {
    let db = within("database", deadline, async { infra.db.ping().await.map_err(|e| e.to_string()) });
    let cache = within("cache", deadline, async {
        infra.cache.get("readiness-probe").await.map(|_| ()).map_err(|e| e.to_string())
    });
    let broker = within("broker", deadline, async {
        infra.queue.pending(crate::queue::QUEUES[0]).await.map(|_| ()).map_err(|e| e.to_string())
    });
    let (db, cache, broker) = tokio::join!(db, cache, broker);
    vec![db, cache, broker]
}

async fn within(name: &'static str, deadline: Duration, check: impl Future<Output = Result<(), String>>) -> Check {
    let error = match tokio::time::timeout(deadline, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("no answer within {} ms", deadline.as_millis())),
    };
    Check { name, ok: error.is_none(), error }
}

/// A container healthcheck of a server on this host: `GET /ready` on `127.0.0.1:port`, with
/// no HTTP client in the image. Ok when it answers 200 within `deadline`; else why not.
pub fn probe_local(port: u16, deadline: Duration) -> Result<(), String> {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, deadline).map_err(|e| format!("{address}: {e}"))?;
    stream.set_read_timeout(Some(deadline)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(deadline)).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    // The status line is all it needs; the body names what is down.
    let mut answer = Vec::new();
    stream.take(4096).read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        Err(format!("{status} {body}").trim().to_owned())
    }
}
