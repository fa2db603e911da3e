#!/bin/sh
# Installs the Debian packages pkgleaks needs to build and test.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev \
libhyperscan-dev libpcre2-dev libarchive-dev libyaml-dev libjansson-dev \
libisal-dev libssl-dev zlib1g-dev libbz2-dev liblzma-dev libzstd-dev \
python3 python3-jsonschema gzip bzip2 xz-utils zstd zip unzip binutils"
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
