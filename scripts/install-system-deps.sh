#!/usr/bin/env bash
# Install what the Android core's JVM tests and the browser demo's tests need from Debian:
# a JDK, JUnit 4, Chromium and ChromeDriver. Does nothing when they are all there already.
# Needs root (CI runs as root); otherwise prints the command to run and exits 0, and the tests
# that need the tools skip with that reason (in CI, CI=true, they fail instead).
set -euo pipefail
need=()
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: missing ${need[*]}; install with: sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 0
fi
echo "install-system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
