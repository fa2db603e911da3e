#!/bin/sh
# `make demo`: builds the example package and scans it, as a package author
# would before `twine upload`.
set -eu
bin=${1:-build/pkgleaks}
out=build/demo
mkdir -p "$out"
pkg=$(python3 examples/make_example.py "$out")
echo "\$ pkgleaks scan $pkg"
set +e
"$bin" scan --no-progress "$pkg"
rc=$?
set -e
echo
echo "exit status $rc (0 clean, 1 secrets found, 2 error) -- a CI gate fails here."
echo "Try: $bin scan --format json $pkg | less    or    $bin scan --help"
[ "$rc" -eq 1 ]
