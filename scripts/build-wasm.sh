#!/usr/bin/env bash
# Builds the three Wasm targets (debug, release, scalar) into a directory (default: build/).
# A private directory plus NETLOOM_WASM_DIR lets parallel work build without clobbering build/.
set -euo pipefail
out=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p "$out"
npx asc assembly/index.ts --target debug --outFile "$out/netloom.debug.wasm" --textFile "$out/netloom.debug.wat"
npx asc assembly/index.ts --target release --outFile "$out/netloom.wasm"
npx asc assembly/index.ts --target scalar --outFile "$out/netloom.scalar.wasm"
