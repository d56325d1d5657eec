#!/usr/bin/env python3
"""argon2id at OWASP parameters (m=19456 KiB, t=2, p=1): sspr (Rust, release) vs argon2-cffi,
side by side, printing medians and the ratio. Run from the repository root with the venv of
scripts/test.sh: `.venv/bin/python benches/argon2_vs_cffi.py`."""
import json, statistics, subprocess, time

import argon2

out = subprocess.run(["cargo", "run", "-q", "--release", "-p", "sspr-benches", "--bin", "argon2_timing"],
                     check=True, capture_output=True, text=True).stdout
rust = json.loads(out)
ph = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
hash_ms, verify_ms = [], []
for _ in range(15):
    t = time.perf_counter(); h = ph.hash("tin man"); hash_ms.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter(); ph.verify(h, "tin man"); verify_ms.append((time.perf_counter() - t) * 1e3)
for name, ours, theirs in [("hash", rust["hash_ms"], statistics.median(hash_ms)), ("verify", rust["verify_ms"], statistics.median(verify_ms))]:
    print(f"argon2id {name}: sspr {ours:.1f} ms, argon2-cffi {theirs:.1f} ms, ratio {theirs / ours:.2}x")
