#!/usr/bin/env python3
"""Prints the soname of a shared library the linker would find, for the
libraries pkgleaks opens on first use (src/dl/dl.h): soname.py LIBDIR NAME CC...
(LIBDIR from pkg-config, searched first; then the compiler's own search path)."""
import os
import subprocess
import sys


def soname(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "(SONAME)" in line:
            return line.split("[", 1)[1].split("]", 1)[0]
    raise SystemExit(f"soname.py: {path} has no SONAME")


def main():
    libdir, name, cc = sys.argv[1], sys.argv[2], sys.argv[3:]
    file = f"lib{name}.so"
    path = os.path.join(libdir, file) if libdir else ""
    if not os.path.exists(path):
        path = subprocess.run(cc + [f"-print-file-name={file}"], capture_output=True, text=True,
                              check=True).stdout.strip()
    if not os.path.isabs(path) or not os.path.exists(path):
        raise SystemExit(f"soname.py: cannot find {file} (install its -dev package)")
    print(soname(os.path.realpath(path)))


main()
