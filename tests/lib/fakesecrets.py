#!/usr/bin/env python3
"""Fake, well-formed secrets for test fixtures. Never real credentials.

Every value is random and structurally valid (a GitHub token carries a correct
CRC32 checksum) so that a scanner with checksum and entropy filters reports it.

    python3 fakesecrets.py KIND [SEED]      print one value
    KIND: github | github_bad | aws_id | slack_bot | stripe
"""
import collections
import math
import random
import string
import sys
import zlib

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
# Substrings the placeholder filter drops (docs/rules.md); a random value that
# happened to contain one would not be reported, so we never produce one.
_PLACEHOLDER_BITS = ("example", "xxxx", "your", "changeme", "replace", "dummy",
                     "redacted", "test", "fake")


def base62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def _rand(rng, alphabet, n):
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        low = s.lower()
        if not any(b in low for b in _PLACEHOLDER_BITS):
            return s


def github(rng, prefix="ghp_"):
    body = _rand(rng, ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()))


def github_bad(rng):
    """A ghp_ token whose checksum is wrong: must NOT be reported."""
    tok = github(rng)
    good = tok[-6:]
    while True:
        bad = _rand(rng, B62, 6)
        if bad != good:
            return tok[:-6] + bad


def aws_id(rng):
    return "AKIA" + _rand(rng, string.ascii_uppercase + "234567", 16)


def slack_bot(rng):
    return "xoxb-%s-%s-%s" % (_rand(rng, string.digits, 12), _rand(rng, string.digits, 13),
                              _rand(rng, ALNUM, 24))


def stripe(rng):
    return "sk_live_" + _rand(rng, ALNUM, 24)


KINDS = {"github": github, "github_bad": github_bad, "aws_id": aws_id,
         "slack_bot": slack_bot, "stripe": stripe}


def entropy(s):
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(s).values())


def make(kind, rng):
    """A value of `kind` whose Shannon entropy clears any rule's min_entropy
    (a low-entropy draw, about 1 in 2,500 for AWS ids, would make tests flaky)."""
    while True:
        v = KINDS[kind](rng)
        if entropy(v) >= 3.6:
            return v


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in KINDS:
        sys.exit("usage: fakesecrets.py %s [SEED]" % "|".join(KINDS))
    r = random.Random(sys.argv[2]) if len(sys.argv) > 2 else random.SystemRandom()
    print(make(sys.argv[1], r))
