//! The deployment files, checked as no Docker engine runs here: `docker-compose.yml` (YAML
//! merge keys applied, as Compose does) against the Compose Specification's own JSON schema
//! (`tests/compose/`), every service with a healthcheck and api/worker checking readiness,
//! the runtime image not running as root, and every name in `deploy/.env.example` one the
//! configuration reads.

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose() -> Value {
    let mut yaml: serde_norway::Value = serde_norway::from_str(&read("docker-compose.yml")).expect("YAML");
    yaml.apply_merge().expect("merge keys");
    serde_json::to_value(yaml).expect("JSON")
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let schema: Value = serde_json::from_str(&read("tests/compose/compose-spec.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let file = compose();
    let errors: Vec<String> = validator.iter_errors(&file).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "docker-compose.yml breaks the Compose Specification:\n{}", errors.join("\n"));

    // The check can fail: a misspelt key is caught.
    let mut broken = file.clone();
    broken["services"]["api"]["helthcheck"] = serde_json::json!({"test": ["CMD", "true"]});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_service_has_a_healthcheck_and_ours_check_readiness() {
    let file = compose();
    let services = file["services"].as_object().expect("services");
    for (name, service) in services {
        let test = &service["healthcheck"]["test"];
        assert!(test.is_array() || test.is_string(), "{name} has no healthcheck");
    }
    assert_eq!(services["api"]["healthcheck"]["test"], serde_json::json!(["CMD", "api-server", "healthcheck"]));
    assert_eq!(services["worker"]["healthcheck"]["test"], serde_json::json!(["CMD", "indexer-worker", "healthcheck"]));
    for dependency in ["db", "redis", "rabbitmq"] {
        assert_eq!(
            services["api"]["depends_on"][dependency]["condition"], "service_healthy",
            "api waits for {dependency}"
        );
    }
    assert_eq!(services["worker"]["depends_on"]["api"]["condition"], "service_healthy", "worker waits for migrations");
    assert_eq!(services["qdrant"]["profiles"], serde_json::json!(["qdrant"]));
}

#[test]
fn the_runtime_image_does_not_run_as_root() {
    let dockerfile = read("deploy/Dockerfile");
    let runtime = dockerfile.rsplit("\nFROM ").next().expect("a runtime stage");
    let user = runtime.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap_or_default().trim();
    assert!(!matches!(uid, "root" | "0" | ""), "runs as {user}");
}

#[test]
fn every_name_in_the_env_example_is_one_the_configuration_reads() {
    let config = read("crates/kernel/src/config.rs");
    let example = read("deploy/.env.example");
    let unread: Vec<&str> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty() && !config.contains(&format!("\"{k}\"")))
        .collect();
    assert!(unread.is_empty(), "deploy/.env.example names what the configuration never reads: {unread:?}");
}
