#!/usr/bin/env bash
# The Kotlin tests (ports implemented in Kotlin). Builds whatever it needs first (see build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
classpath="$("$here/build.sh")"
exec java -Djna.library.path="$root/target/debug" \
  -cp "$classpath" \
  dev.sspr.tests.TestsKt
