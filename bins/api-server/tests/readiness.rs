//! `/ready`: 503 naming the service that is down while PostgreSQL, Redis or RabbitMQ cannot be
//! reached (each taken away in turn by a proxy in front of the real service), 200 again once
//! it returns; `/health` answers 200 throughout.

use std::time::{Duration, Instant};

use actix_web::test;
use api_server::{AppState, app};
use infra::Infra;
use kernel::Config;
use serde_json::Value;
use test_support::tcp_proxy::TcpProxy;
use test_support::{TestEnv, services_mode};

/// `url` with its host and port replaced by a proxy's, and the proxy.
async fn through_proxy(url: &str, default_port: u16) -> (String, TcpProxy) {
    let mut parsed = url::Url::parse(url).expect("service url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(default_port));
    let proxy = TcpProxy::start(&target).await;
    parsed.set_host(Some("127.0.0.1")).expect("host");
    parsed.set_port(Some(proxy.port)).expect("port");
    (parsed.to_string(), proxy)
}

async fn get<S, B>(app: &S, path: &str) -> (u16, Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let r = test::call_service(app, test::TestRequest::get().uri(path).to_request()).await;
    let status = r.status().as_u16();
    let body: Value = serde_json::from_slice(&test::read_body(r).await).unwrap_or(Value::Null);
    (status, body)
}

fn down(body: &Value) -> Vec<String> {
    body["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] == false)
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn readiness_names_the_service_that_is_down_and_recovers() {
    let env = TestEnv::new().await;
    if !services_mode() {
        // Embedded: the database is a file, the cache and queue live in the process.
        let app = test::init_service(app(AppState::new(env.config.clone(), env.infra.clone()))).await;
        let (status, body) = get(&app, "/ready").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ready")), "{body}");
        return;
    }
    let (database_url, pg) = through_proxy(&env.config.database_url, 5432).await;
    let (redis_url, redis) = through_proxy(env.config.redis_url.as_deref().expect("redis"), 6379).await;
    let (broker_url, rabbit) = through_proxy(env.config.broker_url.as_deref().expect("broker"), 5672).await;
    let config =
        Config { database_url, redis_url: Some(redis_url), broker_url: Some(broker_url), ..env.config.clone() };
    let infra = Infra::connect(&config, &env.prefix).await.expect("connect through the proxies");
    let app = test::init_service(app(AppState::new(config, infra))).await;
    let (status, body) = get(&app, "/ready").await;
    assert_eq!(status, 200, "{body}");

    for (name, proxy) in [("database", &pg), ("cache", &redis), ("broker", &rabbit)] {
        proxy.cut();
        let (status, body) = get(&app, "/ready").await;
        assert_eq!(status, 503, "{name} is down: {body}");
        assert_eq!(down(&body), [name], "{body}");
        assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("not_ready"), Some(503)));
        assert!(body["message"].as_str().is_some_and(|m| m.contains(name)), "{body}");
        assert_eq!(get(&app, "/health").await.0, 200, "liveness does not depend on {name}");

        proxy.restore();
        let started = Instant::now();
        loop {
            let (status, body) = get(&app, "/ready").await;
            if status == 200 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{name} came back but /ready says {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
