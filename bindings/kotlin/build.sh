#!/usr/bin/env bash
# Builds what the Kotlin runner and tests need, skipping whatever is up to date:
# the sspr-ffi library, the generated Kotlin sources, the Kotlin compiler (npm), JNA (Debian),
# and target/kotlin/sspr-kotlin.jar (bindings + src/*.kt). Prints the classpath's pieces.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ ! -f /usr/share/java/jna.jar ]; then
  echo "== installing JNA (Debian libjna-java)" >&2
  apt-get install -y --no-install-recommends libjna-java >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y --no-install-recommends libjna-java >/dev/null; }
fi
if [ ! -x "$here/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  echo "== installing the Kotlin compiler (npm kotlin-compiler)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

cargo build -q -p sspr-ffi -p uniffi-bindgen
out="$root/target/kotlin"
mkdir -p "$out"
target/debug/uniffi-bindgen generate target/debug/libsspr_ffi.so --language kotlin \
  --out-dir "$out/generated" --no-format >/dev/null

stamp="$(cat "$out/generated/dev/sspr/sspr_ffi.kt" "$here"/src/*.kt | sha256sum | cut -c1-16)"
if [ ! -f "$out/sspr-kotlin.jar" ] || [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "== compiling the Kotlin bindings, runner and tests" >&2
  "$here/node_modules/kotlin-compiler/bin/kotlinc" -nowarn \
    "$out/generated/dev/sspr/sspr_ffi.kt" "$here"/src/*.kt \
    -cp /usr/share/java/jna.jar -d "$out/sspr-kotlin.jar"
  echo "$stamp" > "$out/stamp"
fi
