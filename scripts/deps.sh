#!/bin/sh
# Installs the Debian packages pkgleaks needs: `deps.sh build` for building,
# `deps.sh` (or `deps.sh test`) for building and testing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu
# What building and running needs (make, make demo).
BUILD_PKGS="build-essential meson ninja-build pkg-config \
libhyperscan-dev libpcre2-dev libarchive-dev libyaml-dev libjansson-dev \
libisal-dev libssl-dev zlib1g-dev libbz2-dev liblzma-dev libzstd-dev liblz4-dev libacl1-dev \
nettle-dev \
libcurl4-openssl-dev libmariadb-dev libhiredis-dev libpq-dev librabbitmq-dev libmongoc-dev \
libsqlite3-dev python3"
# What the tests add (make check): sanitizers, archive tools for fixtures,
# servers started on loopback by the tests, a browser for the HTML report,
# strace to count the system calls of a scan.
TEST_PKGS="clang libclang-rt-14-dev python3-jsonschema python3-yaml python3-setuptools python3-build git gzip bzip2 xz-utils zstd \
zip unzip binutils openssl postgresql mariadb-server redis-server chromium time strace"
case "${1:-test}" in
build) PKGS="$BUILD_PKGS" ;;
*) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
esac
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "pkgleaks needs these Debian packages:$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
