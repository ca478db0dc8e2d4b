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

# Sourced by test.sh only: LibreOffice, which the test of drafted .docx
# documents converts them with. When it cannot be installed (offline, no
# apt), that test reports itself skipped.
ensure_test_deps() {
  command -v soffice >/dev/null 2>&1 && return 0
  command -v dpkg >/dev/null 2>&1 || return 0
  echo "安装 LibreOffice（测试 .docx 用）/ installing LibreOffice for the .docx test" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui; } \
    || echo "LibreOffice 未能安装，相关测试将跳过 / LibreOffice unavailable: its test will be skipped" >&2
}
