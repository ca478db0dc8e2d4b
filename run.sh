#!/usr/bin/env bash
# Main job: build, obtain the default data and models once, ingest the
# text, serve with the local LLM (embedding the chunks in the background).
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
# Pinned, checksummed model weights (~1.7 GB once, into ~/.cache/emkg/models).
# Without them emkg still runs: BM25 + graph search, extractive answers.
if ! models/fetch.sh all >&2; then
  echo "警告：模型未能获取，将只使用 BM25 与图谱检索 / models unavailable: running without them" >&2
fi
SOURCES=("$DB" corpus/samples)
# The public laws and plans beside the checkout, when present.
if [ -d ../shared/corpus ]; then
  SOURCES+=(../shared/corpus)
fi
BIN="${CARGO_TARGET_DIR:-target}/release/emkg"
# Text first (BM25 + graph): the server answers as soon as this is done
# and embeds what lacks vectors in the background (a restart resumes).
"$BIN" ingest "${SOURCES[@]}" --data "$DATA" --embedder none
exec "$BIN" serve --data "$DATA" --addr "$ADDR"
