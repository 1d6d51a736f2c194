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

# The benchmark binaries (release): api-server, indexer-worker and dify-bench.
bench_bin := env_var_or_default("CARGO_TARGET_DIR", "target") / "release" / "dify-bench"

bench-build:
    cargo build --release -p api-server -p indexer-worker -p bench

# Streamed chats at 1/10/50/200 concurrent (mode: embedded or services).
bench-stream mode="embedded" *args: bench-build
    {{bench_bin}} stream --mode {{mode}} {{args}}

# 1,000 concurrent streams from a model that sends a token every 20 ms.
bench-stream-1000 mode="embedded": bench-build
    {{bench_bin}} stream --mode {{mode}} --concurrency 1000 --token-ms 20 --seconds 10 --name stream-1000

# Blocking chats at 1/10/50 concurrent.
bench-blocking mode="embedded" *args: bench-build
    {{bench_bin}} blocking --mode {{mode}} {{args}}

# GET /v1/parameters at 50 concurrent.
bench-read mode="embedded" *args: bench-build
    {{bench_bin}} read --mode {{mode}} {{args}}

# A long conversation: listing it and chatting in it.
bench-history mode="embedded" *args: bench-build
    {{bench_bin}} history --mode {{mode}} {{args}}

# Server memory idle and after streamed, blocking and read load.
bench-memory mode="embedded" *args: bench-build
    {{bench_bin}} memory --mode {{mode}} {{args}}

# Start-up to healthy, restarted and on an empty database.
bench-startup mode="embedded" *args: bench-build
    {{bench_bin}} startup --mode {{mode}} {{args}}

# Economy indexing of 40 documents into an empty dataset and into one of 4,000.
bench-index mode="embedded" *args: bench-build
    {{bench_bin}} index --mode {{mode}} --at 0,4000 {{args}}

# High-quality indexing against an embedder answering in 50 ms.
bench-index-hq mode="embedded" *args: bench-build
    {{bench_bin}} index --mode {{mode}} --high-quality --latency-ms 50 --name index-hq {{args}}

# Economy indexing through the console API: dify-rs in the mode asked, or a running Dify
# (`--url http://127.0.0.1:5001 --password …`, Python Dify 0.3.23 say) on the same corpus.
bench-index-console mode="embedded" *args: bench-build
    {{bench_bin}} index-console --mode {{mode}} {{args}}

# Every benchmark in both modes; tables in bench/out/*.md (bench/RESULTS.md holds the last
# committed run).
bench: bench-build
    #!/usr/bin/env bash
    set -euo pipefail
    for mode in embedded services; do
      for b in stream blocking read history memory startup; do {{bench_bin}} $b --mode $mode; done
      {{bench_bin}} stream --mode $mode --concurrency 1000 --token-ms 20 --seconds 10 --name stream-1000
      {{bench_bin}} index --mode $mode --at 0,4000
      {{bench_bin}} index --mode $mode --high-quality --latency-ms 50 --name index-hq
      {{bench_bin}} index-console --mode $mode
    done
