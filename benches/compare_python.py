#!/usr/bin/env python3
"""sspr's Python package side by side with what Python users pick today, printing ratios:
TOTP verification vs pyotp, password evaluation vs zxcvbn (typical corpus and long inputs), and
argon2id hashing vs argon2-cffi. Run from the repository root after scripts/test.sh (which
builds the package into .venv): `.venv/bin/pip install zxcvbn==4.5.0 &&
.venv/bin/python benches/compare_python.py`."""
import statistics
import time

import argon2
import pyotp
import zxcvbn

import sspr


def median_us(fn, n):
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e6)
    return statistics.median(samples)


def row(label, ours, theirs, target=None):
    ratio = theirs / ours
    verdict = "" if target is None else (" (target {}x: {})".format(target, "met" if ratio >= target else "missed"))
    print(f"| {label} | {ours:,.1f} µs | {theirs:,.1f} µs | {ratio:,.1f}x{verdict} |")


print("| operation | sspr | peer | ratio |\n|---|---|---|---|")
secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
now = 1_750_000_015
code = sspr.totp_code(secret, now)
otp = pyotp.TOTP(secret)
ours_otp = sspr.Totp(secret)
row("TOTP verify, window ±1, credential object (vs pyotp.TOTP.verify)", median_us(lambda: ours_otp.verify(code, now), 2000),
    median_us(lambda: otp.verify(code, for_time=now, valid_window=1), 2000), target=20)
row("TOTP verify, window ±1, one-shot function (vs pyotp.TOTP.verify)", median_us(lambda: sspr.verify_totp(secret, code, now), 2000),
    median_us(lambda: otp.verify(code, for_time=now, valid_window=1), 2000))

typical = ["Winter-Lantern-58", "P@ssw0rd2024!", "correcthorse", "Tr0ub4dor&3", "violet tugboat ladders",
           "MyDog$Rex1987", "qwertyuiop12", "Nebula-Quartz-72", "sunshine", "Summer2024!"]
policy = sspr.Policy()
ours = median_us(lambda: [sspr.evaluate_password(policy, p) for p in typical], 50) / len(typical)
theirs = median_us(lambda: [zxcvbn.zxcvbn(p) for p in typical], 50) / len(typical)
row("password evaluation, typical corpus, all rules (vs zxcvbn strength only)", ours, theirs, target=50)
for label, pw in [("l33t, 72 chars", ("4@8({[<3691!|70$5+%2" * 4)[:72]), ("random, 72 chars", ("q7#Lm9$vXz!2pR@kW4&nB8^tY6*hJ3%fD5(gS1)cV0_" * 2)[:72])]:
    row(f"password evaluation, {label} (vs zxcvbn)", median_us(lambda: sspr.evaluate_password(policy, pw), 5),
        median_us(lambda: zxcvbn.zxcvbn(pw), 3))

ph = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
row("argon2id hash, m=19456 t=2 p=1 (vs argon2-cffi)", median_us(lambda: sspr.hash_secret("tin man"), 15),
    median_us(lambda: ph.hash("tin man"), 15))
