#!/bin/sh
# System packages the tests need, all from Debian:
# - chromium for the browser tests (Playwright drives it through
#   executable_path=/usr/bin/chromium; no browser is downloaded), and fonts for colour
#   emoji and CJK text, so that the screenshots show what phones show;
# - zookeeper (and the Java it runs on) for the ZooKeeper registry tests, which start
#   their own server from /usr/share/java/zookeeper.jar;
# - haproxy for the load-balancer tests, which run deploy/haproxy.cfg.
# Idempotent: installs only what is missing. Other installs may run at the same time,
# so apt waits for the package lock rather than failing.
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
for font in fonts-noto-color-emoji fonts-wqy-microhei; do
  dpkg -s "$font" >/dev/null 2>&1 || missing="$missing $font"
done
[ -f /usr/share/java/zookeeper.jar ] && [ -x /usr/bin/java ] || missing="$missing zookeeper default-jre-headless"
[ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then
  apt="apt-get -o DPkg::Lock::Timeout=600"
  $apt update -qq
  # shellcheck disable=SC2086  # a list of package names
  DEBIAN_FRONTEND=noninteractive $apt install -y -qq $missing >/dev/null
else
  echo "missing:$missing (not root): the tests that need them will skip" >&2
fi
