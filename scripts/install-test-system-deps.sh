#!/bin/sh
# System packages the tests need: Debian's Chromium for the browser tests.
# Playwright drives it through executable_path=/usr/bin/chromium; no browser is downloaded.
set -e
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and we are not root: browser tests will skip" >&2
  fi
fi
