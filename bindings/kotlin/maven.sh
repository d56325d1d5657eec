# Sourced by test.sh and conformance.sh: the cargo target directory, Maven, and a filter for
# Maven's console output.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The cargo target directory: CARGO_TARGET_DIR if set (relative to where the script was
# started), else target/ at the root; exported absolute so cargo, Maven (pom.xml reads it) and
# these scripts agree. Maven's output goes to $CARGO_TARGET_DIR/kotlin/.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
mkdir -p "$CARGO_TARGET_DIR/kotlin"

if ! command -v mvn > /dev/null; then
  echo "== installing Maven (Debian)" >&2
  apt-get install -y -q --no-install-recommends maven > /dev/null 2>&1 \
    || { apt-get update -q > /dev/null && apt-get install -y -q --no-install-recommends maven > /dev/null; }
fi

# Maven 3.8's console library writes colour resets (ESC [0m) around its output even in batch
# mode with colour off; they would stand in front of a runner's closing line.
plain() { sed -u 's/\x1b\[[0-9;]*m//g'; }
