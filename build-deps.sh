#!/usr/bin/env bash
# Sourced by run.sh and test.sh: installs the native build dependencies a fresh
# Debian/Ubuntu machine lacks — a C/C++ compiler (bundled SQLite, RocksDB) and
# libclang (bindgen for oxigraph's RocksDB bindings) — and pip, with which
# corpus/fetch.sh and models/fetch.sh download their pinned packages.
ensure_build_deps() {
  command -v cargo >/dev/null 2>&1 || { echo "需要 Rust 工具链（cargo）/ the Rust toolchain (cargo) is required" >&2; return 1; }
  command -v dpkg >/dev/null 2>&1 || return 0
  local missing=()
  command -v cc >/dev/null 2>&1 || missing+=(gcc)
  command -v c++ >/dev/null 2>&1 || missing+=(g++)
  dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "安装构建依赖 / installing build dependencies: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# Sourced by test.sh only: what the end-to-end tests drive the product
# with — LibreOffice (converts drafted .docx), Debian's Chromium and
# ChromeDriver (the console's browser test), and the official client
# packages, pinned, in a venv of the user cache (openai, mcp, selenium).
# Whatever cannot be installed (offline, no apt) makes its test report
# itself skipped.
PY_CLIENTS="${EMKG_PY_CLIENTS:-${XDG_CACHE_HOME:-$HOME/.cache}/emkg/pyclients}"
ensure_test_deps() {
  if command -v dpkg >/dev/null 2>&1; then
    local missing=()
    command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # Debian's own python3 creates venvs only with python3-venv.
    python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
    # A CJK font, so the console's screenshots show Chinese, not boxes.
    dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
    if [ ${#missing[@]} -gt 0 ]; then
      echo "安装测试依赖 / installing test dependencies: ${missing[*]}" >&2
      local sudo=""
      [ "$(id -u)" -ne 0 ] && sudo="sudo"
      { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        || echo "测试依赖未能全部安装，相关测试将跳过 / some test dependencies unavailable: their tests will be skipped" >&2
    fi
  fi
  # Pinned client packages (the versions the tests were written against).
  local want="openai==3.57.0 mcp==2.3.0 selenium==4.51.0"
  if [ ! -f "$PY_CLIENTS/.pinned" ] || [ "$(cat "$PY_CLIENTS/.pinned")" != "$want" ]; then
    { python3 -m venv "$PY_CLIENTS" && "$PY_CLIENTS/bin/pip" install -q $want && echo "$want" > "$PY_CLIENTS/.pinned"; } \
      || { echo "Python 客户端包未能安装，相关测试将跳过 / client packages unavailable: their tests will be skipped" >&2; rm -rf "$PY_CLIENTS"; }
  fi
  [ -x "$PY_CLIENTS/bin/python" ] && export EMKG_PYTHON="$PY_CLIENTS/bin/python"
  return 0
}
