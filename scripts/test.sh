#!/usr/bin/env bash
# The test suite in both run modes: embedded (SQLite, in-process cache and queue), then
# against PostgreSQL, Redis and RabbitMQ. `scripts/test.sh embedded` or `services` runs one.
# Service URLs: TEST_PG_URL, TEST_REDIS_URL, TEST_AMQP_URL (defaults: the local ones).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
runner=(cargo test --workspace)
if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run --workspace --no-fail-fast)
fi

services_up() {
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null &&
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null &&
  (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null
}

# The client SDKs the `sdk_clients` test drives (from PyPI and npm, once per machine).
if [[ -z "${DIFY_TEST_SDK_DIR:-}" ]]; then
  DIFY_TEST_SDK_DIR="$(scripts/sdks.sh)"
  export DIFY_TEST_SDK_DIR
fi

if [[ "$mode" == all || "$mode" == embedded ]]; then
  echo "=== tests, embedded mode ==="
  DIFY_TEST_BACKEND=embedded "${runner[@]}"
fi
if [[ "$mode" == all || "$mode" == services ]]; then
  if [[ -z "${TEST_PG_URL:-}" ]] && ! services_up; then
    echo "PostgreSQL (5432), Redis (6379) or RabbitMQ (5672) is not reachable on 127.0.0.1." >&2
    echo "Start them (see README, 'Running the tests'), or run: scripts/test.sh embedded" >&2
    exit 1
  fi
  echo "=== tests, services mode (PostgreSQL, Redis, RabbitMQ) ==="
  DIFY_TEST_BACKEND=services "${runner[@]}"
fi
