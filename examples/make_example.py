#!/usr/bin/env python3
"""Builds the demo package: a small sdist (acme-tools-1.0.tar.gz) holding a
wheel, with fake secrets in the places real leaks hide (.env, settings.py, a
vendored wheel, an .npmrc). The values are random but well-formed (the GitHub
token carries a valid checksum), so the scanner reports them; none is real.
They are generated here, not committed, so no scanner flags this repository.

usage: make_example.py OUTDIR"""
import io
import os
import random
import string
import sys
import tarfile
import zipfile
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(6, "0")


def checksummed(rng, prefix):
    body = rand(rng, ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()))


def add(tar, name, text):
    data = text.encode() if isinstance(text, str) else text
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    rng = random.Random(2024)
    gh = checksummed(rng, "ghp_")
    npm = checksummed(rng, "npm_")
    aws_id = "AKIA" + rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    aws_secret = rand(rng, ALNUM + "+/", 40)
    pg_pass = rand(rng, ALNUM, 16)
    slack = "xoxb-%s-%s-%s" % (rand(rng, string.digits, 12), rand(rng, string.digits, 13),
                               rand(rng, ALNUM, 24))
    wheel = io.BytesIO()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("acme_vendor/__init__.py", "")
        z.writestr("acme_vendor/config.py",
                   "# vendored client\nSLACK_TOKEN = \"%s\"\n" % slack)
        z.writestr("acme_vendor-0.3.dist-info/METADATA", "Name: acme-vendor\nVersion: 0.3\n")
    root = "acme-tools-1.0/"
    path = os.path.join(out, "acme-tools-1.0.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        add(tar, root + "PKG-INFO", "Metadata-Version: 2.1\nName: acme-tools\nVersion: 1.0\n")
        add(tar, root + "acme/__init__.py", "__version__ = '1.0'\n")
        add(tar, root + "acme/settings.py",
            "import os\n\nDEBUG = False\n"
            "DATABASE_URL = \"postgresql+psycopg2://acme:%s@db.acme-corp.io:5432/acme\"\n"
            "AWS_ACCESS_KEY_ID = \"%s\"\n"
            "AWS_SECRET_ACCESS_KEY = \"%s\"\n"
            "API_KEY = os.environ[\"API_KEY\"]  # the right way\n" % (pg_pass, aws_id, aws_secret))
        add(tar, root + ".env", "GITHUB_TOKEN=%s\n" % gh)
        add(tar, root + ".npmrc", "//registry.acme.test/:_authToken=%s\n" % npm)
        add(tar, root + "docs/example.md",
            "Set `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE` (a documented example: not reported).\n")
        add(tar, root + "vendor/acme_vendor-0.3-py3-none-any.whl", wheel.getvalue())
    print(path)


if __name__ == "__main__":
    main()
