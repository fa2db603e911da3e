#!/usr/bin/env bash
# Cost of the `pkgleaks install-hook` pre-commit hook: `git commit` with the
# hook against `git commit --no-verify`, on a generated 200-file repository
# (about 0.9 MB of Python-like source).
#
#   bench/hook_bench.sh [PKGLEAKS] [RUNS]      (default build/pkgleaks, 10)
#
# Two commits are timed: a typical one (5 files changed) and the first
# commit of the whole tree (200 files staged). With hyperfine installed it
# does the timing (min and mean); otherwise (or with NO_HYPERFINE=1) the best
# of RUNS is measured here.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGLEAKS=$(realpath "${1:-$ROOT/build/pkgleaks}")
RUNS=${2:-10}
FILES=200
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-hookbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK/home GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.org \
	GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.org
mkdir -p "$HOME"
REPO=$WORK/repo
INIT=$WORK/init

# A tree of FILES source files, 1-10 KB each, in 20 packages.
python3 - "$REPO" "$FILES" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(8)
words = ["config", "request", "value", "result", "client", "session", "handler",
         "parse", "render", "cache", "items", "index", "update", "create", "delete"]
for i in range(n):
    d = os.path.join(root, "pkg%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    lines = ['"""Module %d."""' % i, "import os", ""]
    while sum(len(l) + 1 for l in lines) < rng.randint(1000, 10000):
        a, b, c = rng.sample(words, 3)
        lines.append("def %s_%s_%d(%s):" % (a, b, len(lines), c))
        lines.append("    return %s.get(%r, os.environ.get(%r))" % (c, b, a.upper()))
        lines.append("")
    open(os.path.join(d, "mod%03d.py" % i), "w").write("\n".join(lines) + "\n")
EOF
cd "$REPO"
git init -q -b main . && git add -A && git commit -q --no-verify -m init
"$PKGLEAKS" install-hook >/dev/null
HOOK=$REPO/.git/hooks/pre-commit

# Run before each timed commit (not timed).
cat >"$WORK/prep-small.sh" <<EOF
set -e
cd "$REPO"
for f in pkg01/mod001.py pkg02/mod002.py pkg03/mod003.py pkg04/mod004.py pkg05/mod005.py; do
	echo "# change \$\$ \$(date +%N)" >>"\$f"
done
git add -A
EOF
cat >"$WORK/prep-big.sh" <<EOF
set -e
rm -rf "$INIT" && mkdir -p "$INIT" && cd "$INIT"
cp -a "$REPO/." . && rm -rf .git && git init -q -b main .
cp "$HOOK" .git/hooks/pre-commit
git add -A
EOF

SMALL_HOOK="git -C $REPO commit -q -m change"
SMALL_PLAIN="git -C $REPO commit -q --no-verify -m change"
BIG_HOOK="git -C $INIT commit -q -m init"
BIG_PLAIN="git -C $INIT commit -q --no-verify -m init"

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }

# best_of PREP CMD: the best wall time in ms of RUNS runs of CMD, PREP before each.
best_of() {
	local best= t0 t1 ms
	for _ in $(seq "$RUNS"); do
		bash "$1" >/dev/null 2>&1
		t0=$(now_ms)
		$2 >/dev/null 2>&1 || true
		t1=$(now_ms)
		ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		best=$(awk -v a="${best:-$ms}" -v b="$ms" 'BEGIN { print (b < a ? b : a) }')
	done
	echo "$best"
}

# with_hyperfine PREP HOOK PLAIN LABEL: min and mean of both, and the ratios.
with_hyperfine() {
	hyperfine -N --style none --runs "$RUNS" --prepare "bash $1" --export-json "$WORK/h.json" \
		"$2" "$3" >/dev/null 2>&1 || { echo "hyperfine failed" >&2; return 1; }
	python3 - "$WORK/h.json" "$4" <<'EOF'
import json, sys
h, p = json.load(open(sys.argv[1]))["results"]
print("%-28s %9.1f %9.1f %9.1f %9.1f %6.1fx %6.1fx" % (sys.argv[2],
      h["min"] * 1e3, h["mean"] * 1e3, p["min"] * 1e3, p["mean"] * 1e3,
      h["min"] / p["min"], h["mean"] / p["mean"]))
EOF
}

size=$(du -sk --exclude=.git "$REPO" | cut -f1)
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null; then
	echo "pre-commit hook cost, hyperfine, $RUNS runs ($FILES files, ${size} KB; $PKGLEAKS)"
	printf '%-28s %9s %9s %9s %9s %7s %7s\n' commit "hook min" "mean" "plain min" "mean" "min x" "mean x"
	with_hyperfine "$WORK/prep-small.sh" "$SMALL_HOOK" "$SMALL_PLAIN" "5 files changed"
	with_hyperfine "$WORK/prep-big.sh" "$BIG_HOOK" "$BIG_PLAIN" "first commit, $FILES files"
else
	echo "pre-commit hook cost, best of $RUNS ($FILES files, ${size} KB; $PKGLEAKS)"
	printf '%-28s %10s %10s %8s\n' commit "hook ms" "plain ms" ratio
	for s in small big; do
		if [ $s = small ]; then
			h=$(best_of "$WORK/prep-small.sh" "$SMALL_HOOK") p=$(best_of "$WORK/prep-small.sh" "$SMALL_PLAIN")
			label="5 files changed"
		else
			h=$(best_of "$WORK/prep-big.sh" "$BIG_HOOK") p=$(best_of "$WORK/prep-big.sh" "$BIG_PLAIN")
			label="first commit, $FILES files"
		fi
		awk -v l="$label" -v h="$h" -v p="$p" 'BEGIN { printf "%-28s %10.1f %10.1f %7.1fx\n", l, h, p, h / p }'
	done
fi
