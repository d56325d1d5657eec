#!/usr/bin/env bash
# Runs every test suite: formatting, lints, unit and integration tests, and the conformance
# vectors (the project's own, then ../shared/conformance when it exists).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests"
cargo test --workspace
if [ -d ../shared/conformance ]; then
  echo "== conformance: ../shared/conformance"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test -p sspr-core --test conformance
fi
