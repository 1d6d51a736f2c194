//! The HTTP side of the fake servers: an actix server on a free local port, on a thread and
//! actix system of its own, so it outlives whichever test runtime started it and works under
//! both tokio test flavors.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// Starts a server whose app `configure` sets up; its base URL (`http://127.0.0.1:<port>`) and
/// handle.
pub(crate) async fn serve<F>(name: &str, workers: usize, configure: F) -> (String, ServerHandle)
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind {name}: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{name} address: {e}"));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("{name}-{}", addr.port()))
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().configure(configure.clone()))
                    .workers(workers)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        let _ = ready_tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .unwrap_or_else(|e| panic!("spawn {name} thread: {e}"));
    let handle =
        ready_rx.await.unwrap_or_else(|_| panic!("{name} thread died")).unwrap_or_else(|e| panic!("start {name}: {e}"));
    (format!("http://{addr}"), handle)
}
