#!/usr/bin/env bash
# Reproduce the JavaScript vendored into circuit_gen/vendor/ from its npm package and check its sha256.
# The offline viewers (circuit_gen.web_pages: graph_viewer, spectrum_viewer) inline d3's UMD bundle: no network needed.
# Usage: tools/vendor_js.sh          fetch with `npm pack`, compare with the vendored copy (exit 1 if different)
#        tools/vendor_js.sh --write  also (re)write circuit_gen/vendor/ from the package
set -euo pipefail
D3_VERSION=7.9.2
D3_SHA256=912111098ea99503a6f4967361d2bbdc9dbf58cf9c678c8e27e5b02d1a07f0c1    # package/dist/d3.min.js of d3@7.9.2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/circuit_gen/vendor"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "d3@$D3_VERSION" >/dev/null && tar -xzf "d3-$D3_VERSION.tgz")
got="$(sha256sum "$TMP/package/dist/d3.min.js" | cut -d' ' -f1)"
if [ "$got" != "$D3_SHA256" ]; then echo "d3@$D3_VERSION from npm has sha256 $got, expected $D3_SHA256" >&2; exit 1; fi
if [ "${1:-}" = "--write" ]; then
  mkdir -p "$DEST"
  cp "$TMP/package/dist/d3.min.js" "$DEST/d3.min.js"
  cp "$TMP/package/LICENSE" "$DEST/d3.LICENSE"
fi
have="$(sha256sum "$DEST/d3.min.js" | cut -d' ' -f1)"
if [ "$have" != "$D3_SHA256" ]; then echo "$DEST/d3.min.js has sha256 $have, expected $D3_SHA256: run $0 --write" >&2; exit 1; fi
cmp -s "$TMP/package/LICENSE" "$DEST/d3.LICENSE" || { echo "$DEST/d3.LICENSE differs from d3@$D3_VERSION's LICENSE" >&2; exit 1; }
echo "d3@$D3_VERSION ok: $DEST/d3.min.js sha256 $have"
