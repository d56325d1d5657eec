#!/usr/bin/env bash
# The Kotlin conformance runner: conformance.sh [DIR]. DIR defaults to SSPR_CONFORMANCE_DIR, else
# the project's conformance/. Maven builds what it needs first (pom.xml: the sspr-ffi release
# build, the generated bindings, the test classes, the test classpath), then the runner, a
# test-scope main, runs on the JVM. Prints one line per failure and `N passed, N failed`; exits
# non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${SSPR_CONFORMANCE_DIR:-}}"
dir="$(realpath -m "${dir:-$here/../../conformance}")"   # relative to where the script was started
source "$here/maven.sh"

build="$CARGO_TARGET_DIR/kotlin/sspr"
log="$CARGO_TARGET_DIR/kotlin/test-compile.log"
if ! (cd "$here" && mvn -q -B test-compile) > "$log" 2>&1; then
  plain < "$log"
  exit 1
fi
cd "$root"
exec java -Dsspr.root="$root" -cp "$build/test-classes:$build/classes:$(cat "$build/test-classpath.txt")" \
  dev.sspr.conformance.ConformanceKt "$dir"
