#!/usr/bin/env bash
# Compile and run the Android demo's plain-Java core and its JUnit 4 tests on this JVM, without
# Gradle (Google's Maven is out of reach here). Also compiles the app's sources that use only the
# core. Prints the failures, then one closing line "N passed, N failed"; exits non-zero on any
# failure. Needs javac (openjdk-17-jdk-headless) and junit4 (Debian: /usr/share/java/junit4.jar).
#
#   GOLDEN_DIR=DIR   golden vectors to test against (default: the committed small set)
#   MODELS_DIR=DIR   exported models (DIR/<variant>/model.tflite + spec.json + manifest.json) to read
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
core="$root/android_demo/core"
app="$root/android_demo/app/src/main/java"
app_tests="$root/android_demo/app/src/test/java"
out="$core/build/jvm"
# A missing tool fails in CI (CI=true) and skips elsewhere, saying what to install.
missing() {
  if [ "${CI:-}" = true ]; then echo "java-test: $1" >&2; exit 2; fi
  echo "java-test: skipped: $1 (or run scripts/install-system-deps.sh)"; exit 0
}
jars=""
for j in junit4 hamcrest-core; do
  f="/usr/share/java/$j.jar"
  [ -f "$f" ] || missing "$f not found: apt-get install junit4"
  jars="$jars:$f"
done
command -v javac >/dev/null || missing "javac not found: apt-get install openjdk-17-jdk-headless"

rm -rf "$out" && mkdir -p "$out/main" "$out/app" "$out/test"
# The core targets Java 8 APIs, which Android (minSdk 24) has.
javac --release 8 -Xlint:all,-serial,-options -Werror -d "$out/main" $(find "$core/src/main/java" -name '*.java')
# App sources that import no android.* and no LiteRT class: they must build against the core alone.
app_pure=$(grep -L -E '^import (android|androidx|org\.tensorflow|com\.google)\.' $(find "$app" -name '*.java') || true)
javac --release 8 -Xlint:all,-serial,-options -Werror -cp "$out/main" -d "$out/app" $app_pure
javac --release 8 -Xlint:all,-serial,-options -cp "$out/main:$out/app$jars" -d "$out/test" \
  $(find "$core/src/test/java" "$app_tests" -name '*.java')

classes=$(for d in "$core/src/test/java" "$app_tests"; do
  (cd "$d" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g'); done | sort)
cd "$core"
exec java -Dgolden.dir="${GOLDEN_DIR:-$core/src/test/resources/golden}" -Dmodels.dir="${MODELS_DIR:-}" \
  -cp "$out/main:$out/app:$out/test$jars" org.fractureedge.core.RunTests $classes
