#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 600 s each) and keeps
# what libFuzzer finds under fuzz/artifacts/. Not part of CI.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(structure numerals title docx incident); fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
mkdir -p corpus
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # Seed with the project's own samples so the fuzzer starts from real text.
  if [ "$t" != docx ] && [ -z "$(ls -A "corpus/$t")" ]; then
    cp ../corpus/samples/*.md "corpus/$t/" 2>/dev/null || true
  fi
  echo "== $t: ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=4096 2>&1 | tail -n 5
done
