#!/usr/bin/env python3
"""Checks sspr's argon2id PHC strings with argon2-cffi and its otpauth:// URIs with pyotp.

Usage: python scripts/interop.py FIXTURES.json   (made by the interop_fixtures example)
Prints one line per failure and `N passed, N failed`.
"""
import json, sys

import argon2
import pyotp

fixtures = json.load(open(sys.argv[1]))
passed = failed = 0

def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")

ph = argon2.PasswordHasher()
for h in fixtures["argon2"]:
    try:
        ok = ph.verify(h["phc"], h["secret"])
    except argon2.exceptions.VerifyMismatchError:
        ok = False
    check(f"argon2-cffi verifies {h['phc'][:32]}...", ok)
    try:
        ph.verify(h["phc"], h["secret"] + "x")
        check("argon2-cffi rejects a wrong secret", False)
    except argon2.exceptions.VerifyMismatchError:
        check("argon2-cffi rejects a wrong secret", True)

for u in fixtures["otpauth"]:
    otp = pyotp.parse_uri(u["uri"])
    check(f"pyotp issuer of {u['issuer']}", otp.issuer == u["issuer"], repr(otp.issuer))
    check(f"pyotp account of {u['issuer']}", otp.name == u["account"], repr(otp.name))
    code = otp.at(u["t"])
    check(f"pyotp code of {u['issuer']}", code == u["code"], f"{code} != {u['code']}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
