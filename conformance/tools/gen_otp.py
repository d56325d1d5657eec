#!/usr/bin/env python3
"""Writes the project's own OTP vectors (conformance/otp/project-*.json).

The expected values come from this independent implementation of RFC 4226 / RFC 6238 on
Python's standard library, not from sspr itself.
"""
import base64, hashlib, hmac, json, os, struct

ALGS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
KEYS = {"SHA1": b"12345678901234567890", "SHA256": b"12345678901234567890123456789012",
        "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234"}
OTHER = base64.b32decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

def b32(k): return base64.b32encode(k).decode().rstrip("=")

def hotp(key, counter, alg, digits):
    h = hmac.new(key, struct.pack(">Q", counter), ALGS[alg]).digest()
    off = h[-1] & 0x0F
    binv = struct.unpack(">I", h[off:off + 4])[0] & 0x7FFFFFFF
    return str(binv % (10 ** digits)).zfill(digits)

def totp(key, t, alg, digits, period): return hotp(key, t // period, alg, digits)

out = os.path.join(os.path.dirname(__file__), "..", "otp")
hcases = []
for alg in ALGS:
    for counter in [0, 1, 9, 255, 2**32 + 1, 2**63 - 1]:
        for digits in [6, 8, 10]:
            hcases.append({"name": f"hotp {alg} counter {counter} {digits} digits", "secret_b32": b32(KEYS[alg]),
                           "algorithm": alg, "digits": digits, "counter": counter,
                           "code": hotp(KEYS[alg], counter, alg, digits)})
for digits in [7, 9]:
    hcases.append({"name": f"hotp other secret {digits} digits", "secret_b32": b32(OTHER), "algorithm": "SHA1",
                   "digits": digits, "counter": 42, "code": hotp(OTHER, 42, "SHA1", digits)})

tcases = []
for alg in ALGS:
    for t in [0, 29, 30, 2**31 - 1, 2**31, 4102444800, 20000000000, 2**40]:
        for digits, period in [(6, 30), (8, 60), (10, 30), (9, 15)]:
            tcases.append({"name": f"totp {alg} t={t} {digits} digits period {period}", "secret_b32": b32(KEYS[alg]),
                           "algorithm": alg, "digits": digits, "period": period, "t": t,
                           "code": totp(KEYS[alg], t, alg, digits, period)})

vcases = []
def v(name, alg="SHA1", digits=6, period=30, skew=1, last=None, t=1750000015, submit=None, delta=0, expect=None, key=None):
    key = key or OTHER
    if submit is None:
        submit = hotp(key, t // period + delta, alg, digits)
    vcases.append({"name": name, "secret_b32": b32(key), "algorithm": alg, "digits": digits, "period": period,
                   "skew": skew, "last_step": last, "t": t, "submit": submit, "expect": expect})

T = 1750000015; S = T // 30
ok = lambda d=0, t=T, p=30: {"valid": True, "step": t // p + d}
bad = lambda r: {"valid": False, "reason": r}
v("current step, skew 0", skew=0, expect=ok())
v("previous step refused with skew 0", skew=0, delta=-1, expect=bad("totp.invalid"))
v("two steps back with skew 2", skew=2, delta=-2, expect=ok(-2))
v("two steps ahead with skew 2", skew=2, delta=2, expect=ok(2))
v("three steps back with skew 2", skew=2, delta=-3, expect=bad("totp.invalid"))
v("three steps ahead with skew 2", skew=2, delta=3, expect=bad("totp.invalid"))
v("first second of a step", t=S * 30, expect=ok(t=S * 30))
v("last second of a step", t=S * 30 + 29, expect=ok(t=S * 30 + 29))
v("next step at the last second", t=S * 30 + 29, delta=1, expect=ok(1, t=S * 30 + 29))
v("replay of the same step", last=S, expect=bad("totp.replay"))
v("replay of an older step", last=S + 1, delta=-1, expect=bad("totp.replay"))
v("last step one behind accepts current", last=S - 1, expect=ok())
v("future step accepted after current was used", last=S, delta=1, expect=ok(1))
v("previous step is a replay after current was used", last=S, delta=-1, expect=bad("totp.replay"))
v("five digits is malformed", submit="12345", expect=bad("totp.malformed"))
v("seven digits is malformed", submit="1234567", expect=bad("totp.malformed"))
v("letters are malformed", submit="12a456", expect=bad("totp.malformed"))
v("empty is malformed", submit="", expect=bad("totp.malformed"))
v("wrong six digits are invalid", submit=str((int(hotp(OTHER, S, "SHA1", 6)) + 1) % 10**6).zfill(6), skew=0, expect=bad("totp.invalid"))
for alg in ["SHA256", "SHA512"]:
    v(f"{alg} eight digits accepted", alg=alg, digits=8, key=KEYS[alg], expect=ok())
    v(f"{alg} previous step accepted", alg=alg, digits=8, key=KEYS[alg], delta=-1, expect=ok(-1))
    v(f"{alg} replay refused", alg=alg, digits=8, key=KEYS[alg], last=S, expect=bad("totp.replay"))
v("ten digits accepted", digits=10, expect=ok())
v("ten digits with six submitted", digits=10, submit="123456", expect=bad("totp.malformed"))
v("nine digits, period 60", digits=9, period=60, expect=ok(p=60))
v("period 60 previous step", period=60, delta=-1, expect=ok(-1, p=60))
v("after 2038", t=2**31 + 100, expect=ok(t=2**31 + 100))
v("year 2100", t=4102444800, expect=ok(t=4102444800))
v("year 2100 replay", t=4102444800, last=4102444800 // 30, expect=bad("totp.replay"))
v("window at time zero does not wrap", t=5, skew=3, expect=ok(t=5))
v("step zero with skew", t=35, delta=-1, expect=ok(-1, t=35))

for fname, suite, cases in [("project-hotp.json", "hotp", hcases), ("project-totp.json", "totp", tcases),
                            ("project-totp-verify.json", "totp", vcases)]:
    names = [c["name"] for c in cases]; assert len(names) == len(set(names)), fname
    with open(os.path.join(out, fname), "w") as f:
        json.dump({"format": 1, "suite": suite, "cases": cases}, f, indent=1)
    print(fname, len(cases))
