//! Socket settings of accepted connections.

use std::any::Any;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// `HttpServer::on_connect`: turns Nagle's algorithm off, so each SSE event leaves as it is
/// written instead of waiting for the client's delayed ACK (a 40 ms stall per stream).
pub fn on_connect(conn: &dyn Any, _: &mut Extensions) {
    if let Some(tcp) = conn.downcast_ref::<TcpStream>()
        && let Err(e) = tcp.set_nodelay(true)
    {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn accepted_connections_get_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        assert!(!accepted.nodelay().expect("read"), "Nagle is on by default");
        on_connect(&accepted, &mut Extensions::new());
        assert!(accepted.nodelay().expect("read"));
    }
}
