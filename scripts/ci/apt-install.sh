#!/usr/bin/env bash
# Installs Debian packages that tests need (nginx, chromium, Ceph's radosgw, podman…), the one way
# every test script does it: non-interactive, as root or through password-less sudo, waiting for the
# dpkg lock when several test runs install at once, refreshing the package index only when the
# install fails (the refresh is slow), and with services kept from starting (a container has no init
# system; a package's postinst would otherwise try to start e.g. nginx on port 80). Output goes to a
# log file, named in the error message.
#
#   scripts/ci/apt-install.sh --log NAME PACKAGE…    log: ${TMPDIR:-/tmp}/psi-NAME-apt.log
#
# Exit status: 0 installed, 1 failed (message on stderr), 2 cannot install here (no apt-get, not
# root and no password-less sudo): the caller says what to install by hand.
set -euo pipefail

name=apt
if [ "${1:-}" = "--log" ]; then
  name=$2
  shift 2
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 [--log NAME] PACKAGE…" >&2
  exit 1
fi
log="${TMPDIR:-/tmp}/psi-${name}-apt.log"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install: no apt-get on this machine; install $* by hand" >&2
  exit 2
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
    echo "apt-install: installing $* needs root: run 'sudo apt-get install $*'" >&2
    exit 2
  fi
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit code 101 = "action forbidden": postinst scripts do not start services.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | ${SUDO[@]+"${SUDO[@]}"} tee "$policy" >/dev/null
  ${SUDO[@]+"${SUDO[@]}"} chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then ${SUDO[@]+"${SUDO[@]}"} rm -f "$policy"; fi; }
trap cleanup EXIT

apt() { ${SUDO[@]+"${SUDO[@]}"} apt-get -q -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1; }
echo "apt-install: apt-get install $* (log: $log)" >&2
if ! apt install -y --no-install-recommends "$@"; then
  apt update || true
  if ! apt install -y --no-install-recommends "$@"; then
    echo "apt-install: apt-get install $* failed, see $log" >&2
    exit 1
  fi
fi
