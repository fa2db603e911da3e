#!/usr/bin/env bash
# The shared corpus served by the fake index: a crawl of every project finds
# exactly what `scan` finds in the same files on disk (streamed downloads,
# wheels read through the spool), with the index's identity in the store.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
require_binary
require_corpus

start_index "$CORPUS/packages" --pypi-all
cd "$TMP" || exit 1

run_pl scan --db disk.db -q "$CORPUS/packages"
assert_exit 1 "scan of the corpus on disk"
run_pl crawl --db net.db --all --index-url "$IDX_URL" --no-progress -q
assert_exit 0 "crawl --all of the corpus through the fake index"

occ='sorted(q("select a.sha256, s.fingerprint, o.path, o.line, o.col from occurrences o join artifacts a on a.id = o.artifact_id join secrets s on s.id = o.secret_id"))'
assert_eq "$(db_py net.db "$occ")" "$(db_py disk.db "$occ")" \
	"every occurrence found from the network is found on disk, and the reverse"
n=$(db_py disk.db 'q("select count(*) from artifacts")[0][0]')
assert_eq "$(db_py net.db 'q("select count(*), min(status), count(url), count(upload_time) from artifacts")')" \
	"[($n, 'ok', $n, $n)]" "each of the $n artifacts stored ok, with its URL and upload time from the index"
assert_eq "$(db_py net.db 'q("select count(*) from queue where status != ?", "done")')" "[(0,)]" \
	"every project of the index done"

# npm: the corpus tarballs through the registry API.
ls "$CORPUS/packages/npm" | sed -n 's/^\(.*\)-[0-9][^-]*\.tgz$/\1/p' >npm.txt
run_pl crawl --npm --db npm.db --projects npm.txt --no-progress -q
assert_exit 0 "crawl --npm of the corpus's npm packages"
assert_eq "$(db_py npm.db 'q("select count(*), min(ecosystem), min(status) from artifacts")')" \
	"[($(wc -l <npm.txt), 'npm', 'ok')]" "every npm tarball verified (SHA-512) and stored"
finish
