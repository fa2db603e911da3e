#!/usr/bin/env python3
"""Fixtures for tests/e2e/test_store.sh: packages whose identity, upload time
and secrets are known.

    store_fixtures.py OUT [--many N] [--files N] [--seed S]

OUT/meta/       one package per format, each with metadata that disagrees with
                its file name where it can (metadata must win), a secret, and
                members dated to a known day; plus one without metadata.
OUT/versions/   multi-1.0.tar.gz and multi-1.1.tar.gz: --files source files,
                identical but for PKG-INFO and one edited file (the secret in
                config.py changes; settings.py keeps one).
OUT/many/       N packages of one big (5 MiB, so never deduplicated) filler
                member and two files with a secret each: slow enough to kill
                a scan in the middle.
OUT/notes.json  what a scan must record (check.py reads it as `notes`).
Nothing here is a real credential (fakesecrets.py).
"""
import argparse
import calendar
import gzip
import io
import json
import lzma
import os
import random
import sys
import tarfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesecrets  # noqa: E402


def ts(day):
    return calendar.timegm(tuple(int(x) for x in day.split("-")) + (12, 0, 0))


def tar_bytes(members, mtime, end=True):
    bio = io.BytesIO()
    tf = tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT)
    for name, data in members:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mtime, ti.mode = len(data), mtime, 0o644
        tf.addfile(ti, io.BytesIO(data))
    if end:
        tf.close()
    return bio.getvalue()


def zip_bytes(members, day):
    bio = io.BytesIO()
    y, m, d = (int(x) for x in day.split("-"))
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(y, m, d, 12, 0, 0)), data)
    return bio.getvalue()


def ar_bytes(members, mtime):
    out = [b"!<arch>\n"]
    for name, data in members:
        out.append(("%-16s%-12d%-6d%-6d%-8o%-10d`\n" % (name, mtime, 0, 0, 0o100644, len(data))).encode())
        out.append(data + (b"\n" if len(data) % 2 else b""))
    return b"".join(out)


def code_with(secret, var="API_TOKEN"):
    return ('"""settings"""\nimport os\n\n%s = "%s"\nDEBUG = False\n' % (var, secret)).encode()


