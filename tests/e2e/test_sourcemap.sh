#!/usr/bin/env bash
# Source maps: a secret in a bundled source (sourcesContent) is found once,
# in the map's unescaped view, at the map's own line; the raw map is not
# scanned a second time (src/decode/decode.h, pl_views_cover_raw), its
# "mappings" (base64 VLQ positions, never text) are not scanned at all, and a
# plain JSON file keeps its raw scan (a PEM key needs its \n escapes).
. "$(dirname "$0")/../lib/common.sh"
require_binary
cd "$TMP" || exit 1
tok=$(fake_secret github)
"$PYTHON" - "$tok" <<'PY'
import json, sys
tok = sys.argv[1]
src = 'const a = 1;\nconst client = new Octokit({ auth: "%s" });\n' % tok
with open("app.js.map", "w") as f:
    # The mappings hold a token-shaped string only to show they are skipped.
    f.write('{"version":3,"file":"app.js","mappings": "AAAA,%s,SAASA","sources":["src/app.ts"],\n' % tok)
    f.write('"sourcesContent":' + json.dumps([src]) + '}\n')
PY

run_pl scan --format jsonl --show-secrets app.js.map
assert_exit 1 "a token in a source map's sourcesContent is found"
assert_py "found exactly once" "len(rows) == 1 and rows[0]['secret'] == '$tok'"
assert_py "reported at the map's own line" "rows[0]['line'] == 2"

note "a plain JSON file still gets its raw scan"
printf '{"token": "%s"}\n' "$tok" >settings.json
run_pl scan --format jsonl --show-secrets settings.json
assert_exit 1 "a token in a JSON file is found"
assert_py "once" "len(rows) == 1"
finish
