//! Test support: a fresh, isolated environment per test in either run mode, and fake servers
//! that speak the wire protocols of services that cannot run here.
//!
//! `DIFY_TEST_BACKEND=services` runs against PostgreSQL (`TEST_PG_URL`), Redis
//! (`TEST_REDIS_URL`) and RabbitMQ (`TEST_AMQP_URL`); anything else runs embedded.

mod env;
pub mod fake_openai;
pub mod fake_otlp;
pub mod fake_qdrant;
pub mod fake_s3;
pub mod fake_smtp;
pub mod fake_weaviate;
pub mod files;
pub mod hostile;
pub mod rows;
pub mod seed;
mod serve;
pub mod tcp_proxy;

pub use env::{TempDatabase, TestEnv, extract_program, pg_admin_url, services_mode};
