#!/usr/bin/env bash
# The e2e runs the real server from its build. turbo builds it first (it is a devDependency of this
# package); when the tests are started directly and the build is missing, build it and what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f ../server/dist/main.js ]; then
  echo "ensure-server: building @psitransfer/server and its dependencies" >&2
  pnpm --filter "@psitransfer/server..." run build
fi
