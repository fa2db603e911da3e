#!/usr/bin/env bash
# Prevention (issue 8): remediation in every report, `install-hook` (a git
# pre-commit hook on the staged content), .pre-commit-hooks.yaml, the GitHub
# Action's steps, and `scan --as-published` on generated npm and Python
# projects, including the sdist demonstration: a secret in a file that
# MANIFEST.in includes fails the gate, and passes once MANIFEST.in is fixed.
# Parts whose tools are missing (git, npm, python's setuptools/build, PyYAML)
# are skipped with a note; everything skipped means exit 77.
. "$(dirname "$0")/../lib/common.sh"
require_binary
mkdir -p "$FX" && cd "$FX" || exit 1
gh() { fake_secret github; }
SKIPPED=0
skip_part() { note "SKIP: $*"; SKIPPED=$((SKIPPED + 1)); }
have_yaml() { "$PYTHON" -c 'import yaml' 2>/dev/null; }
# The tests' python builds the sdists too (tests/lib/common.sh chooses it).
export PKGLEAKS_PYTHON=${PKGLEAKS_PYTHON:-$PYTHON}
have_sdist_tools() {
	"$PYTHON" -m build --version >/dev/null 2>&1 || "$PYTHON" -c 'import setuptools' 2>/dev/null
}
# A listing of a tree with sizes and times: the project must not change.
tree_state() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }

###########################################################################
note "remediation: every rule has one, rules check enforces it, reports show it"
run_pl rules list --format json
assert_json "every built-in rule has a remediation" \
	"len(j) > 100 and all((r.get('remediation') or '').strip() for r in j)"
cat >noremed.yaml <<'EOF'
rules:
  - id: e2e-no-remediation
    name: E2E rule without remediation
    pattern: '\b(?P<secret>QQNOREM_[0-9a-f]{16})\b'
    keywords: [QQNOREM_]
    examples: ['k = QQNOREM_0f1e2d3c4b5a6978']
    negative_examples: ['k = QQNOREM_short']
EOF
run_pl rules check --rules noremed.yaml
assert_exit 1 "rules check fails on a rule without remediation"
assert_contains "$OUT" "FAIL e2e-no-remediation: no remediation" "the failure names the rule and why"

A=$(gh) B=$(gh)
printf 'GH_ONE = "%s"\nGH_TWO = "%s"\n' "$A" "$B" >two.py
run_pl scan --color never two.py
assert_exit 1 "two GitHub tokens are found"
assert_py "text ends with one 'how to fix' entry for the rule, with its remediation and page" \
	"out.count('how to fix:') == 1 and out.count('(github-pat-classic, 2 findings)') == 1 and 'https://github.com/settings/tokens' in out.split('how to fix:')[1] and out.index('how to fix:') > out.index('fingerprint')"
run_pl scan --format sarif two.py
assert_json "SARIF rules carry the remediation as help text" \
	"any('github.com/settings/tokens' in r['help']['text'] for r in j['runs'][0]['tool']['driver']['rules'])"
run_pl scan --format json two.py
assert_json "JSON findings carry the remediation" "all(f['remediation'] for f in j['findings'])"

###########################################################################
note "install-hook: a git pre-commit hook on the staged content"
if ! command -v git >/dev/null; then
	skip_part "git is not installed"
