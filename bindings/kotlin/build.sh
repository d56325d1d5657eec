#!/usr/bin/env bash
# Builds what the Kotlin runner and tests need, skipping whatever is up to date:
# the sspr-ffi library, the generated Kotlin sources, the Kotlin compiler (npm), JNA (Debian),
# Gson (Maven Central), and $CARGO_TARGET_DIR/kotlin/sspr-kotlin.jar (bindings + src/*.kt).
# Prints the classpath to run it with on stdout; everything else goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The cargo target directory: CARGO_TARGET_DIR if set (relative to where the script was
# started), else target/ at the root; exported absolute so cargo and this script agree.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
cd "$root"

if [ ! -f /usr/share/java/jna.jar ]; then
  echo "== installing JNA (Debian libjna-java)" >&2
  apt-get install -y --no-install-recommends libjna-java >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y --no-install-recommends libjna-java >/dev/null; }
fi
if [ ! -x "$here/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  echo "== installing the Kotlin compiler (npm kotlin-compiler)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --silent) >&2
fi

cargo build -q -p sspr-ffi -p uniffi-bindgen >&2
out="$CARGO_TARGET_DIR/kotlin"
mkdir -p "$out"

gson_version=2.13.2
gson="$out/lib/gson-$gson_version.jar"
if [ ! -f "$gson" ]; then
  echo "== fetching Gson $gson_version (Maven Central)" >&2
  log="$(mvn -q -B dependency:copy -Dartifact="com.google.code.gson:gson:$gson_version" \
    -DoutputDirectory="$out/lib" 2>&1)" || { echo "$log" >&2; exit 1; }
fi

"$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate "$CARGO_TARGET_DIR/debug/libsspr_ffi.so" --language kotlin \
  --out-dir "$out/generated" --no-format >/dev/null

stamp="$( (cat "$out/generated/dev/sspr/sspr_ffi.kt" "$here"/src/*.kt; echo "$gson") | sha256sum | cut -c1-16)"
if [ ! -f "$out/sspr-kotlin.jar" ] || [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "== compiling the Kotlin bindings, runner and tests" >&2
  "$here/node_modules/kotlin-compiler/bin/kotlinc" -nowarn \
    "$out/generated/dev/sspr/sspr_ffi.kt" "$here"/src/*.kt \
    -cp "/usr/share/java/jna.jar:$gson" -d "$out/sspr-kotlin.jar" >&2
  echo "$stamp" > "$out/stamp"
fi

echo "$out/sspr-kotlin.jar:$here/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar:/usr/share/java/jna.jar:$gson"
