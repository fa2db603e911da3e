#!/usr/bin/env python3
"""The figures of issue 2, measured in one run on the same files (bench/run.sh).

    bench.py [--pkgleaks BIN] [--bench-match BIN] [--corpus DIR] [--runs 3]
             [--no-bomb] [--json-out FILE]

1. pkgleaks -j1 over the corpus's .tar.gz/.tgz vs `gzip -dc` over the same files
   (goal: ratio <= 0.6), and the same net of pkgleaks' start-up time;
2. pkgleaks -j1 over .zip/.whl vs `unzip -p` (goal <= 0.6);
3. pkgleaks -j1 vs -j2 on the whole corpus (goal: speedup >= 1.8);
4. the matcher alone (build/bench/bench_match) on the corpus unpacked (goal >= 700 MB/s),
   and with the 60-rule subset of the core issue (bench/subset_rules.py): the
   slowdown all rules / 60 rules (goal <= 1.5x);
5. peak RSS on the whole corpus and on a 2 GiB gzip bomb (goal < 256 MB);
6. the corpus score (scripts/score_corpus.py: plain recall >= 95%, 0 decoys).
Wall times are the best of --runs runs (time.perf_counter) after one warm-up
run; every command is printed exactly as run.
"""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def q(cmd):
    return cmd if isinstance(cmd, str) else " ".join(shlex.quote(c) for c in cmd)


