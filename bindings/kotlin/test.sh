#!/usr/bin/env bash
# The Kotlin tests (ports implemented in Kotlin). Builds whatever it needs first (see build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$here/build.sh"
exec java -Djna.library.path="$root/target/debug" \
  -cp "$root/target/kotlin/sspr-kotlin.jar:$here/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar:/usr/share/java/jna.jar" \
  dev.sspr.tests.TestsKt
