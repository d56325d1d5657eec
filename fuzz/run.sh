#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 15) each, on stable Rust (no sanitizer), starting
# from the seeds in fuzz/seeds. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(policy password codes contacts reset_flow registration_flow hostile_ports)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
cargo fuzz build --sanitizer none
passed=0 failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if cargo fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 > "corpus/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -E '^Done' "corpus/$t.log" | tail -1)"
    passed=$((passed + 1))
  else
    echo "FAIL fuzz $t:"; grep -E 'panicked|crash-|ERROR' "corpus/$t.log" | head -5
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
