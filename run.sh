#!/usr/bin/env bash
# Main job: build, obtain the default data once, ingest it, serve.
#   EMKG_DATA  data directory (default: ./data)
#   EMKG_ADDR  listen address (default: 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA="${EMKG_DATA:-data}"
ADDR="${EMKG_ADDR:-127.0.0.1:8080}"
. ./build-deps.sh
ensure_build_deps
cargo build --release --locked -p emkg-api
DB="$(corpus/fetch.sh)"
SOURCES=("$DB" corpus/samples)
# The public laws and plans beside the checkout, when present.
if [ -d ../shared/corpus ]; then
  SOURCES+=(../shared/corpus)
fi
BIN="${CARGO_TARGET_DIR:-target}/release/emkg"
"$BIN" ingest "${SOURCES[@]}" --data "$DATA"
exec "$BIN" serve --data "$DATA" --addr "$ADDR"
