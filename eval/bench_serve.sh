#!/usr/bin/env bash
# Service load benchmark on loopback: the release server on a data
# directory, /v1/search under 16 and 64 keep-alive connections while one
# /v1/ask (with the configured local model) runs alongside; throughput,
# latency percentiles, status counts (5xx other than 503 must be 0) and the
# server's peak RSS. Printed, never asserted.
#   eval/bench_serve.sh DATA_DIR [QUERIES] [SECONDS]
# Needs a release build and an ingested data directory (./run.sh makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:?usage: eval/bench_serve.sh DATA_DIR [QUERIES] [SECONDS]}"
QUERIES="${2:-../shared/eval/dev_retrieval.jsonl}"
SECONDS_PER="${3:-15}"
EMKG="${EMKG_BIN:-${CARGO_TARGET_DIR:-target}/release/emkg}"
[ -x "$EMKG" ] || { echo "需要先 cargo build --release / build emkg first" >&2; exit 1; }
LOG="$(mktemp)"; trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
"$EMKG" serve --data "$DATA" --addr 127.0.0.1:0 --ask-queue 4 >"$LOG" 2>&1 &
PID=$!
URL=""
for _ in $(seq 1 600); do
  URL="$(sed -n 's/^emkg 服务已启动：\(http:[^ ]*\)$/\1/p' "$LOG" | head -1)"
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.5
done
[ -n "$URL" ] || { echo "服务未能启动" >&2; cat "$LOG" >&2; exit 1; }
grep -E "^(向量检索|生成模型)" "$LOG" || true
# A throwaway operator account for the run (revoked at the end).
NAME="bench-$$"
TOKEN="$("$EMKG" users add "$NAME" --role operator --data "$DATA" 2>/dev/null)"
echo "server $URL (pid $PID), $(nproc) cores"
"$EMKG" bench load --url "$URL" --token "$TOKEN" --queries "$QUERIES" \
  --connections 16,64 --seconds "$SECONDS_PER" \
  --ask "生产经营单位的主要负责人对本单位安全生产工作负有哪些职责？"
# The server's own metrics for the run.
curl -s -H "Authorization: Bearer $TOKEN" "$URL/metrics" | grep -E '^emkg_(http_requests_total|ask_queue|llm_)' | grep -v ' 0$' | head -20 || true
awk '/VmHWM/ { printf "server peak RSS: %.0f MB\n", $2/1024 }' "/proc/$PID/status"
"$EMKG" users revoke "$NAME" --data "$DATA" >/dev/null 2>&1 || true
