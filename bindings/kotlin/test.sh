#!/usr/bin/env bash
# The Kotlin tests (ports implemented in Kotlin). Builds whatever it needs first (see build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The cargo target directory: CARGO_TARGET_DIR if set (relative to where the script was
# started), else target/ at the root; exported absolute so cargo and this script agree.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
classpath="$("$here/build.sh")"
exec java -Djna.library.path="$CARGO_TARGET_DIR/debug" \
  -cp "$classpath" \
  dev.sspr.tests.TestsKt
