#!/usr/bin/env bash
# Installs Debian's nginx for the reverse-proxy test (apps/server/src/nginx.e2e.test.ts) when it is
# missing, and prints the binary's path. Idempotent and non-interactive: apt-get runs only when no
# nginx is found (scripts/ci/apt-install.sh). The test starts its own nginx (own prefix, port and
# temp dirs); the service the package sets up is neither needed nor started.
#
#   NGINX_BIN   use this nginx instead of looking for one (no install)
set -euo pipefail

if [ -n "${NGINX_BIN:-}" ]; then
  [ -x "$NGINX_BIN" ] || {
    echo "ensure-nginx: NGINX_BIN=$NGINX_BIN is not an executable" >&2
    exit 1
  }
  echo "$NGINX_BIN"
  exit 0
fi

find_nginx() {
  for candidate in /usr/sbin/nginx "$(command -v nginx 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if find_nginx; then
  exit 0
fi

status=0
"$(dirname "$0")/../ci/apt-install.sh" --log nginx nginx || status=$?
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 2 ] && echo "ensure-nginx: or set NGINX_BIN to an nginx binary" >&2
  exit 1
fi

if ! find_nginx; then
  echo "ensure-nginx: nginx was installed but no nginx binary was found" >&2
  exit 1
fi
