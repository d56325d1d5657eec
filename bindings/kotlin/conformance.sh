#!/usr/bin/env bash
# The Kotlin conformance runner: conformance.sh [DIR]. DIR defaults to SSPR_CONFORMANCE_DIR, else
# the project's conformance/. Builds whatever it needs first (see build.sh). Prints
# `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The cargo target directory: CARGO_TARGET_DIR if set (relative to where the script was
# started), else target/ at the root; exported absolute so cargo and this script agree.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
classpath="$("$here/build.sh")"
dir="${1:-${SSPR_CONFORMANCE_DIR:-$root/conformance}}"
exec java -Djna.library.path="$CARGO_TARGET_DIR/debug" -Dsspr.root="$root" \
  -cp "$classpath" \
  dev.sspr.conformance.ConformanceKt "$dir"
