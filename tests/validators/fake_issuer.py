#!/usr/bin/env python3
"""A fake credential issuer on loopback for the validation tests.

Every service pkgleaks validates over HTTP in the tests is mounted under
/<service> (PKGLEAKS_<SERVICE>_URL=http://127.0.0.1:PORT/<service>). For each
request the fake
  * asserts the exact request a real issuer would need (method, path, headers,
    body; the AWS SigV4 and Azure SharedKey signatures recomputed here from the
    test secret; the GCP JWT's RS256 signature checked with the openssl CLI),
  * finds the credential it carries and answers as the table says:
    valid | invalid | timeout | 5xx | 429 (Retry-After: 1, then valid) |
    429-always | malformed,
  * appends one JSON line to the log: service, credential (a short prefix
    only), scenario, status sent, and the assertion errors (empty when the
    request was exactly right).

    fake_issuer.py --table TABLE.json --log LOG.jsonl --port-file PORT [--sleep 4]

TABLE.json: {"credentials": {"<service>:<credential>": "<scenario>"},
             "aws": {"<key id>": "<secret>"}, "azure": {"<account>": "<key>"},
             "gcp": {"<client_email>": "<public key PEM>"}}
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LOCK = threading.Lock()
SEEN_429 = set()


def sigv4(key_id, secret, host, path, amz_date, query):
    date = amz_date[:8]
    creq = "\n".join(["GET", path, query, "host:" + host, "x-amz-date:" + amz_date, "",
                      "host;x-amz-date", hashlib.sha256(b"").hexdigest()])
    scope = f"{date}/us-east-1/sts/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, "us-east-1", "sts", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return (f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, "
            f"SignedHeaders=host;x-amz-date, Signature={sig}")


def sharedkey(account, path, key_b64, ms_date, ms_version):
    sts = "GET\n" + "\n" * 11 + f"x-ms-date:{ms_date}\nx-ms-version:{ms_version}\n/{account}{path}\ncomp:list"
    mac = hmac.new(base64.b64decode(key_b64), sts.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_rs256(jwt, pub_pem):
    head, claims, sig = jwt.split(".")
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "pub.pem"), "w").write(pub_pem)
        open(os.path.join(d, "sig"), "wb").write(b64url_decode(sig))
        open(os.path.join(d, "data"), "w").write(head + "." + claims)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", os.path.join(d, "pub.pem"),
                            "-signature", os.path.join(d, "sig"), os.path.join(d, "data")],
                           capture_output=True)
        return r.returncode == 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.handle_any("HEAD")

    # ---- helpers ----
    def hdr(self, name):
        return self.headers.get(name)

    def want(self, cond, msg):
        if not cond:
            self.errors.append(msg)

    def want_header(self, name, value):
        got = self.hdr(name)
        self.want(got == value, f"header {name}: got {got!r}, want {value!r}")

    def bearer(self, scheme="Bearer"):
        a = self.hdr("Authorization") or ""
        self.want(a.startswith(scheme + " "), f"Authorization is not {scheme}: {a[:12]!r}")
        return a[len(scheme) + 1:]

    def basic(self):
        a = self.hdr("Authorization") or ""
        self.want(a.startswith("Basic "), "Authorization is not Basic")
        try:
            return base64.b64decode(a[6:]).decode()
        except Exception:
            self.errors.append("Basic credentials not base64")
            return ""

    def send(self, status, body, ctype="application/json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return status

    # ---- the services: (credential, valid answer, invalid answer) ----
    def svc_github(self, rest):
        self.want(self.command == "GET", "method")
        self.want(rest in ("/user", "/rate_limit"), f"path {rest}")
        self.want_header("Accept", "application/vnd.github+json")
        cred = self.bearer("token")
        return cred, (200, json.dumps({"login": "octo-test", "type": "User", "name": "Octo Test"}),
                      {"X-OAuth-Scopes": "repo, read:org"}), (401, '{"message":"Bad credentials"}', None)

    def svc_slack(self, rest):
        self.want(self.command == "POST" and rest == "/api/auth.test", f"{self.command} {rest}")
        cred = self.bearer()
        return cred, (200, json.dumps({"ok": True, "team": "Test Team", "user": "bot", "team_id": "T0TEST"}), None), \
            (200, json.dumps({"ok": False, "error": "invalid_auth"}), None)

    def svc_slack_webhook(self, rest):
        self.want(self.command == "POST", "method")
        self.want_header("Content-Type", "application/json")
        # Nothing may be posted: the body must not be JSON Slack could accept.
        try:
            json.loads(self.body or b"")
            self.errors.append("webhook body is valid JSON: it could post a message")
        except ValueError:
            pass
        return rest, (400, "invalid_payload", None), (403, "invalid_token", None)

    def svc_telegram(self, rest):
        self.want(self.command == "GET" and rest.startswith("/bot") and rest.endswith("/getMe"), f"path {rest}")
        cred = rest[4:-6]
        return cred, (200, json.dumps({"ok": True, "result": {"id": 12345678, "username": "test_bot", "first_name": "T"}}), None), \
            (401, json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}), None)

    def svc_stripe(self, rest):
        self.want(self.command == "GET" and rest == "/v1/balance", f"{self.command} {rest}")
        return self.bearer(), (200, '{"object":"balance","livemode":false}', None), (401, '{"error":{}}', None)

    def svc_datadog(self, rest):
        self.want(self.command == "GET" and rest == "/api/v1/validate", f"{self.command} {rest}")
        return self.hdr("DD-API-KEY") or "", (200, '{"valid":true}', None), (403, '{"errors":["Forbidden"]}', None)

    def svc_mailchimp(self, rest):
        self.want(self.command == "GET" and rest == "/3.0/", f"{self.command} {rest}")
        user, _, key = self.basic().partition(":")
        return key, (200, '{"account_name":"Test Shop","login_id":"42"}', None), (401, '{"title":"API Key Invalid"}', None)

    def svc_twilio(self, rest):
        cred = self.basic()
        sid = cred.split(":")[0]
        self.want(self.command == "GET" and rest == f"/2010-04-01/Accounts/{sid}.json", f"path {rest}")
        return cred, (200, '{"friendly_name":"Test account","status":"active"}', None), (401, '{"code":20003}', None)

    def svc_dropbox(self, rest):
        self.want(self.command == "POST" and rest == "/2/users/get_current_account", f"{self.command} {rest}")
        self.want(not self.hdr("Content-Type"), f"Content-Type sent: {self.hdr('Content-Type')!r}")
        self.want(not self.body, "a body was sent")
        return self.bearer(), (200, '{"email":"t@example.test","name":{"display_name":"T"}}', None), \
            (401, '{"error_summary":"invalid_access_token/..","error":{".tag":"invalid_access_token"}}', None)

    def svc_pypi(self, rest):
        self.want(self.command == "POST" and rest == "/legacy/", f"{self.command} {rest}")
        ct = self.hdr("Content-Type") or ""
        self.want(ct.startswith("multipart/form-data; boundary="), "multipart")
        b = (self.body or b"").decode(errors="replace")
        self.want('name=":action"' in b and "file_upload" in b, "upload fields")
        self.want("md5_digest" not in b and "sha256_digest" not in b, "a digest was sent")
        user, _, tok = self.basic().partition(":")
        self.want(user == "__token__", "user is not __token__")
        return tok, (400, "Invalid value for blake2_256_digest. Error: Include at least one message digest.", None), \
            (403, "Invalid or non-existent authentication information.", None)

    def svc_azure_ad(self, rest):
        parts = rest.split("/")
        self.want(self.command == "POST" and len(parts) == 5 and parts[2:] == ["oauth2", "v2.0", "token"], f"path {rest}")
        self.want_header("Content-Type", "application/x-www-form-urlencoded")
        f = urllib.parse.parse_qs((self.body or b"").decode())
        self.want(f.get("grant_type") == ["client_credentials"], "grant_type")
        self.want(f.get("scope") == ["https://graph.microsoft.com/.default"], "scope")
        self.want(len(f.get("client_id", [""])[0]) == 36, "client_id")
        return f.get("client_secret", [""])[0], (200, '{"token_type":"Bearer","access_token":"x.y.z"}', None), \
            (401, '{"error":"invalid_client","error_codes":[7000215]}', None)

    def svc_aws(self, rest):
        self.want(self.command == "GET" and rest == "/", f"{self.command} {rest}")
        self.want(self.query == "Action=GetCallerIdentity&Version=2011-06-15", f"query {self.query}")
        self.want_header("Accept", "application/json")
        auth = self.hdr("Authorization") or ""
        amz = self.hdr("X-Amz-Date") or ""
        kid = auth.split("Credential=")[-1].split("/")[0] if "Credential=" in auth else ""
        secret = self.table.get("aws", {}).get(kid)
        sig_ok = secret is not None and hmac.compare_digest(
            auth, sigv4(kid, secret, self.hdr("Host"), self.full_path, amz, self.query))
        # The fake knows the right secret: a wrong one must show as a bad signature.
        cred = kid if sig_ok else kid + ":badsig"
        if secret is None:
            self.errors.append(f"unknown key id {kid[:8]}")
        return cred, (200, json.dumps({"GetCallerIdentityResponse": {"GetCallerIdentityResult": {
            "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/test", "UserId": "AIDATEST"}}}), None), \
            (403, '{"Error":{"Code":"SignatureDoesNotMatch"}}' if not sig_ok else '{"Error":{"Code":"InvalidClientTokenId"}}', None)

    def svc_azure_storage(self, rest):
        self.want(self.command == "GET" and rest == "/" and self.query == "comp=list", f"{rest}?{self.query}")
        self.want_header("x-ms-version", "2019-12-12")
        auth = self.hdr("Authorization") or ""
        acct, _, sig = auth.removeprefix("SharedKey ").partition(":")
        key = self.table.get("azure", {}).get(acct)
        ok = key is not None and hmac.compare_digest(sig, sharedkey(acct, self.full_path, key, self.hdr("x-ms-date") or "", "2019-12-12"))
        return (acct if ok else acct + ":badsig"), \
            (200, "<?xml version=\"1.0\"?><EnumerationResults><Containers><Container><Name>a</Name></Container></Containers></EnumerationResults>", None), \
            (403, "<Error><Code>AuthenticationFailed</Code></Error>", None)

    def svc_gcp(self, rest):
        self.want(self.command == "POST" and rest == "/token", f"{self.command} {rest}")
        f = urllib.parse.parse_qs((self.body or b"").decode())
        self.want(f.get("grant_type") == ["urn:ietf:params:oauth:grant-type:jwt-bearer"], "grant_type")
        jwt = f.get("assertion", [""])[0]
        try:
            head = json.loads(b64url_decode(jwt.split(".")[0]))
            claims = json.loads(b64url_decode(jwt.split(".")[1]))
        except Exception:
            self.errors.append("assertion is not a JWT")
            return "", (200, "{}", None), (400, "{}", None)
        self.want(head.get("alg") == "RS256", "alg")
        self.want(claims.get("aud") == "https://oauth2.googleapis.com/token", "aud")
        self.want(claims.get("scope") == "https://www.googleapis.com/auth/cloud-platform", "scope")
        self.want(0 < claims.get("exp", 0) - claims.get("iat", 0) <= 3600, "exp")
        email = claims.get("iss", "")
        pub = self.table.get("gcp", {}).get(email)
        ok = pub is not None and verify_rs256(jwt, pub)
        return (email if ok else email + ":badsig"), \
            (200, '{"access_token":"ya29.test","expires_in":3599,"token_type":"Bearer"}', None), \
            (400, '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}', None)

    # ---- dispatch ----
    def handle_any(self, method):
        self.errors = []
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n else b""
        path, _, self.query = self.path.partition("?")
        self.full_path = path
        service, _, rest = path.lstrip("/").partition("/")
        rest = "/" + rest
        fn = getattr(self, "svc_" + service.replace("-", "_"), None)
        self.want(self.hdr("User-Agent", ) and self.hdr("User-Agent").startswith("pkgleaks/"), "User-Agent")
        if not fn:
            self.errors.append(f"unknown service {service}")
            status = self.send(404, "{}")
            return self.record(service, "", "none", status)
        cred, good, bad = fn(rest)
        key = f"{service}:{cred}"
        scenario = self.table["credentials"].get(key, "invalid")
        if scenario == "429":
            with LOCK:
                first = key not in SEEN_429
                SEEN_429.add(key)
            scenario = "429-always" if first else "valid"
        if scenario == "valid":
            status = self.send(good[0], good[1], extra=good[2])
        elif scenario == "invalid":
            status = self.send(bad[0], bad[1], extra=bad[2])
        elif scenario == "timeout":
            # Logged first: the client gives up before the answer.
            self.record(service, cred, scenario, 0)
            time.sleep(self.server.sleep)
            try:
                self.send(good[0], good[1])
            except OSError:
                pass
            return
        elif scenario == "5xx":
            status = self.send(503, "upstream unavailable", "text/plain")
        elif scenario == "429-always":
            status = self.send(429, '{"error":"rate limited"}', extra={"Retry-After": "1"})
        else:  # malformed
            status = self.send(200 if good[0] == 200 else 418, "<html>not what you expected", "text/html")
        self.record(service, cred, scenario, status)

    def record(self, service, cred, scenario, status):
        row = {"service": service, "credential": cred[:12], "scenario": scenario, "status": status,
               "method": self.command, "errors": self.errors, "time": time.time()}
        with LOCK:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(row) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--sleep", type=float, default=4.0)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.log = a.log
    srv.sleep = a.sleep
    Handler.table = json.load(open(a.table))
    open(a.log, "a").close()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
