#!/usr/bin/env python3
"""Copies of package files with other bytes but the same content, for
throughput measurements where every artifact must be new to the store:

    make_copies.py OUT K FILE...

Writes OUT/c<k>-<name> for k = 1..K: gzip files get another header time,
zip files another archive comment (tests/registry/fake_index.py variant);
files of other formats are copied once (k = 1 only).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "registry"))
import fake_index  # noqa: E402


def main():
    out, k, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in files:
        data = open(path, "rb").read()
        name = os.path.basename(path)
        variable = data[:2] in (b"\x1f\x8b", b"PK")
        for i in range(1, k + 1 if variable else 2):
            body = fake_index.variant(data, "copy%d" % i) if variable else data
            open(os.path.join(out, "c%d-%s" % (i, name)), "wb").write(body)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