else
	export GIT_CONFIG_NOSYSTEM=1 HOME=$TMP/home GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
		GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
	export PKGLEAKS_HOOK_TMPDIR=$TMP/hooktmp
	mkdir -p "$HOME" "$PKGLEAKS_HOOK_TMPDIR" repo && cd repo && git init -q -b main . || exit 1
	echo 'print("hello")' >app.py
	git add app.py && git commit -q -m init || fail "initial commit"
	run_pl install-hook
	assert_exit 0 "install-hook in a repository"
	if [ -x .git/hooks/pre-commit ]; then pass "the hook is executable"; else fail "no executable .git/hooks/pre-commit"; fi
	run_pl install-hook
	assert_exit 0 "reinstalling our own hook needs no --force"

	mkdir -p "conf dir"
	printf '# settings\nGH_VALUE = "%s"\n' "$(gh)" >"conf dir/my settings.py"
	git add "conf dir/my settings.py"
	git commit -q -m "add settings" >"$OUT" 2>"$ERR"
	RC=$?
	check_sane "git commit (hook)"
	if [ "$RC" -ne 0 ]; then pass "a commit adding a fake token is blocked (exit $RC)"; else
		fail "the commit with a secret went through"; fi
	assert_py "the report names the staged file" "'conf dir/my settings.py' in out + err"
	assert_contains "$ERR" "commit blocked" "the hook says the commit is blocked"
	[ "$(git rev-list --count HEAD)" = 1 ] && pass "history unchanged" || fail "a commit was made"

	# What is scanned is the index, not the working tree.
	printf '# settings\nGH_VALUE = os.environ["GH_VALUE"]\n' >"conf dir/my settings.py"
	git commit -q -m "still staged" >"$OUT" 2>"$ERR"
	RC=$?
	if [ "$RC" -ne 0 ]; then pass "a secret still staged (but gone from the working tree) is blocked"; else
		fail "the hook scanned the working tree instead of the index"; fi
	git add "conf dir/my settings.py"
	printf 'GH_VALUE = "%s"\n' "$(gh)" >>app.py # unstaged: not part of the commit
	git commit -q -m "settings from the environment" >"$OUT" 2>"$ERR"
	RC=$?
	assert_exit 0 "after removing the secret the commit passes (an unstaged one is not scanned)"
	git checkout -q app.py
	[ -z "$(ls -A "$PKGLEAKS_HOOK_TMPDIR")" ] && pass "the hook removes its copy of the staged files" ||
		fail "the hook left files in $PKGLEAKS_HOOK_TMPDIR"

	printf '#!/bin/sh\nexit 0\n' >.git/hooks/pre-commit
	run_pl install-hook
	assert_exit 2 "an existing foreign hook is not overwritten"
	assert_contains "$ERR" "--force" "the refusal says how to replace it"
	run_pl install-hook --force
	assert_exit 0 "--force replaces it"
	if [ -f .git/hooks/pre-commit.bak ] && grep -q pkgleaks .git/hooks/pre-commit; then
		pass "the old hook is kept as pre-commit.bak"; else fail "no pre-commit.bak or hook not replaced"; fi
	run_pl install-hook --print -- --min-confidence medium
	assert_contains "$OUT" "set -- '--min-confidence' 'medium'" "extra scan options are baked into the hook"
	cd "$FX" || exit 1
	run_pl install-hook
	assert_exit 2 "install-hook outside a repository is an error"
fi

###########################################################################
note ".pre-commit-hooks.yaml (pre-commit framework)"
if ! have_yaml; then
	skip_part "PyYAML is not installed"
else
	HOOKS=$ROOT/.pre-commit-hooks.yaml
	"$PYTHON" - "$HOOKS" >"$TMP/entry" <<'EOF' || fail ".pre-commit-hooks.yaml does not parse"
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
h = [h for h in hooks if h["id"] == "pkgleaks"][0]
assert h["language"] in ("system", "script"), h
assert h.get("pass_filenames", True) is True, h
assert h["entry"].split()[0] == "pkgleaks", h
print(" ".join(h["entry"].split()[1:]))
EOF
	ENTRY_ARGS=$(cat "$TMP/entry")
	[ -n "$ENTRY_ARGS" ] && pass ".pre-commit-hooks.yaml parses; hook 'pkgleaks', entry: pkgleaks $ENTRY_ARGS"
	mkdir -p pc && printf 'GH_VALUE = "%s"\n' "$(gh)" >pc/leaky.py && echo 'x = 1' >pc/clean.py
	# shellcheck disable=SC2086
	run_pl $ENTRY_ARGS pc/clean.py pc/leaky.py
	assert_exit 1 "the hook's entry with filenames finds the secret"
	assert_contains "$OUT" "pc/leaky.py" "and names the file"
	# shellcheck disable=SC2086
	run_pl $ENTRY_ARGS pc/clean.py
	assert_exit 0 "the hook's entry passes clean files"
fi

###########################################################################
note "action.yml (GitHub Actions composite action)"
if ! have_yaml; then
	skip_part "PyYAML is not installed"
else
	"$PYTHON" - "$ROOT/action.yml" "$TMP/step" >"$TMP/action" <<'EOF' || fail "action.yml is not a composite action with the expected steps"
import sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
assert a["runs"]["using"] == "composite"
assert {"path", "args", "fail-on-findings"} <= set(a["inputs"])
steps = a["runs"]["steps"]
assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
for i, s in enumerate(steps):
    if "run" in s:
        open("%s-%d.sh" % (sys.argv[2], i), "w").write(s["run"])
        print(i, s.get("id", ""), s["name"])
EOF
	assert_contains "$TMP/action" "scan" "action.yml parses: composite, inputs path/args/fail-on-findings, upload-sarif"
	# Run the steps' scripts as the runner would (no apt-get, no upload).
	RUNNER_TEMP=$TMP/runner
	GITHUB_OUTPUT=$TMP/gh-output
	mkdir -p "$RUNNER_TEMP/pkgleaks-build" && : >"$GITHUB_OUTPUT"
	export RUNNER_TEMP GITHUB_OUTPUT GITHUB_ACTION_PATH=$ROOT
	BUILD_STEP=$(awk '/Build pkgleaks/ { print $1 }' "$TMP/action")
	SCAN_STEP=$(awk '$2 == "scan" { print $1 }' "$TMP/action")
	FAIL_STEP=$(awk '/Fail on findings/ { print $1 }' "$TMP/action")
	if is_asan || [ "${PL_SKIP_ACTION_BUILD:-0}" = 1 ]; then
		note "action build step not run (sanitizer pass or PL_SKIP_ACTION_BUILD): using $PKGLEAKS"
		ln -sf "$PKGLEAKS" "$RUNNER_TEMP/pkgleaks-build/pkgleaks"
	elif bash -e "$TMP/step-$BUILD_STEP.sh" >"$TMP/build.log" 2>&1 && [ -x "$RUNNER_TEMP/pkgleaks-build/pkgleaks" ]; then
		pass "the action's build step builds pkgleaks from the repository"
	else
		fail "the action's build step failed"
		tail -n 20 "$TMP/build.log" | sed 's/^/    | /'
		ln -sf "$PKGLEAKS" "$RUNNER_TEMP/pkgleaks-build/pkgleaks"
	fi
	mkdir -p ws/src && printf 'GH_VALUE = "%s"\n' "$(gh)" >ws/src/conf.py && echo 'x = 1' >ws/src/ok.py
	(cd ws && PKGLEAKS_PATH=src PKGLEAKS_ARGS="--min-confidence low" PKGLEAKS_SARIF=pkgleaks.sarif \
		bash -e "$TMP/step-$SCAN_STEP.sh") >"$OUT" 2>"$ERR"
	RC=$?
	assert_exit 0 "the scan step itself succeeds when it finds secrets (the upload must still run)"
	assert_contains "$GITHUB_OUTPUT" "exit-code=1" "it sets the exit-code output to 1"
	if [ -s ws/pkgleaks.sarif ] && "$PYTHON" -c 'import jsonschema' 2>/dev/null; then
		if "$PYTHON" "$TESTS_DIR/data/validate_sarif.py" ws/pkgleaks.sarif; then
			pass "the SARIF it writes is valid SARIF 2.1.0"; else fail "invalid SARIF"; fi
	else
		[ -s ws/pkgleaks.sarif ] && pass "the scan step writes the SARIF" || fail "no SARIF written"
	fi
	grep -q 'src/conf.py' ws/pkgleaks.sarif && pass "the SARIF names the file" || fail "SARIF does not name src/conf.py"
	PKGLEAKS_PATH=src bash "$TMP/step-$FAIL_STEP.sh" >"$OUT" 2>&1
	RC=$?
	assert_exit 1 "the fail-on-findings step fails the job"
	: >"$GITHUB_OUTPUT"
	(cd ws && PKGLEAKS_PATH=src/ok.py PKGLEAKS_ARGS= PKGLEAKS_SARIF=clean.sarif bash -e "$TMP/step-$SCAN_STEP.sh") >"$OUT" 2>"$ERR"
	RC=$?
	assert_exit 0 "a clean scan step"
	assert_contains "$GITHUB_OUTPUT" "exit-code=0" "sets exit-code=0 (the fail step is then skipped)"
	unset RUNNER_TEMP GITHUB_OUTPUT GITHUB_ACTION_PATH
fi

