#!/usr/bin/env python3
"""Throughput of the network path against the disk path (issue 5).

    python3 bench/registry.py [--copies N] [--runs R] [--pkgleaks BIN] [--corpus DIR]

Makes N copies of the shared corpus's packages (copy k > 0 is a new release
of each project: other bytes, same content, so every file is an artifact of
its own), serves them with the fake index (tests/registry/fake_index.py
--pypi-all) on loopback, and times each pair, the two run in turn R times (best of each kept):

  store    scan --db fresh.db DIR            vs  crawl --db fresh.db --all --all-versions
  rescan   the same with --rescan (every blob matched, no dedup)
  report   scan -f jsonl DIR (no store)      vs  pypi --all-versions -f jsonl NAMES...

and prints wall time, MB/s of package files and CPU seconds (user + sys of
pkgleaks; the fake index's own CPU, on the same cores, in its own column) for both, and the ratio of
throughputs (goal: >= 0.9). Only comparable on an otherwise idle machine.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "registry"))
import fake_index  # noqa: E402


def release_name(filename, k):
    """The file name of copy k as a new release: VERSION.postK."""
    project, version, _ = fake_index.parse_name(filename)
    new = "%s.post%d" % (version, k)
    if filename.endswith(".whl"):
        parts = filename.split("-")
        parts[1] = new
        return "-".join(parts)
    if filename.endswith(".deb"):
        parts = filename.split("_")
        parts[1] = new
        return "_".join(parts)
    return filename.replace("-" + version, "-" + new, 1)


def make_tree(corpus, out, copies):
    total = 0
    for dirpath, _, names in os.walk(os.path.join(corpus, "packages")):
        for name in sorted(names):
            if not fake_index.parse_name(name):
                continue
            data = open(os.path.join(dirpath, name), "rb").read()
            for k in range(copies):
                d = os.path.join(out, str(k))
                os.makedirs(d, exist_ok=True)
                fn = name if k == 0 else release_name(name, k)
                blob = data if k == 0 else fake_index.variant(data, fn)
                with open(os.path.join(d, fn), "wb") as f:
                    f.write(blob)
                total += len(blob)
    return total


def cpu_children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def timed(cmd, cwd):
    c = cpu_children()
    t = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t
    if r.returncode not in (0, 1):
        sys.exit("bench: %s failed (%d): %s" % (cmd[1], r.returncode, r.stderr.decode()[-800:]))
    return dt, cpu_children() - c


def fresh_db(work):
    db = os.path.join(work, "run.db")
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(db + ext):
            os.unlink(db + ext)
    return db


def cpu_of(pid):
    """CPU seconds (user + sys) a running process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_pair(disk_cmd, net_cmd, runs, work, server):
    """Runs disk and net in turn (so that both see the same machine load) and
    keeps each one's fastest wall time and least CPU time (user + sys), and
    the least CPU the fake index used while serving a net run."""
    d, n, s = [], [], []
    for i in range(runs):
        d.append(timed(disk_cmd(fresh_db(work)), work))
        c = cpu_of(server)
        n.append(timed(net_cmd(fresh_db(work)), work))
        s.append(cpu_of(server) - c)
    return (min(t for t, _ in d), min(c for _, c in d), min(t for t, _ in n),
            min(c for _, c in n), min(s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pkgleaks", default=os.path.join(ROOT, "build", "pkgleaks"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pkgleaks-bench-registry-")
    tree = os.path.join(work, "tree")
    total = make_tree(a.corpus, tree, a.copies)
    nfiles = sum(len(f) for _, _, f in os.walk(tree))
    portf = os.path.join(work, "port")
    srv = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "registry", "fake_index.py"),
                            "--root", tree, "--port-file", portf, "--pypi-all"],
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(portf):
                break
            time.sleep(0.05)
        url = "http://127.0.0.1:%s" % open(portf).read()
        with urllib.request.urlopen(url + "/_control/state") as r:
            names = sorted({f["project"] for f in json.load(r)["files"] if f["eco"] == "pypi"})
        pk = a.pkgleaks
        net = ["--index-url", url, "-q", "--no-progress"]
        pairs = [
            ("store", lambda db: [pk, "scan", "--db", db, "-q", tree],
             lambda db: [pk, "crawl", "--db", db, "--all", "--all-versions"] + net),
            ("rescan", lambda db: [pk, "scan", "--rescan", "--db", db, "-q", tree],
             lambda db: [pk, "crawl", "--rescan", "--db", db, "--all", "--all-versions"] + net),
            ("report", lambda db: [pk, "scan", "-f", "jsonl", "-q", tree],
             lambda db: [pk, "pypi", "--all-versions", "-f", "jsonl"] + net + names),
        ]
        print("pkgleaks: %s" % subprocess.run([pk, "--version"], capture_output=True,
                                                text=True).stdout.strip())
        print("machine: %d cores; load %s" % (os.cpu_count(), open("/proc/loadavg").read().split()[0]))
        print("tree: %d files, %.1f MB (%d copies of the corpus), index %s" %
              (nfiles, total / 1e6, a.copies, url))
        print("%-8s %8s %9s %8s %8s %9s %8s %9s %9s" % (
            "mode", "disk s", "disk MB/s", "disk cpu", "net s", "net MB/s", "net cpu",
            "index cpu", "net/disk"))
        for mode, disk_cmd, net_cmd in pairs:
            d, dc, n, nc, sc = best_pair(disk_cmd, net_cmd, a.runs, work, srv.pid)
            print("%-8s %8.2f %9.1f %8.2f %8.2f %9.1f %8.2f %9.2f %9.2f" % (
                mode, d, total / 1e6 / d, dc, n, total / 1e6 / n, nc, sc, d / n))
        print("(cpu: user + sys seconds of pkgleaks; index cpu: the fake index's, on the same"
              " cores, during the net run)")
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
