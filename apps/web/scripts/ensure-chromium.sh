#!/usr/bin/env bash
# Installs Debian's chromium for the e2e tests when it is missing. Idempotent and non-interactive.
# Playwright cannot download its own browser here, so we drive the distribution's build instead.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

status=0
"$(dirname "$0")/../../../scripts/ci/apt-install.sh" --log chromium chromium fonts-dejavu-core || status=$?
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 2 ] && echo "ensure-chromium: or install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: chromium was installed but $CHROMIUM does not exist" >&2
  exit 1
fi