class Bench:
    def __init__(self, a):
        self.a = a
        self.rows = []       # (figure, value, goal, verdict)
        self.cmds = []       # (label, command)
        self.data = {}
        self.cpu = {}        # label -> best CPU seconds (user + sys), steadier than wall under load

    def best(self, label, cmd, shell=False, ok=(0,)):
        """Best-of-N wall seconds of cmd (stdout discarded), after a warm-up."""
        self.cmds.append((label, q(cmd)))
        times, cpus = [], []
        for i in range(self.a.runs + 1):
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            err = p.stderr.read()
            _, status, ru = os.wait4(p.pid, 0)
            dt = time.perf_counter() - t0
            rc = os.waitstatus_to_exitcode(status)
            p.returncode = rc
            if rc not in ok:
                raise RuntimeError("%s: exit %d: %s" % (q(cmd), rc, err.decode(errors="replace")[-400:]))
            if i:                      # run 0 warms the page cache
                times.append(dt)
                cpus.append(ru.ru_utime + ru.ru_stime)  # the command and what it waited for
        self.cpu[label] = min(cpus)
        return min(times)

    def rss(self, label, cmd, ok=(0, 1)):
        """Peak RSS (MB) of cmd under /usr/bin/time -f %M."""
        if not os.path.exists("/usr/bin/time"):
            return None
        full = ["/usr/bin/time", "-f", "%M"] + cmd
        self.cmds.append((label, q(full)))
        p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode not in ok:
            raise RuntimeError("%s: exit %d" % (q(full), p.returncode))
        kb = [l for l in p.stderr.decode(errors="replace").splitlines() if re.fullmatch(r"\d+", l.strip())]
        return int(kb[-1]) / 1024.0 if kb else None

    def bench_match(self, cmd):
        """MB/s that bench_match reports (None on failure; its output in last_match_out)."""
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        outp = p.stdout.decode(errors="replace").strip()
        m = re.search(r"([\d.]+)\s*MB/s", outp)
        if p.returncode == 0 and m:
            self.last_match_out = outp
            return float(m.group(1))
        self.last_match_out = "exit %d %s" % (p.returncode, (outp + p.stderr.decode(errors="replace"))[-200:])
        return None

    def row(self, figure, value, goal="", verdict=""):
        self.rows.append((figure, value, goal, verdict))

    @staticmethod
    def verdict(ok):
        return "" if ok is None else ("met" if ok else "NOT MET")

    # ------------------------------------------------------------------
    def run(self):
        a = self.a
        pk = a.pkgleaks
        pk_scan = [pk, "scan", "-j1", "--format", "jsonl", "-q", "--no-progress"]
        pkg_dir = os.path.join(a.corpus, "packages")
        files = sorted(glob.glob(os.path.join(pkg_dir, "**", "*"), recursive=True))
        files = [f for f in files if os.path.isfile(f)]
        gz = [f for f in files if f.endswith((".tar.gz", ".tgz"))]
        zips = [f for f in files if f.endswith((".zip", ".whl"))]
        size = lambda fs: sum(os.path.getsize(f) for f in fs)  # noqa: E731
        print("corpus: %s: %d files, %.1f MB (%d .tar.gz/.tgz, %d .zip/.whl)" % (
            pkg_dir, len(files), size(files) / 1e6, len(gz), len(zips)), flush=True)

        # start-up (rules compiled, nothing scanned)
        with tempfile.NamedTemporaryFile(suffix=".txt") as empty:
            t_start = self.best("pkgleaks start-up (one empty file)", pk_scan + [empty.name])
        self.row("pkgleaks start-up (empty input)", "%.3f s" % t_start)
        self.data["startup_s"] = t_start

        # 1. tar.gz vs gzip -dc
        if gz:
            gz_bytes = sum(len_uncompressed(f) for f in gz)
            t_gzip = self.best("gzip -dc over the .tar.gz/.tgz", ["gzip", "-dc"] + gz)
            t_pk = self.best("pkgleaks -j1 over the .tar.gz/.tgz", pk_scan + gz, ok=(0, 1))
            r = t_pk / t_gzip
            rn = max(t_pk - t_start, 0) / t_gzip
            self.row(".tar.gz/.tgz: %d files, %.1f MB -> %.1f MB" % (len(gz), size(gz) / 1e6, gz_bytes / 1e6), "")
            self.row("  gzip -dc", "%.3f s (%.0f MB/s)" % (t_gzip, gz_bytes / 1e6 / t_gzip))
            self.row("  pkgleaks scan -j1", "%.3f s (%.0f MB/s)" % (t_pk, gz_bytes / 1e6 / t_pk))
            self.row("  ratio pkgleaks / gzip -dc", "%.2f" % r, "<= 0.6", self.verdict(r <= 0.6))
            self.row("  same, net of start-up", "%.2f" % rn, "(info)")
            rc = self.cpu["pkgleaks -j1 over the .tar.gz/.tgz"] / self.cpu["gzip -dc over the .tar.gz/.tgz"]
            self.row("  same, in CPU time (user + sys)", "%.2f" % rc, "(info)")
            self.data.update(tgz_gzip_s=t_gzip, tgz_pkgleaks_s=t_pk, tgz_ratio=r, tgz_ratio_net=rn,
                             tgz_ratio_cpu=rc)

        # 2. zip/whl vs unzip -p
        if zips:
            zip_bytes = sum(zip_uncompressed(f) for f in zips)
            loop = "for f in %s; do unzip -p \"$f\" >/dev/null || exit 1; done" % " ".join(
                shlex.quote(f) for f in zips)
            t_unzip = self.best("unzip -p over the .zip/.whl (one process per archive)", loop, shell=True)
            t_pkz = self.best("pkgleaks -j1 over the .zip/.whl", pk_scan + zips, ok=(0, 1))
            r = t_pkz / t_unzip
            rn = max(t_pkz - t_start, 0) / t_unzip
            self.row(".zip/.whl: %d files, %.1f MB -> %.1f MB" % (len(zips), size(zips) / 1e6, zip_bytes / 1e6), "")
            self.row("  unzip -p", "%.3f s (%.0f MB/s)" % (t_unzip, zip_bytes / 1e6 / t_unzip))
            self.row("  pkgleaks scan -j1", "%.3f s (%.0f MB/s)" % (t_pkz, zip_bytes / 1e6 / t_pkz))
            self.row("  ratio pkgleaks / unzip -p", "%.2f" % r, "<= 0.6", self.verdict(r <= 0.6))
            self.row("  same, net of start-up", "%.2f" % rn, "(info)")
            rc = (self.cpu["pkgleaks -j1 over the .zip/.whl"] /
                  self.cpu["unzip -p over the .zip/.whl (one process per archive)"])
            self.row("  same, in CPU time (user + sys)", "%.2f" % rc, "(info)")
            self.data.update(zip_unzip_s=t_unzip, zip_pkgleaks_s=t_pkz, zip_ratio=r, zip_ratio_net=rn,
                             zip_ratio_cpu=rc)

        # 3. -j1 vs -j2 on everything
        all_scan = [pk, "scan", "--format", "jsonl", "-q", "--no-progress"]
        t1 = self.best("pkgleaks -j1, whole corpus", all_scan[:2] + ["-j1"] + all_scan[2:] + [pkg_dir], ok=(0, 1))
        t2 = self.best("pkgleaks -j2, whole corpus", all_scan[:2] + ["-j2"] + all_scan[2:] + [pkg_dir], ok=(0, 1))
        sp = t1 / t2
        spn = (t1 - t_start) / max(t2 - t_start, 1e-6)
        self.row("whole corpus: %d files, %.1f MB" % (len(files), size(files) / 1e6), "")
        self.row("  pkgleaks -j1", "%.3f s" % t1)
        self.row("  pkgleaks -j2", "%.3f s" % t2)
        self.row("  speedup -j2 / -j1", "%.2fx" % sp, ">= 1.8x", self.verdict(sp >= 1.8))
        self.row("  same, net of start-up", "%.2fx" % spn, "(info)")
        self.row("  cores available", str(os.cpu_count()), "")
        self.data.update(j1_s=t1, j2_s=t2, speedup=sp, speedup_net=spn)

        # 4. the matcher alone: every built-in rule, then the 60-rule subset of the
        # core issue (bench/subset_rules.py), 7 rounds each (best round, thread CPU time)
        if os.access(a.bench_match, os.X_OK):
            with tempfile.TemporaryDirectory(prefix="pkgleaks-unpacked-") as d, \
                    tempfile.TemporaryDirectory(prefix="pkgleaks-subset-") as sd:
                unpack_corpus(files, d)
                cmd = [a.bench_match, d, "7"]
                self.cmds.append(("matcher alone on the unpacked corpus (unpacked with tar/unzip/ar)", q(cmd)))
                mbs = self.bench_match(cmd)
                if mbs is not None:
                    self.row("matcher alone (bench_match, 1 core)", "%.0f MB/s" % mbs, ">= 700 MB/s",
                             self.verdict(mbs >= 700))
                    self.row("  bench_match says", self.last_match_out, "")
                    self.data["match_mbs"] = mbs
                else:
                    self.row("matcher alone (bench_match)", "failed: " + self.last_match_out, ">= 700 MB/s",
                             "NOT MET")
                subset = os.path.join(sd, "rules60.yaml")
                gen = [sys.executable, os.path.join(HERE, "subset_rules.py"), "60", subset]
                self.cmds.append(("the 60-rule subset of the core issue", q(gen)))
                g = subprocess.run(gen, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                cmd60 = [a.bench_match, d, "7", subset]
                self.cmds.append(("matcher alone, 60-rule subset, same files", q(cmd60)))
                mbs60 = self.bench_match(cmd60) if g.returncode == 0 else None
                if mbs60 is not None:
                    self.row("matcher alone, 60-rule subset", "%.0f MB/s" % mbs60, "(info)")
                    self.row("  bench_match says", self.last_match_out, "")
                    self.data["match60_mbs"] = mbs60
                    if mbs is not None:
                        r = mbs60 / mbs
                        self.row("  slowdown, all rules / 60 rules", "%.2fx" % r, "<= 1.5x", self.verdict(r <= 1.5))
                        self.data["match_ratio"] = r
                else:
                    self.row("matcher alone, 60-rule subset", "failed: " + (
                        self.last_match_out if g.returncode == 0 else g.stderr.decode(errors="replace")[-200:]),
                        "<= 1.5x", "NOT MET")
        else:
            self.row("matcher alone (bench_match)", "n/a: %s not built" % a.bench_match, ">= 700 MB/s")

        # 5. peak memory
        m = self.rss("peak RSS, whole corpus -j2", [pk, "scan", "-j2", "--format", "jsonl", "-q", "--no-progress", pkg_dir])
        if m is not None:
            self.row("peak RSS, whole corpus (-j2)", "%.0f MB" % m, "< 256 MB", self.verdict(m < 256))
            self.data["rss_corpus_mb"] = m
        else:
            self.row("peak RSS", "n/a: no /usr/bin/time", "< 256 MB")
        if not a.no_bomb and os.path.exists("/usr/bin/time"):
            with tempfile.TemporaryDirectory(prefix="pkgleaks-bomb-") as d:
                bomb = os.path.join(d, "bomb-2g.gz")
                gen = "head -c 2147483648 /dev/zero | gzip -6 -n -c > %s" % shlex.quote(bomb)
                self.cmds.append(("make a 2 GiB gzip bomb", gen))
                subprocess.run(gen, shell=True, check=True)
                cmd = [pk, "scan", "-j1", "--format", "jsonl", "-q", "--no-progress", bomb]
                t0 = time.perf_counter()
                m = self.rss("peak RSS, 2 GiB gzip bomb", cmd, ok=(0, 1, 2))
                tb = time.perf_counter() - t0
                self.row("peak RSS, 2 GiB gzip bomb (%.1f MB file)" % (os.path.getsize(bomb) / 1e6),
                         "%.0f MB in %.2f s" % (m, tb), "< 256 MB", self.verdict(m < 256))
                self.data.update(rss_bomb_mb=m, bomb_s=tb)

        # 6. corpus score
        score_json = os.path.join(tempfile.gettempdir(), "pkgleaks-score-%d.json" % os.getpid())
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "score_corpus.py"), "--pkgleaks", pk,
               "--corpus", a.corpus, "-j2", "--quiet", "--json-out", score_json]
        self.cmds.append(("corpus score", q(cmd)))
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            s = json.load(open(score_json))
            os.unlink(score_json)
            self.row("corpus: plain recall", "%d/%d = %.1f%%" % (s["plain_found"], s["plain_total"],
                                                                100 * s["plain_recall"]),
                     ">= 95%", self.verdict(s["plain_recall"] >= 0.95))
            self.row("corpus: recall, all categories", "%d/%d = %.1f%%" % (s["found"], s["labelled"],
                                                                          100 * s["recall"]), "(info)")
            self.row("corpus: decoys reported", str(s["decoys_reported"]), "0",
                     self.verdict(s["decoys_reported"] == 0))
            self.row("corpus: unlabeled findings", str(s["unlabeled"]), "(triage)")
            self.data["score"] = s
        except (OSError, ValueError):
            self.row("corpus score", "failed: " + p.stdout.decode(errors="replace")[-300:], "")

    def report(self):
        w0 = max(len(r[0]) for r in self.rows)
        w1 = min(max(len(r[1]) for r in self.rows), 48)
        print()
        print("%-*s  %-*s  %-10s  %s" % (w0, "figure", w1, "value", "goal", "verdict"))
        print("-" * (w0 + w1 + 26))
        for f, v, g, ver in self.rows:
            print("%-*s  %-*s  %-10s  %s" % (w0, f, w1, v, g, ver))
        print()
        print("commands (wall times: best of %d after one warm-up run):" % self.a.runs)
        for label, c in self.cmds:
            if len(c) > 600:
                c = c[:600] + " ... (%d characters)" % len(c)
            print("  # %s\n  %s" % (label, c))