###########################################################################
note "scan --as-published: npm"
mkdir -p npmproj/lib
printf 'module.exports = () => process.env.API_TOKEN;\n' >npmproj/index.js
printf 'exports.x = 1;\n' >npmproj/lib/util.js
printf 'GITHUB_TOKEN=%s\n' "$(gh)" >npmproj/.env
printf '{"name": "pl-e2e-demo", "version": "1.0.0", "main": "index.js"}\n' >npmproj/package.json
PKGLEAKS_NPM=$TMP/no-such-npm run_pl scan --as-published npmproj
assert_exit 2 "without npm, --as-published on an npm project is an error"
assert_contains "$ERR" "needs npm" "with a clear message"
run_pl scan --as-published /
assert_exit 2 "--as-published on a directory that is not a project is an error"
if ! command -v npm >/dev/null; then
	skip_part "npm is not installed"
else
	BEFORE=$(tree_state npmproj)
	run_pl scan --as-published --format json npmproj
	assert_exit 1 "a .env shipped by an npm package without \"files\" is reported"
	assert_json "the finding is npmproj/.env and says why it ships" \
		"[f['source'] for f in j['findings']] == ['npmproj/.env'] and 'no \"files\" field' in j['findings'][0]['details']['published_because'] and 'no .npmignore' in j['findings'][0]['details']['published_because']"
	assert_contains "$ERR" "npm pack --dry-run: 4 files" "the note says what npm would pack"
	[ "$BEFORE" = "$(tree_state npmproj)" ] && pass "the project is not modified" || fail "npm project changed"
	run_pl scan --as-published npmproj
	assert_contains "$OUT" "published_because=package.json has no \"files\" field" "text shows published_because"
	printf '{"name": "pl-e2e-demo", "version": "1.0.0", "main": "index.js", "files": ["index.js"]}\n' >npmproj/package.json
	run_pl scan --as-published npmproj
	assert_exit 0 "with \"files\": [\"index.js\"] nothing secret ships"
	printf '{"name": "pl-e2e-demo", "version": "1.0.0", "files": ["index.js", "lib/"]}\n' >npmproj/package.json
	cp npmproj/.env npmproj/lib/.env.local
	run_pl scan --as-published --format json npmproj
	assert_json "a secret under a listed directory names the \"files\" entry" \
		"[f['details']['published_because'] for f in j['findings']] == ['package.json \"files\" lists \"lib\"']"
	rm npmproj/lib/.env.local
	# The README's prepublishOnly one-liner, run as `npm publish` runs it
	# (`npm run` needs no registry; publish --dry-run would contact one).
	mkdir -p bin && ln -sf "$PKGLEAKS" bin/pkgleaks
	printf '{"name": "pl-e2e-demo", "version": "1.0.0", "scripts": {"prepublishOnly": "pkgleaks scan --as-published ."}}\n' >npmproj/package.json
	(cd npmproj && PATH=$FX/bin:$PATH npm run --silent prepublishOnly) >"$OUT" 2>"$ERR"
	RC=$?
	check_sane "npm run prepublishOnly"
	if [ "$RC" -ne 0 ]; then pass "the prepublishOnly one-liner stops the publish (exit $RC)"; else
		fail "prepublishOnly passed with a .env that ships"; fi
	assert_contains "$OUT" ".env" "and names the .env"
	printf '.env\n' >npmproj/.npmignore
	(cd npmproj && PATH=$FX/bin:$PATH npm run --silent prepublishOnly) >"$OUT" 2>"$ERR"
	RC=$?
	assert_exit 0 "with an .npmignore that excludes .env, prepublishOnly passes"
fi

###########################################################################
note "scan --as-published: the sdist gate (MANIFEST.in includes a config file with a secret)"
if ! have_sdist_tools; then
	skip_part "python3 has neither the build module nor setuptools"
else
	mkdir -p pyproj/src/acme pyproj/conf
	cat >pyproj/setup.py <<'EOF'
