#!/usr/bin/env bash
# The Kotlin artifact and its tests: `mvn install` of dev.sspr:sspr (a release build of sspr-ffi,
# the Kotlin generated from it, the JUnit tests under Surefire, the jar with the native library,
# installed into the local Maven repository), then the example consumer in example/, which
# depends on nothing but that artifact, runs a whole reset. Prints Surefire's counts and the
# example's output; on a failure, Maven's whole log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/maven.sh"

log="$CARGO_TARGET_DIR/kotlin/install.log"
# clean: the Kotlin is generated from the Rust, and classes compiled against an older
# generation (a changed signature) would otherwise be kept and fail at run time.
if ! (cd "$here" && mvn -B -ntp clean install) > "$log" 2>&1; then
  plain < "$log"
  echo "mvn install failed (log: $log)"
  exit 1
fi
plain < "$log" | grep -E '^\[(INFO|WARNING|ERROR)\] Tests run:'
jar="$CARGO_TARGET_DIR/kotlin/sspr/sspr-0.1.0.jar"
echo "installed dev.sspr:sspr:0.1.0 into the local Maven repository: $(jar tf "$jar" | grep -vc '/$') files, $(du -h "$jar" | cut -f1)"

echo "example: a Kotlin program that depends on dev.sspr:sspr alone"
out="$CARGO_TARGET_DIR/kotlin/example.txt"
if ! (cd "$here/example" && mvn -q -B -DbuildDir="$CARGO_TARGET_DIR/kotlin/example" compile exec:exec) > "$out" 2>&1; then
  plain < "$out"
  exit 1
fi
plain < "$out" | tee "$out.plain"
grep -q "^new password accepted: true, reset completed$" "$out.plain"
grep -q "^the notifier recorded a code for alex.home@fabrikam.example$" "$out.plain"
grep -q "^the directory now holds the new password: true$" "$out.plain"
