#!/usr/bin/env bash
# Main job: build, obtain the default data once, ingest it, serve.
#   EMKG_DATA  data directory (default: ./data)
#   EMKG_ADDR  listen address (default: 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA="${EMKG_DATA:-data}"
ADDR="${EMKG_ADDR:-127.0.0.1:8080}"
# oxigraph's RocksDB needs libclang (bindgen) and a C++ compiler.
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libclang-dev >/dev/null 2>&1; then
  echo "安装构建依赖 libclang-dev … (installing libclang-dev)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev g++
fi
cargo build --release --locked -p emkg-api
DB="$(corpus/fetch.sh)"
SOURCES=("$DB" corpus/samples)
# The public laws and plans beside the checkout, when present.
if [ -d ../shared/corpus ]; then
  SOURCES+=(../shared/corpus)
fi
./target/release/emkg ingest "${SOURCES[@]}" --data "$DATA"
exec ./target/release/emkg serve --data "$DATA" --addr "$ADDR"