from setuptools import setup, find_packages
setup(name="pl-e2e-acme", version="1.0", packages=find_packages("src"), package_dir={"": "src"})
EOF
	printf 'import os\nTOKEN = os.environ.get("ACME_TOKEN")\n' >pyproj/src/acme/__init__.py
	echo '# Acme' >pyproj/README.md
	printf '[acme]\nurl = https://api.example.org\ntoken = %s\n' "$(gh)" >pyproj/conf/settings.cfg
	printf 'include README.md\ninclude conf/*.cfg\n' >pyproj/MANIFEST.in
	BEFORE=$(tree_state pyproj)
	mkdir -p "$TMP/tmpdir"
	TMPDIR=$TMP/tmpdir run_pl scan --as-published --format json pyproj
	assert_exit 1 "the sdist of a project whose MANIFEST.in includes conf/*.cfg fails the gate"
	assert_json "the finding names the project file, the MANIFEST.in line and the artifact" \
		"len(j['findings']) == 1 and j['findings'][0]['source'] == 'pyproj/conf/settings.cfg' and j['findings'][0]['line'] == 3 and j['findings'][0]['details']['published_because'] == 'MANIFEST.in: include conf/*.cfg' and j['findings'][0]['details']['artifact'] == 'pl-e2e-acme-1.0.tar.gz!/pl-e2e-acme-1.0/conf/settings.cfg'"
	assert_match "$ERR" "sdist built with .* pl-e2e-acme-1.0.tar.gz" "the note names the sdist built"
	[ "$BEFORE" = "$(tree_state pyproj)" ] && pass "the project is not modified (built in a copy)" ||
		fail "the sdist build wrote into the project"
	[ -z "$(ls -A "$TMP/tmpdir")" ] && pass "the temporary copy is removed" ||
		fail "a temporary build directory was left behind"
	# The same gate as the README's one-liner: build dist/, scan it.
	cp -a pyproj pybuilt && (cd pybuilt && "$PYTHON" setup.py -q sdist >/dev/null 2>&1)
	run_pl scan pybuilt/dist/
	assert_exit 1 "\`pkgleaks scan dist/\` (before twine upload) fails on the same sdist"
	assert_contains "$OUT" "pl-e2e-acme-1.0/conf/settings.cfg" "and names the member"
	printf 'include README.md\n' >pyproj/MANIFEST.in
	run_pl scan --as-published pyproj
	assert_exit 0 "after fixing MANIFEST.in the sdist passes the gate"
	printf 'include README.md\ngraft conf\nglobal-exclude *.cfg\n' >pyproj/MANIFEST.in
	run_pl scan --as-published pyproj
	assert_exit 0 "a later global-exclude undoes a graft"
	printf 'graft conf\n' >pyproj/MANIFEST.in
	run_pl scan --as-published --format json pyproj
	assert_json "graft is named as the reason" \
		"[f['details']['published_because'] for f in j['findings']] == ['MANIFEST.in: graft conf']"
	printf 'include README.md\n' >pyproj/MANIFEST.in
	printf 'API = "%s"\n' "$(gh)" >pyproj/src/acme/keys.py
	run_pl scan --as-published --format json pyproj
	assert_json "a module with a secret ships because it is package source" \
		"[f['source'] for f in j['findings']] == ['pyproj/src/acme/keys.py'] and 'module of the package' in j['findings'][0]['details']['published_because']"
	# Without the build module, setup.py sdist builds the same thing.
	mkdir -p bin && cat >bin/python-without-build <<EOF
#!/bin/sh
[ "\$1 \$2" = "-m build" ] && { echo "No module named build" >&2; exit 1; }
exec "$PYTHON" "\$@"
EOF
	chmod +x bin/python-without-build
	printf 'include conf/*.cfg\n' >pyproj/MANIFEST.in
	for py in "$PYTHON" "$FX/bin/python-without-build"; do
		PKGLEAKS_PYTHON=$py run_pl scan --as-published --format json pyproj
		assert_json "$(basename "$py"): the MANIFEST.in leak is found, through $(sed -n 's/.*built with `\([^`]*\)`.*/\1/p' "$ERR")" \
			"any(f['details']['published_because'] == 'MANIFEST.in: include conf/*.cfg' for f in j['findings'])"
	done
	PKGLEAKS_PYTHON=$TMP/no-such-python run_pl scan --as-published pyproj
	assert_exit 2 "without python3, --as-published on a Python project is an error"
	assert_contains "$ERR" "to build the sdist" "with a clear message"
fi

if [ "$CHECKS" -eq 0 ] && [ "$SKIPPED" -gt 0 ]; then
	skip_all "every part skipped"
fi
finish
