# Common tasks. `just --list` shows them.

# Run the server embedded (SQLite, in-process queue and cache, files under ./data).
run:
    cargo run --bin api-server

# The test suite in both modes (embedded, then PostgreSQL/Redis/RabbitMQ).
test:
    scripts/test.sh

# Formatting and lints, as CI expects them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Apply database migrations.
migrate:
    cargo run --bin admin -- db upgrade

# Print the route table.
routes:
    cargo run --bin admin -- routes

# Indexing throughput (documents per minute, segments per second) on a fixed corpus.
bench:
    cargo run --release -p bench --bin indexing
