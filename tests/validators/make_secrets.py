#!/usr/bin/env python3
"""Fixtures for tests/e2e/test_validate.sh: fake secrets for the services the
fake issuer serves, the fake's table (which credential gets which answer) and
what pkgleaks must report for each.

    make_secrets.py OUTDIR [--bulk N]

Writes OUTDIR/secrets.txt (the file to scan), OUTDIR/table.json (for
fake_issuer.py) and OUTDIR/expected.json ({secret: [status, reason prefix,
requests]}). --bulk N instead writes N unique GitHub tokens, all valid (the
measurement of the issue note). Every value is random; none is a real
credential.
"""
import base64
import json
import os
import random
import string
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fakesecrets as fs  # noqa: E402

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
rng = random.Random(20240611)


def r(alpha, n):
    return fs._rand(rng, alpha, n)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
table = {"credentials": {}, "aws": {}, "azure": {}, "gcp": {}}
expected = {}
lines = []


def esc(s):
    """The secret as pkgleaks prints it (--show-secrets escapes control bytes)."""
    return "".join("\\\\" if c == "\\" else "\\x%02x" % ord(c) if ord(c) < 32 or ord(c) == 127 else c
                   for c in s)


def case(service, cred, scenario, secret, text, status, reason="", requests=1):
    table["credentials"][f"{service}:{cred}"] = scenario
    expected[esc(secret)] = [status, reason, requests]
    lines.append(text)


if len(sys.argv) > 3 and sys.argv[2] == "--bulk":
    n = int(sys.argv[3])
    for i in range(n):
        t = fs.github(rng)
        case("github", t, "valid", t, f"token_{i} = '{t}'", "valid")
