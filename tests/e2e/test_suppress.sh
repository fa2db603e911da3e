#!/usr/bin/env bash
# Suppression: inline pkgleaks:allow, .pkgleaksignore (cwd and directory
# inputs, gitignore-like globs, also inside archives), --ignore,
# --no-ignore-files, and the --write-baseline / --baseline round trip.
. "$(dirname "$0")/../lib/common.sh"
require_binary
mkdir -p "$FX" && cd "$FX" || exit 1
gh() { fake_secret github; }

note "inline pkgleaks:allow"
A=$(gh) B=$(gh) C=$(gh)
cat >allowed.py <<EOF
# allow test
GH_VALUE = "$A"  # pkgleaks:allow
GH_OTHER = "$B"
var ghAgain = "$C"; // pkgleaks:allow (reviewed)
GH_MORE = "$A"
EOF
run_pl scan --format jsonl --show-secrets allowed.py
assert_exit 1 "allowed.py still has findings"
assert_json "the allowed lines are not reported" "not F(secret='$C') and not F(secret='$A', line=2)"
assert_json "the same secret on a line without the marker is reported there only" \
	"len(F(secret='$A')) == 1 and loc(F(secret='$A')[0]) == [(5, 12)]"
assert_json "the other secret is reported" "F(secret='$B', line=3)"
printf 'GH_VALUE = "%s"  # pkgleaks:allow\n' "$(gh)" >only-allowed.py
run_pl scan only-allowed.py
assert_exit 0 "a file whose only secret is allowed exits 0"

note ".pkgleaksignore in a directory input"
P=$(gh) T=$(gh) V=$(gh) M=$(gh) D=$(gh) K=$(gh) I=$(gh) Q=$(gh)
mkdir -p proj/src proj/vendor/lib proj/static proj/docs proj/dist stage/pkg-1.0/tests stage/pkg-1.0/pkg
printf 'GH_VALUE = "%s"\n' "$P" >proj/src/app.py
printf 'GH_VALUE = "%s"\n' "$V" >proj/vendor/lib/thing.py
printf 'var t="%s";\n' "$M" >proj/static/app.min.js
printf 'token: `%s`\n' "$D" >proj/docs/guide.md
printf 'GH_VALUE = "%s"\n' "$K" >proj/docs/keep.py
printf 'GH_VALUE = "%s"\n' "$T" >stage/pkg-1.0/tests/fixture.py
printf 'GH_VALUE = "%s"\n' "$I" >stage/pkg-1.0/pkg/inner.py
tar -C stage -czf proj/dist/pkg-1.0.tar.gz pkg-1.0
cat >proj/.pkgleaksignore <<'EOF'
# generated files
*.min.js
vendor/
  tests
docs/*.md
EOF
run_pl scan --format jsonl --show-secrets proj
assert_exit 1 "proj still has findings"
assert_json "kept: src/app.py, docs/keep.py and the archive's pkg/inner.py" \
	"F(secret='$P') and F(secret='$K') and F(secret='$I', path='pkg-1.0/pkg/inner.py')"
assert_json "'*.min.js' (no slash) matches a file in any directory" "not F(secret='$M')"
assert_json "'vendor/' matches the directory and everything below" "not F(secret='$V')"
assert_json "'tests' also matches a directory inside an archive" "not F(secret='$T')"
assert_json "'docs/*.md' (with a slash) is relative to the directory holding .pkgleaksignore" \
	"not F(secret='$D')"
run_pl scan --format jsonl --show-secrets --no-ignore-files proj
assert_json "--no-ignore-files: everything is reported again" \
	"all(F(secret=s) for s in ['$P','$K','$I','$M','$V','$T','$D'])"

note "--ignore GLOB (repeatable)"
run_pl scan --format jsonl --show-secrets --no-ignore-files --ignore '*.min.js' --ignore 'vendor' proj
assert_json "--ignore twice drops both" "not F(secret='$M') and not F(secret='$V') and F(secret='$P') and F(secret='$T')"
run_pl scan --format jsonl --show-secrets --no-ignore-files --ignore 'pkg-1.0/tests/*' proj
assert_json "--ignore with a slash matches a path inside an archive" "not F(secret='$T') and F(secret='$I')"
run_pl scan --format jsonl --ignore '*' proj
assert_exit 0 "--ignore '*' ignores everything: exit 0"

note ".pkgleaksignore in the current directory"
mkdir -p cwdtest/sub && cd cwdtest || exit 1
printf 'GH_VALUE = "%s"\n' "$Q" >sub/creds.local.txt
printf 'GH_VALUE = "%s"\n' "$(gh)" >sub/kept.txt
printf '# cwd ignore\n*.local.txt\n' >.pkgleaksignore
run_pl scan --format jsonl --show-secrets sub
assert_json "the cwd .pkgleaksignore applies to inputs below it" "len(findings) == 1 and not F(secret='$Q')"
run_pl scan --format jsonl --show-secrets sub/creds.local.txt
assert_exit 0 "the cwd .pkgleaksignore applies to a file given by name"
run_pl scan --format jsonl --show-secrets --no-ignore-files sub
assert_json "--no-ignore-files disables the cwd file" "F(secret='$Q')"
cd "$FX" || exit 1

note "baseline round trip"
mkdir -p base && cp allowed.py base/ && cp proj/src/app.py base/app.py && cp proj/dist/pkg-1.0.tar.gz base/
run_pl scan --format jsonl --show-secrets --write-baseline baseline.json base
cp "$OUT" before.jsonl
if [ "$RC" -eq 1 ] || [ "$RC" -eq 0 ]; then pass "--write-baseline exits 0 or 1 (exit $RC)"; else fail "--write-baseline: exit $RC"; fi
cp baseline.json "$OUT"
assert_json "baseline file: {pkgleaks_baseline: 1, fingerprints: [hex sha256...]}" \
	"j.get('pkgleaks_baseline') == 1 and j['fingerprints'] and all(re.fullmatch('[0-9a-f]{64}', x) for x in j['fingerprints'])"
assert_json "the baseline holds exactly the reported fingerprints" \
	"set(j['fingerprints']) == {json.loads(l)['fingerprint'] for l in open('before.jsonl')}"
run_pl scan --format jsonl --baseline baseline.json base
assert_exit 0 "--baseline: nothing new, exit 0"
assert_py "--baseline: no findings printed" "out.strip() == ''"
N=$(gh)
printf 'GH_VALUE = "%s"\n' "$N" >base/new.py
printf 'GH_VALUE = "%s"\n' "$B" >base/moved.py        # a baselined secret in a new place
run_pl scan --format jsonl --show-secrets --baseline baseline.json base
assert_exit 1 "--baseline: a new secret exits 1"
assert_json "--baseline: only the new secret is reported (a baselined one moved is still known)" \
	"len(findings) == 1 and F(secret='$N')"
printf '{"pkgleaks_baseline": 1, "fingerprints": "nope"}\n' >bad-baseline.json
run_pl scan --baseline bad-baseline.json base
assert_exit 2 "a malformed baseline is a fatal error"
printf 'not json at all\n' >bad-baseline2.json
run_pl scan --baseline bad-baseline2.json base
assert_exit 2 "a baseline that is not JSON is a fatal error"

finish
