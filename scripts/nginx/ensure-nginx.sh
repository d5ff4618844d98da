#!/usr/bin/env bash
# Installs Debian's nginx for the reverse-proxy test (apps/server/src/nginx.e2e.test.ts) when it is
# missing, and prints the binary's path. Idempotent and non-interactive: apt-get runs only when no
# nginx is found. The test starts its own nginx (own prefix, port and temp dirs); the service the
# package sets up is neither needed nor started (policy-rc.d keeps it from starting, see below).
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

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nginx: nginx is missing and apt-get is not available; install nginx or set NGINX_BIN" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
    echo "ensure-nginx: nginx is missing and installing it needs root: run 'sudo apt-get install nginx'" \
      "or set NGINX_BIN to an nginx binary" >&2
    exit 1
  fi
  SUDO="sudo -n"
fi

echo "ensure-nginx: installing Debian's nginx with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# A container has no init system: without a policy the package's postinst tries to start the
# service on port 80 (and fails or, worse, succeeds). Exit code 101 = "action forbidden".
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
# Several test runs may start at once: wait for the dpkg lock instead of failing on it.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nginx >/dev/null

if ! find_nginx; then
  echo "ensure-nginx: nginx was installed but no nginx binary was found" >&2
  exit 1
fi