else:
    # GitHub: every answer the issue names.
    for scen, st, reason, nreq in [("valid", "valid", "", 1), ("invalid", "invalid", "", 1),
                                   ("timeout", "unknown", "timeout", 1),
                                   ("5xx", "unknown", "server error (http 503)", 1),
                                   ("429", "valid", "", 2),
                                   ("429-always", "unknown", "rate limited (429)", 3)]:
        t = fs.github(rng)
        case("github", t, scen, t, f"GITHUB_TOKEN_{scen.upper().replace('-', '_')} = '{t}'", st, reason, nreq)
    # Slack token: JSON answers, and a malformed one.
    for scen, st, reason in [("valid", "valid", ""), ("invalid", "invalid", ""),
                             ("malformed", "unknown", "unexpected answer (http 200)")]:
        t = fs.slack_bot(rng)
        case("slack", t, scen, t, f"slack_token = '{t}'", st, reason)
    # Slack webhook: checked without posting.
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        path = f"/services/T{r(string.ascii_uppercase + string.digits, 9)}/B{r(string.ascii_uppercase + string.digits, 9)}/{r(ALNUM, 24)}"
        url = "https://hooks.slack.com" + path
        case("slack-webhook", path, scen, url, f"WEBHOOK = '{url}'", st)
    # Telegram: token in the path; a malformed answer.
    for scen, st, reason in [("valid", "valid", ""), ("invalid", "invalid", ""),
                             ("malformed", "unknown", "unexpected answer (http 200)")]:
        t = f"{rng.randint(10**8, 10**9 - 1)}:AA{r(ALNUM + '_-', 33)}"
        case("telegram", t, scen, t, f"TELEGRAM_BOT_TOKEN = '{t}'", st, reason)
    # Stripe, Datadog, Mailchimp (host from the key), Twilio (a pair), Dropbox.
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        t = "sk_live_" + r(ALNUM, 24)
        case("stripe", t, scen, t, f"stripe.api_key = '{t}'", st)
        k = r(HEX, 32)
        case("datadog", k, scen, k, f"DD_API_KEY = '{k}'", st)
        m = r(HEX, 32) + "-us" + str(rng.randint(1, 20))
        case("mailchimp", m, scen, m, f"MAILCHIMP_KEY = '{m}'", st)
        sid, tok = "AC" + r(HEX, 32), r(HEX, 32)
        case("twilio", f"{sid}:{tok}", scen, f"{sid}:{tok}",
             f"TWILIO_ACCOUNT_SID = '{sid}'\nTWILIO_AUTH_TOKEN = '{tok}'", st)
        d = r(ALNUM, 11) + "AAAAAAAAAA" + r(ALNUM, 43)
        case("dropbox", d, scen, d, f"DROPBOX_TOKEN = '{d}'", st)
    # AWS: SigV4 checked by the fake with the real secret; a wrong secret
    # for a known key id is a signature mismatch, hence invalid.
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        kid = "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        sec = r(ALNUM + "+/", 40)
        table["aws"][kid] = sec if scen == "valid" else r(ALNUM, 40)
        case("aws", kid if scen == "valid" else kid + ":badsig", scen, f"{kid}:{sec}",
             f"aws_access_key_id = {kid}\naws_secret_access_key = {sec}", st)
    # Azure Storage: SharedKey recomputed by the fake.
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        acct = "pl" + r(string.ascii_lowercase + string.digits, 10)
        key = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()
        table["azure"][acct] = key if scen == "valid" else base64.b64encode(os.urandom(64)).decode()
        conn = f"AccountName={acct};AccountKey={key}"
        case("azure-storage", acct if scen == "valid" else acct + ":badsig", scen, conn,
             f"AZURE_STORAGE_CONNECTION_STRING = 'DefaultEndpointsProtocol=https;{conn};EndpointSuffix=core.windows.net'", st)
    # GCP service account: a real RSA key made here; the fake verifies the JWT.
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                             capture_output=True, check=True).stdout.decode()
        pub = subprocess.run(["openssl", "pkey", "-pubout"], input=pem.encode(), capture_output=True,
                             check=True).stdout.decode()
        other = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                               capture_output=True, check=True).stdout.decode()
        other_pub = subprocess.run(["openssl", "pkey", "-pubout"], input=other.encode(), capture_output=True,
                                   check=True).stdout.decode()
        email = f"sa-{r(string.ascii_lowercase, 8)}@pkgleaks-test.iam.gserviceaccount.com"
        table["gcp"][email] = pub if scen == "valid" else other_pub
        doc = json.dumps({"type": "service_account", "project_id": "pkgleaks-test",
                          "private_key_id": r(HEX, 40), "private_key": pem, "client_email": email,
                          "client_id": str(rng.randint(10**20, 10**21)),
                          "token_uri": "https://oauth2.googleapis.com/token"}, indent=2)
        case("gcp", email if scen == "valid" else email + ":badsig", scen, doc, doc, st)
    # Azure AD: client secret with its client and tenant (az CLI output).
    for scen, st in [("valid", "valid"), ("invalid", "invalid")]:
        def uuid():
            return "-".join(r(HEX, n) for n in (8, 4, 4, 4, 12))
        cid, tid = uuid(), uuid()
        sec = r(ALNUM, 3) + str(rng.randint(0, 9)) + "Q~" + r(ALNUM + "_~.-", 34)
        text = json.dumps({"appId": cid, "displayName": "ci", "password": sec, "tenant": tid}, indent=2)
        secret = text[text.index(cid):text.index(tid) + 36]
        case("azure-ad", sec, scen, secret, text, st)
    # PyPI: a token with a project caveat; offline by default (see the test).
    ident = r(HEX, 8) + "-" + r(HEX, 4) + "-" + r(HEX, 4) + "-" + r(HEX, 4) + "-" + r(HEX, 12)
    cav = json.dumps({"version": 1, "permissions": {"projects": ["pkgleaks-probe"]}}).encode()
    mac = (b"\x02" + b"\x01\x08pypi.org" + b"\x02\x24" + ident.encode() + b"\x00" +
           b"\x02" + bytes([len(cav)]) + cav + b"\x00" + b"\x00" + b"\x06\x20" + bytes(rng.randrange(256) for _ in range(32)))
    tok = "pypi-" + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    case("pypi", tok, "valid", tok, f"password = {tok}", "not_checked", "policy: no read-only check", 0)
    # Policy and safety: never sent anywhere.
    pw = r(ALNUM, 16)
    for host, why in [("10.1.2.3", "private host (private address)"),
                      ("169.254.169.254", "private host (link-local address)"),
                      ("100.64.7.9", "private host (CGNAT address)")]:
        u = f"postgres://svc:{pw}@{host}:5432/app"
        expected[u] = ["not_checked", why, 0]
        lines.append(f"DATABASE_URL = '{u}'")
    t = "xoxe-1-" + r(ALNUM, 120)
    expected[t] = ["not_checked", "policy: a refresh token", 0]
    lines.append(f"SLACK_REFRESH = '{t}'")

with open(os.path.join(out, "secrets.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
json.dump(table, open(os.path.join(out, "table.json"), "w"))
json.dump(expected, open(os.path.join(out, "expected.json"), "w"), indent=1)
