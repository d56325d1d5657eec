#!/usr/bin/env bash
# Runs every test suite: formatting, lints, unit and integration tests, the conformance
# vectors (the project's own, then ../shared/conformance when it exists), and the interop
# checks against other implementations (argon2-cffi, pyotp) in a Python virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== servers the tests start themselves: PostgreSQL and Redis from Debian's packages"
missing=()
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing+=(postgresql)
command -v redis-server > /dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  # Installed, never started as a service: the tests start throwaway servers of their own.
  stop_services=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    stop_services=1
  fi
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" > /dev/null
  if [ "$stop_services" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "== tests"
cargo test --workspace --all-features
echo "== packages: cargo publish --dry-run of every publishable crate (sspr-core, sspr-stores)"
cargo publish --workspace --dry-run --allow-dirty --quiet
if [ -d ../shared/conformance ]; then
  echo "== conformance: ../shared/conformance"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test -p sspr-core --test conformance
  echo "== conformance: ../shared/conformance with the stores on SQLite"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test -p sspr-stores --test sqlite_conformance
  echo "== conformance: ../shared/conformance with the stores on PostgreSQL"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test -p sspr-stores --features postgres,test-servers --test postgres
  echo "== conformance: ../shared/conformance with the stores on Redis"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test -p sspr-stores --features redis,test-servers --test redis
fi

echo "== walkthrough (the README's run command)"
cargo run -q -p sspr-examples --bin walkthrough -- "$out/wt/sspr.db" > "$out/walkthrough.txt"
grep -q "The directory now holds the new password: true" "$out/walkthrough.txt"
# It reads like the product: screens in words, no policy dump, no Debug formatting.
grep -q "Get back into your account" "$out/walkthrough.txt"
if grep -nE '^\[|Some\(|None\b|\["|We couldn.t go on' "$out/walkthrough.txt"; then
  echo "the walkthrough prints a policy dump, Debug output or a bare reason id"; exit 1
fi
echo "== walkthrough again: the state the first run left in SQLite"
cargo run -q -p sspr-examples --bin walkthrough -- "$out/wt/sspr.db" > "$out/walkthrough2.txt"
grep -q "from an earlier run: [1-9][0-9]* audit events" "$out/walkthrough2.txt"
grep -q "Alice registered on an earlier run" "$out/walkthrough2.txt"
grep -q "The directory now holds the new password: true" "$out/walkthrough2.txt"

echo "== examples: policy and password checkers"
printf '[reset]\nmethods_required = 3\n' > "$out/bad.toml"
if cargo run -q -p sspr-examples --bin policy-check -- "$out/bad.toml" > "$out/policy.txt"; then exit 1; fi
grep -q "field: reset.methods_required" "$out/policy.txt"
cargo run -q -p sspr-examples --bin password-check -- "violet tugboat ladders whisper" | grep -q "^accepted"
cargo run -q -p sspr-examples --bin policy-check -- examples/policies/contoso.toml > "$out/odds.txt"
grep -q "^| a year | 100 | 1.00e-6" "$out/odds.txt"
cargo run -q -p sspr-examples --bin async-delivery > "$out/async.txt"
grep -q "Neither step waited for the 150 ms delivery: true" "$out/async.txt"

echo "== interop: argon2-cffi and pyotp"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
cargo run -q -p sspr-core --example interop_fixtures > "$out/interop-fixtures.json"
.venv/bin/python scripts/interop.py "$out/interop-fixtures.json"

echo "== python package: maturin build into .venv, then pytest"
(cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release -q)
.venv/bin/python -m pytest bindings/python/tests -q
.venv/bin/python -m mypy.stubtest sspr
.venv/bin/python bindings/python/tests/conformance.py | tail -1
if [ -d ../shared/conformance ]; then
  .venv/bin/python bindings/python/tests/conformance.py ../shared/conformance | tail -1
fi
.venv/bin/python examples/python/reset.py > "$out/python-reset.txt"
grep -q "new password accepted: completed" "$out/python-reset.txt"

echo "== kotlin: conformance runner and tests over the UniFFI bindings"
bindings/kotlin/conformance.sh
if [ -d ../shared/conformance ]; then
  bindings/kotlin/conformance.sh ../shared/conformance
fi
bindings/kotlin/test.sh

echo "== swift: generation, syntax, C header, names (no Swift compiler here)"
bindings/swift/check.sh

if [ -z "${SSPR_SKIP_FUZZ:-}" ]; then
  echo "== fuzzing: every target for ${SSPR_FUZZ_SECONDS:-10} s"
  fuzz/run.sh "${SSPR_FUZZ_SECONDS:-10}"
fi
