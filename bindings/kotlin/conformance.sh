#!/usr/bin/env bash
# The Kotlin conformance runner: conformance.sh [DIR]. DIR defaults to SSPR_CONFORMANCE_DIR, else
# the project's conformance/. Builds whatever it needs first (see build.sh). Prints
# `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
classpath="$("$here/build.sh")"
dir="${1:-${SSPR_CONFORMANCE_DIR:-$root/conformance}}"
exec java -Djna.library.path="$root/target/debug" -Dsspr.root="$root" \
  -cp "$classpath" \
  dev.sspr.conformance.ConformanceKt "$dir"
