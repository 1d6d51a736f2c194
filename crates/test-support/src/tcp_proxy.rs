//! A TCP proxy the test can cut and restore, to take a real service away from the code under
//! test (a broker that goes down) without stopping the shared service itself.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards connections on a local port to `target` while up.
pub struct TcpProxy {
    /// The port the code under test connects to.
    pub port: u16,
    shared: Arc<Shared>,
    acceptor: AbortHandle,
}

#[derive(Default)]
struct Shared {
    down: AtomicBool,
    live: Mutex<Vec<AbortHandle>>,
}

impl TcpProxy {
    /// Listens on 127.0.0.1 and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let target: SocketAddr = tokio::net::lookup_host(target).await.expect("resolve").next().expect("an address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                // Down: the connection is accepted and closed at once, as a dead peer's would be.
                if accepting.down.load(Ordering::SeqCst) {
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut live = accepting.live.lock().unwrap_or_else(|e| e.into_inner());
                live.retain(|h| !h.is_finished());
                live.push(relay.abort_handle());
            }
        })
        .abort_handle();
        Self { port, shared, acceptor }
    }

    /// Drops every open connection and refuses new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        self.shared.down.store(true, Ordering::SeqCst);
        for h in self.shared.live.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
            h.abort();
        }
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.shared.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}