class Gen:
    def __init__(self, out, seed):
        self.out, self.rng, self.expect = out, random.Random(seed), {"meta": [], "versions": {}}

    def secret(self, kind="github"):
        return fakesecrets.make(kind, self.rng)

    def write(self, rel, data):
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def meta_row(self, rel, eco, project, version, day, secret):
        self.expect["meta"].append({"file": os.path.basename(rel), "ecosystem": eco,
                                    "project": project, "version": version,
                                    "upload": day if day else None, "secret": secret})

    # --- one package per format -------------------------------------------
    def sdist(self):
        day, s = "2021-03-05", self.secret()
        pkg_info = b"Metadata-Version: 2.1\nName: Meta_Pkg\nVersion: 3.1.4\n\nName: not-this\n"
        data = tar_bytes([("metapkg-3.1.4/PKG-INFO", pkg_info),
                          ("metapkg-3.1.4/metapkg/settings.py", code_with(s))], ts(day))
        self.write("meta/renamed-sdist.tar.gz", gzip.compress(data, mtime=0))
        self.meta_row("renamed-sdist.tar.gz", "pypi", "meta-pkg", "3.1.4", day, s)

    def wheel(self):
        day, s = "2021-07-01", self.secret("aws_id")
        members = [("wheelmeta/__init__.py", b""),
                   ("wheelmeta/conf.py", ('AWS_ID = "%s"\n' % s).encode()),
                   ("wheelmeta-2.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: Wheel.Meta\nVersion: 2.0\n"),
                   ("wheelmeta-2.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")]
        self.write("meta/wheelmeta-0.0-py3-none-any.whl", zip_bytes(members, day))
        self.meta_row("wheelmeta-0.0-py3-none-any.whl", "pypi", "wheel-meta", "2.0", day, s)

    def npm(self):
        day, s = "2022-01-10", self.secret("slack_bot")
        pj = json.dumps({"name": "@scope/npmmeta", "version": "4.5.6"}).encode()
        data = tar_bytes([("package/package.json", pj),
                          ("package/lib/config.js", ('module.exports = {slack: "%s"};\n' % s).encode())],
                         ts(day))
        self.write("meta/npmmeta.tgz", gzip.compress(data, mtime=0))
        self.meta_row("npmmeta.tgz", "npm", "@scope/npmmeta", "4.5.6", day, s)

    def deb(self):
        day, s = "2022-05-05", self.secret()
        control = lzma.compress(tar_bytes([("./control", b"Package: debmeta\nVersion: 1:0.9-2\nArchitecture: all\n")],
                                          ts(day)), format=lzma.FORMAT_XZ)
        data = lzma.compress(tar_bytes([("./usr/share/debmeta/settings.py", code_with(s))], ts(day)),
                             format=lzma.FORMAT_XZ)
        self.write("meta/debmeta_9.9_all.deb", ar_bytes([("debian-binary", b"2.0\n"),
                                                         ("control.tar.xz", control),
                                                         ("data.tar.xz", data)], ts(day)))
        self.meta_row("debmeta_9.9_all.deb", "debian", "debmeta", "1:0.9-2", day, s)

    def gem(self):
        day, s = "2020-11-11", self.secret("stripe")
        spec = (b"--- !ruby/object:Gem::Specification\nname: gemmeta\nversion: !ruby/object:Gem::Version\n"
                b"  version: 1.2.3\nplatform: ruby\nauthors:\n- Someone\n")
        data = gzip.compress(tar_bytes([("lib/gemmeta.rb", ('KEY = "%s"\n' % s).encode())], ts(day)), mtime=0)
        self.write("meta/gemmeta-0.gem", tar_bytes([("metadata.gz", gzip.compress(spec, mtime=0)),
                                                    ("data.tar.gz", data)], ts(day)))
        self.meta_row("gemmeta-0.gem", "rubygems", "gemmeta", "1.2.3", day, s)

    def by_name(self):
        day, s = "2019-02-02", self.secret()
        data = tar_bytes([("noname-5.6.7/app/settings.py", code_with(s))], ts(day))
        self.write("meta/noname-5.6.7.tar.gz", gzip.compress(data, mtime=0))
        self.meta_row("noname-5.6.7.tar.gz", "other", "noname", "5.6.7", day, s)

    # --- two versions of one project ----------------------------------------
    def source_file(self, i):
        words = ["alpha", "beta", "gamma", "delta", "value", "result", "self", "return", "data"]
        lines = ["def f%d_%d(x):" % (i, k) + "\n    return %s(%d) + x\n" %
                 (self.rng.choice(words), self.rng.randrange(10 ** 6)) for k in range(220)]
        return ("# module %d\n" % i + "".join(lines)).encode()

    def versions(self, nfiles):
        kept, old, new = self.secret(), self.secret("slack_bot"), self.secret("stripe")
        files = [("multi/mod%03d.py" % i, self.source_file(i)) for i in range(nfiles)]
        # Bigger than the walker's 64 KiB head: version 1.0 matches it as it
        # streams (a size no stored blob has), 1.1 buffers it (1.0 gave that
        # size): both must name it alike for 1.1 to skip it.
        pad = b"# padding that puts the setting past the walker's first 64 KiB\n" * 1500
        files.append(("multi/settings.py", pad + code_with(kept)))
        for version, day, conf in (("1.0", "2020-01-10", old), ("1.1", "2021-06-20", new)):
            members = [("multi-%s/PKG-INFO" % version, ("Name: multi\nVersion: %s\n" % version).encode()),
                       ("multi-%s/multi/config.py" % version, code_with(conf, "SECRET"))]
            members += [("multi-%s/%s" % (version, p), d) for p, d in files]
            self.write("versions/multi-%s.tar.gz" % version,
                       gzip.compress(tar_bytes(members, ts(day)), mtime=0))
        self.expect["versions"] = {"kept": kept, "removed": old, "added": new,
                                   "files": nfiles + 3}

    # --- many slow packages ---------------------------------------------------
    def many(self, n):
        line = b"# filler that keeps the scanner busy without any secret in it at all\nx = y + 1\n"
        filler = line * ((5 << 20) // len(line) + 1)
        head = gzip.compress(tar_bytes([("pkg/filler/data.txt", filler)], ts("2022-02-02"), end=False),
                             mtime=0)
        for i in range(n):
            tail = tar_bytes([("pkg/a/settings.py", code_with(self.secret())),
                              ("pkg/b/config.py", code_with(self.secret("stripe"), "STRIPE"))],
                             ts("2022-02-02"))
            # Two gzip members: the big one is compressed once for all.
            self.write("many/pkg%03d-1.0.tar.gz" % i, head + gzip.compress(tail, mtime=0))
        self.expect["many"] = n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--many", type=int, default=120)
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--seed", type=int, default=4)
    a = ap.parse_args()
    g = Gen(os.path.abspath(a.out), a.seed)
    for build in (g.sdist, g.wheel, g.npm, g.deb, g.gem, g.by_name):
        build()
    g.versions(a.files)
    g.many(a.many)
    with open(os.path.join(g.out, "notes.json"), "w") as f:
        json.dump(g.expect, f, indent=1)


if __name__ == "__main__":
    main()
