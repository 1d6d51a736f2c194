//! A request that met a connection closed before any answer is sent again, on a new
//! connection. A server closes a kept-alive connection it has left idle (actix, uvicorn and
//! Node after 5 s; the pool keeps them for 90 s), and the pool can hand that connection out in
//! the instant the close is on its way: the request then fails without the server having
//! answered anything. openai-python, which Dify's models went through, checked a pooled
//! connection was still open before reusing it and made up to two more tries on a failed
//! connection (`MAX_CONNECTION_RETRIES = 2`); a close still on its way escapes such a check, so
//! these calls send again on a new connection, at most twice more. Any answer, an error status
//! included, is final, and so is a failure once the answer has begun.

use std::future::Future;

/// Tries after the first.
const RESENDS: usize = 2;

/// Whether the request failed on its connection before any of the answer arrived: closed
/// (hyper's "connection closed before message completed"), reset or broken while sending.
pub(crate) fn closed_before_answer(e: &reqwest::Error) -> bool {
    if !e.is_request() || e.is_connect() || e.is_timeout() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_incomplete_message) {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
            )
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// `send`, again while it fails with an error `closed` says met a closed connection.
pub(crate) async fn resending<T, E, Fut>(mut send: impl FnMut() -> Fut, closed: impl Fn(&E) -> bool) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        match send().await {
            Err(e) if tries < RESENDS && closed(&e) => {
                tries += 1;
                tracing::debug!(tries, "the model server closed the connection before answering; sending again");
            }
            done => return done,
        }
    }
}
