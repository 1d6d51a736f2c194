#!/usr/bin/env bash
# Installs the v0.3-line client SDKs the `sdk_clients` test drives, from their registries and
# unmodified: Python `dify-client` 0.1.8 and 0.1.10 (PyPI), Node `dify-client` 2.0.0 (npm).
# Prints the directory to export as DIFY_TEST_SDK_DIR. Installs once per machine.
set -euo pipefail
dir="${DIFY_SDK_CACHE:-/var/tmp/dify-rs-sdks}"
for v in 0.1.8 0.1.10; do
  if [[ ! -f "$dir/python-$v/dify_client/client.py" ]]; then
    pip install --quiet --disable-pip-version-check --target "$dir/python-$v" "dify-client==$v" >&2
  fi
done
if [[ ! -f "$dir/node/node_modules/dify-client/index.js" ]]; then
  mkdir -p "$dir/node"
  (cd "$dir/node" && npm install --silent --no-audit --no-fund --no-save dify-client@2.0.0 >&2)
fi
echo "$dir"
