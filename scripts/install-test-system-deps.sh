#!/bin/sh
# System packages the tests need: Debian's Chromium for the browser tests, and fonts for
# colour emoji and CJK text, so that the screenshots show what phones show.
# Playwright drives it through executable_path=/usr/bin/chromium; no browser is downloaded.
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
for font in fonts-noto-color-emoji fonts-wqy-microhei; do
  dpkg -s "$font" >/dev/null 2>&1 || missing="$missing $font"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086  # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
  else
    echo "missing:$missing and we are not root: browser tests may skip" >&2
  fi
fi
