#!/usr/bin/env bash
# `make bench`: the speed, memory and detection figures of issue 2, measured in
# one run on the same files (see bench/bench.py for what each figure is).
# Environment: PKGLEAKS (BUILD_DIR/pkgleaks), BENCH_MATCH (BUILD_DIR/bench/bench_match),
# CORPUS (../shared/corpus), BENCH_RUNS (3), BENCH_NO_BOMB=1 to skip the 2 GiB bomb.
# Usage: bench/run.sh [BUILD_DIR] [bench.py options]   (make bench passes its build dir)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
if [ $# -gt 0 ] && [ -d "$1" ]; then
	BUILD=$(cd "$1" && pwd)
	shift
fi
export PKGLEAKS=${PKGLEAKS:-$BUILD/pkgleaks}
export BENCH_MATCH=${BENCH_MATCH:-$BUILD/bench/bench_match}
export CORPUS=${CORPUS:-$ROOT/../shared/corpus}

for tool in gzip unzip tar ar python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
# Peak RSS needs GNU time (Debian package `time`), not the shell keyword.
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null ||
			echo "bench: could not install 'time'; peak RSS figures skipped" >&2
	else
		echo "bench: /usr/bin/time missing (sudo apt-get install time); peak RSS figures skipped" >&2
	fi
fi
if grep -aq -e __asan_init "$PKGLEAKS" 2>/dev/null; then
	echo "bench: warning: $PKGLEAKS is an AddressSanitizer build; figures are not representative" >&2
fi
echo "pkgleaks: $("$PKGLEAKS" --version) ($PKGLEAKS)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (figures are only comparable on an idle machine)"
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
args=()
[ "${BENCH_NO_BOMB:-0}" = 1 ] && args+=(--no-bomb)
exec python3 "$ROOT/bench/bench.py" "${args[@]}" "$@"
