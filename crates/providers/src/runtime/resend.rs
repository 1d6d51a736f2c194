//! The model client sends a request again, on a new connection, when its connection closed
//! before any of the answer came. A server closes a kept-alive connection it has left idle
//! (actix, uvicorn and Node after 5 s; the pool keeps them for 90 s), and the pool can hand
//! that connection out in the instant the close is on its way: the request then fails without
//! the server having answered anything. openai-python, which Dify's models went through,
//! checked a pooled connection was still open before reusing it and made up to two more tries
//! on a failed connection (`MAX_CONNECTION_RETRIES = 2`); a close still on its way escapes such
//! a check, so this client tries at most twice more. Any answer, an error status included, is
//! final, and so is a failure once the answer has begun. It is reqwest's retry policy, so every
//! call on the client has it; a body that cannot be replayed (a streamed upload) is not resent.

/// Tries after the first.
const RESENDS: u32 = 2;

/// The retry policy of the model client (`super::http_client`).
pub(crate) fn policy() -> reqwest::retry::Builder {
    reqwest::retry::for_host(AnyHost).max_retries_per_request(RESENDS).classify_fn(|attempt| {
        let closed = attempt.error().and_then(|e| e.downcast_ref::<reqwest::Error>()).is_some_and(closed_before_answer);
        if closed { attempt.retryable() } else { attempt.success() }
    })
}

/// Every model server: the runtime's client only talks to them.
struct AnyHost;

impl PartialEq<&str> for AnyHost {
    fn eq(&self, _: &&str) -> bool {
        true
    }
}

/// Whether the request failed on its connection before any of the answer arrived: closed
/// (hyper's "connection closed before message completed"), reset or broken while sending.
fn closed_before_answer(e: &reqwest::Error) -> bool {
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
