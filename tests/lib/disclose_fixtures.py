#!/usr/bin/env python3
"""Packages for the disclosure test (tests/e2e/test_disclose.sh), built at run
time with fake secrets from fakesecrets.py (never a committed token).

    disclose_fixtures.py OUTDIR

OUTDIR gets:
  acme-1.0.tar.gz   sdist, PKG-INFO with Author, Author-email, Maintainer-email,
                    Home-page, Project-URL; acme/settings.py holds a GitHub token
  acme-1.1.tar.gz   the next release: the token is gone (read from the environment)
  widget-1.0.tgz    npm, name @acme/widget: package.json author object, maintainers,
                    bugs with an e-mail, repository shorthand; lib/config.js holds a
                    Slack bot token
  bare-0.1.tar.gz   sdist whose metadata names nobody (setuptools' UNKNOWN);
                    a Stripe key in bare/keys.py
  notes.json        the secrets and what the reports must say
"""
import io
import json
import os
import random
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesecrets  # noqa: E402

T_ACME_10 = 1704067200   # 2024-01-01
T_ACME_11 = 1717200000   # 2024-06-01
T_WIDGET = 1709251200    # 2024-03-01
T_BARE = 1711929600      # 2024-04-01


def tar_gz(path, members, mtime):
    with tarfile.open(path, "w:gz") as t:
        for name, text in members:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))


def pkg_info(name, version, extra):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: disclosure test\n%s"
            "License: MIT\n\nA long description.\nAuthor: not a header, the body\n"
            % (name, version, extra))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.SystemRandom()
    github = fakesecrets.make("github", rng)
    slack = fakesecrets.make("slack_bot", rng)
    stripe = fakesecrets.make("stripe", rng)

    acme_meta = ("Author: Jane Doe\nAuthor-email: jane@example.org\n"
                 "Maintainer-email: \"Ops Team\" <ops@example.org>,\n bob@example.com\n"
                 "Home-page: https://acme.example.org\n"
                 "Project-URL: Security, https://acme.example.org/security\n")
    tar_gz(os.path.join(out, "acme-1.0.tar.gz"), [
        ("acme-1.0/PKG-INFO", pkg_info("Acme", "1.0", acme_meta)),
        ("acme-1.0/acme/__init__.py", "from .settings import *\n"),
        ("acme-1.0/acme/settings.py", "DEBUG = False\nGITHUB_TOKEN = \"%s\"\n" % github),
    ], T_ACME_10)
    tar_gz(os.path.join(out, "acme-1.1.tar.gz"), [
        ("acme-1.1/PKG-INFO", pkg_info("Acme", "1.1", acme_meta)),
        ("acme-1.1/acme/__init__.py", "from .settings import *\n"),
        ("acme-1.1/acme/settings.py",
         "import os\nDEBUG = False\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n"),
    ], T_ACME_11)

    pkg = {
        "name": "@acme/widget", "version": "1.0.0",
        "author": {"name": "Carol Widget", "email": "carol@example.net",
                   "url": "https://carol.example.net"},
        "maintainers": ["Dave <dave@example.net>"],
        "bugs": {"url": "https://github.com/acme/widget/issues", "email": "security@example.net"},
        "repository": "github:acme/widget",
        "homepage": "https://widget.example.net",
    }
    tar_gz(os.path.join(out, "widget-1.0.tgz"), [
        ("package/package.json", json.dumps(pkg, indent=2)),
        ("package/lib/config.js", "module.exports = { slackToken: '%s' };\n" % slack),
    ], T_WIDGET)

    tar_gz(os.path.join(out, "bare-0.1.tar.gz"), [
        ("bare-0.1/PKG-INFO", pkg_info("bare", "0.1",
                                       "Author: UNKNOWN\nAuthor-email: UNKNOWN\nHome-page: UNKNOWN\n")),
        ("bare-0.1/bare/keys.py", "STRIPE_KEY = '%s'\n" % stripe),
    ], T_BARE)

    with open(os.path.join(out, "notes.json"), "w") as f:
        json.dump({"github": github, "slack": slack, "stripe": stripe}, f)


if __name__ == "__main__":
    main()