def len_uncompressed(path):
    p = subprocess.run(["gzip", "-dc", path], stdout=subprocess.PIPE)
    return len(p.stdout)


def zip_uncompressed(path):
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            return sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        return 0


def unpack_corpus(files, dest):
    """Unpacks each archive of the corpus (one level; nested archives stay packed)."""
    for i, f in enumerate(files):
        d = os.path.join(dest, "%03d" % i)
        os.makedirs(d)
        if f.endswith((".tar.gz", ".tgz")):
            subprocess.run(["tar", "-xzf", f, "-C", d, "--no-same-owner"], check=False,
                           stderr=subprocess.DEVNULL)
        elif f.endswith((".zip", ".whl", ".egg", ".jar")):
            subprocess.run(["unzip", "-qq", "-o", f, "-d", d], check=False,
                           stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        elif f.endswith(".deb"):
            members = subprocess.run(["ar", "t", f], stdout=subprocess.PIPE).stdout.decode().split()
            for m in members:
                if m.startswith("data.tar"):
                    p1 = subprocess.Popen(["ar", "p", f, m], stdout=subprocess.PIPE)
                    subprocess.run(["tar", "-xf", "-", "-C", d, "--no-same-owner"] +
                                   (["-J"] if m.endswith(".xz") else ["-z"] if m.endswith(".gz") else
                                    ["--zstd"] if m.endswith(".zst") else []),
                                   stdin=p1.stdout, check=False, stderr=subprocess.DEVNULL)
                    p1.wait()
        else:
            shutil.copy(f, d)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkgleaks", default=os.environ.get("PKGLEAKS") or os.path.join(ROOT, "build", "pkgleaks"))
    ap.add_argument("--bench-match", default=os.environ.get("BENCH_MATCH") or
                    os.path.join(ROOT, "build", "bench", "bench_match"))
    ap.add_argument("--corpus", default=os.environ.get("CORPUS") or os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--no-bomb", action="store_true", help="skip the 2 GiB gzip bomb (10 s to make)")
    ap.add_argument("--json-out")
    a = ap.parse_args()
    a.pkgleaks = os.path.abspath(a.pkgleaks)
    a.bench_match = os.path.abspath(a.bench_match)
    a.corpus = os.path.abspath(a.corpus)
    if not os.access(a.pkgleaks, os.X_OK):
        sys.exit("bench: no pkgleaks binary at %s (run make)" % a.pkgleaks)
    if not os.path.isdir(os.path.join(a.corpus, "packages")):
        sys.exit("bench: no corpus at %s" % a.corpus)
    b = Bench(a)
    try:
        b.run()
    finally:
        if b.rows:
            b.report()
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(b.data, f, indent=1)


if __name__ == "__main__":
    main()
