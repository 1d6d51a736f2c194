//! Model endpoints are URLs users supply: with `OUTBOUND_ALLOW_PRIVATE=false` no spelling of
//! a loopback address, no name that resolves to one, reaches a canary listening on
//! 127.0.0.1; redirects are not followed; an endpoint's HTML page is never echoed back; and
//! a proxy named in the environment is never used, so it cannot reach what the policy refuses.
//! (Link-local and metadata addresses are refused by the classifier without traffic:
//! `infra::outbound` unit tests.) One test, since the setting is per process.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use serde_json::json;

/// A server on 127.0.0.1 that notes whether anyone connected and answers `reply` to each.
fn canary(reply: &'static str) -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let reached = Arc::new(AtomicBool::new(false));
    let flag = reached.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            flag.store(true, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, reached)
}

const OK_MODELS: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"data\":[]}";

async fn validate<S, B>(svc: &S, c: &mut Client, base: &str) -> serde_json::Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let body = json!({"config": {"openai_api_key": "sk-guard", "openai_api_base": base}});
    let uri = "/console/api/workspaces/current/model-providers/openai/validate";
    let r = send(svc, c, Method::POST, uri, Some(body)).await;
    assert!(r.status.as_u16() < 500, "{base}: {r:?}");
    r.body
}

#[actix_web::test]
async fn user_supplied_endpoints_reach_only_what_the_policy_allows() {
    // A proxy in the environment would resolve and connect past the guard: the test runs
    // again in a process whose environment names a canary as every proxy.
    if std::env::var_os(PROXIED_RUN).is_none() {
        let (proxy_port, proxied) = canary(OK_MODELS);
        let proxy = format!("http://127.0.0.1:{proxy_port}");
        let mut run = std::process::Command::new(std::env::current_exe().expect("test binary"));
        run.args(["--exact", "user_supplied_endpoints_reach_only_what_the_policy_allows"]).env(PROXIED_RUN, "1");
        for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
            run.env(var, &proxy);
        }
        run.env_remove("NO_PROXY").env_remove("no_proxy");
        let out = run.output().expect("run the test again");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(!proxied.load(Ordering::SeqCst), "a request went through the environment's proxy");
        return;
    }
    // Private networks refused.
    let (_env, state) = state_with(&[("OUTBOUND_ALLOW_PRIVATE", "false")]).await;
    let svc = test::init_service(app(state)).await;
    let mut c = Client::default();
    send(&svc, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let mut c = login(&svc, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (port, reached) = canary(OK_MODELS);
    for base in [
        format!("http://127.0.0.1:{port}"),
        format!("http://127.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://0x7f000001:{port}"),
        format!("http://0177.0.0.1:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://[::ffff:7f00:1]:{port}"),
        format!("http://localhost:{port}"),
        format!("http://169.254.169.254:{port}"),
        "file:///etc/passwd".to_owned(),
    ] {
        let body = validate(&svc, &mut c, &base).await;
        assert_eq!(body["result"], "error", "{base}: {body}");
        assert!(!reached.load(Ordering::SeqCst), "{base} reached the canary");
    }

    // Private networks allowed (the default): still no redirects, no echoed pages.
    let (_env2, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let mut c = Client::default();
    send(&svc, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let mut c = login(&svc, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (target, followed) = canary(OK_MODELS);
    let redirect: &'static str = Box::leak(
        format!("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{target}/v1/models\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .into_boxed_str(),
    );
    let (port, _) = canary(redirect);
    let body = validate(&svc, &mut c, &format!("http://127.0.0.1:{port}")).await;
    assert_eq!(body["result"], "error", "{body}");
    assert!(!followed.load(Ordering::SeqCst), "a redirect was followed");

    let page = "<html><body>internal admin panel: do-not-leak</body></html>";
    let reply: &'static str = Box::leak(
        format!(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
        .into_boxed_str(),
    );
    let (port, reached) = canary(reply);
    let body = validate(&svc, &mut c, &format!("http://127.0.0.1:{port}")).await;
    assert!(reached.load(Ordering::SeqCst), "private endpoints are allowed by default");
    assert_eq!(body["result"], "error", "{body}");
    assert!(!body.to_string().contains("do-not-leak"), "the page was echoed: {body}");
}

/// Set in the run whose environment names proxies.
const PROXIED_RUN: &str = "DIFY_TEST_PROXIED_RUN";
