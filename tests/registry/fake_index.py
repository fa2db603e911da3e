#!/usr/bin/env python3
"""A fake package index on loopback for the registry tests of pkgleaks.

    fake_index.py --root DIR [--port-file F] [--log F] [--faults F] [--pypi-all]
                  [--require-auth VALUE] [--files-port-file F [--tarballs-on-main]]
                  [--all-docs-max N] [--all-docs-no-startkey]
                  [--tls-cert F --tls-key F [--tls-client-ca F]]

Serves every package file under DIR (real ones from the shared corpus, or
generated ones) through the APIs pkgleaks reads, on 127.0.0.1 (port 0 =
any; the port is written to --port-file):

  PyPI   /pypi/NAME/json, /pypi/NAME/VERSION/json          (JSON API)
         /simple/, /simple/NAME/   (PEP 691 JSON with Accept, else HTML)
         /rss/updates.xml           (RSS updates feed)
         X-PyPI-Last-Serial on every index answer; ETag and 304 on /simple/
  npm    /npm/NAME, /npm/@scope%2fNAME  (registry documents: versions,
         dist.tarball, dist.integrity (SHA-512), dist.shasum, time)
         /npm/_all_docs?limit=N&startkey="NAME"  (every package, CouchDB-style)
  files  /files/N/FILENAME          (Content-Length, Range requests)

--require-auth VALUE: /npm/ and /files/ answer 401 unless the request has
"Authorization: VALUE" ("Bearer TOKEN", "Basic BASE64"), as a private
registry does. --files-port-file F: a second listener on another port (the
port written to F) serves /files/ without authentication, and npm tarball
URLs point at it (unless --tarballs-on-main): a tarball on another host
than the registry. --all-docs-max N: _all_docs pages hold at most N rows
whatever the limit asked; --all-docs-no-startkey: _all_docs ignores startkey
(every page is the first).

--tls-cert F --tls-key F: both listeners speak HTTPS with that certificate
(PEM), and the URLs they give are https://. --tls-client-ca F: the main
listener requires a client certificate signed by a CA of F (the handshake
fails without one); the files listener asks for one but does without.
Each log row says which client certificate came (cert: its subject's CN,
or null); a failed handshake is logged as a row with path "" and tls_error.

*.tgz files are npm packages, every other file belongs to a PyPI project
(--pypi-all lists the npm tarballs on PyPI too). Project and version come
from the file name.

Control (for the tests): POST /_control/publish with a JSON body
{"from": FILENAME, "filename": NEW, "project": P, "version": V} adds a copy
of a served file under a new name (bytes changed, content kept: a gzip
header time, a zip comment), uploaded now, with the next serial.
POST /_control/faults replaces the fault list; GET /_control/state dumps
the serial and the files.

Faults (--faults FILE or /_control/faults): a JSON list of
{"match": SUBSTRING of the request path, "fault": KIND, "times": N}
(times: how many matching requests get it, -1 = all), KIND one of:
  "500"          answer 500
  "429:S"        answer 429 with Retry-After: S
  "404"          answer 404
  "truncate"     announce the whole length, send half, close
  "slow:S"       wait S seconds before answering
  "wrong-hash"   (match a file name) the index gives a wrong hash for it
  "redirect"     answer 302 to the same path on the files listener
Every request is logged as one JSON line (--log): method, path, status,
range, If-None-Match (inm), User-Agent (ua), Authorization (auth), which
listener (server: "main" or "files"), the client's port (peer), start and
end times.
"""
import argparse
import base64
import email.utils
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
import zipfile

BASE_TIME = 1672531200  # 2023-01-01: upload times of the files on disk
PEP691 = "application/vnd.pypi.simple.v1+json"


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_name(filename):
    """(project, version, ecosystem) from a package file name."""
    f = filename
    if f.endswith(".tgz"):
        stem = f[:-4]
        m = re.match(r"^(.*?)-(\d[^-]*(?:-[^-]+)?)$", stem)
        return (m.group(1), m.group(2), "npm") if m else (stem, "0", "npm")
    if f.endswith(".whl") or f.endswith(".egg"):
        parts = f.rsplit(".", 1)[0].split("-")
        return parts[0], parts[1] if len(parts) > 1 else "0", "pypi"
    if f.endswith(".deb"):
        parts = f[:-4].split("_")
        return parts[0], parts[1] if len(parts) > 1 else "0", "pypi"
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".zip", ".tar", ".gem", ".jar"):
        if f.endswith(ext):
            stem = f[: -len(ext)]
            if "-" in stem:
                name, ver = stem.rsplit("-", 1)
                return name, ver, "pypi"
            return stem, "0", "pypi"
    return None


def variant(data, tag):
    """The same package with other bytes: a new gzip header, a zip comment."""
    if data[:2] == b"\x1f\x8b":
        return gzip.compress(gzip.decompress(data), mtime=abs(hash(tag)) % (1 << 31))
    if data[:2] == b"PK":
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a") as z:
            z.comment = tag.encode()
        return buf.getvalue()
    return data + b"\n"


class File:
    def __init__(self, fid, filename, project, version, eco, data=None, path=None,
                 upload_time=None, serial=0):
        self.id = fid
        self.filename = filename
        self.project = project
        self.key = normalize(project)  # what project_files compares, once
        self.version = version
        self.eco = eco
        self.path = path
        self.data = data
        raw = data if data is not None else open(path, "rb").read()
        self.size = len(raw)
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.sha1 = hashlib.sha1(raw).hexdigest()
        self.sha512 = base64.b64encode(hashlib.sha512(raw).digest()).decode()
        self.upload_time = upload_time
        self.serial = serial

    def read(self):
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as f:
            return f.read()


class Index:
    def __init__(self, root, pypi_all):
        self.lock = threading.Lock()
        self.files = []
        self.serial = 0
        self.faults = []
        self.etag_serial = None
        names = []
        for dirpath, _, fnames in os.walk(root):
            for n in fnames:
                names.append(os.path.join(dirpath, n))
        for i, path in enumerate(sorted(names)):
            parsed = parse_name(os.path.basename(path))
            if not parsed:
                continue
            project, version, eco = parsed
            self.serial += 1
            self.files.append(File(len(self.files), os.path.basename(path), project, version,
                                   eco, path=path, upload_time=BASE_TIME + 3600 * i,
                                   serial=self.serial))
            if pypi_all and eco == "npm":
                self.serial += 1
                self.files.append(File(len(self.files), os.path.basename(path), project,
                                       version, "pypi", path=path,
                                       upload_time=BASE_TIME + 3600 * i, serial=self.serial))

    # ---- views ----
    def project_files(self, eco, name):
        n = normalize(name)
        return [f for f in self.files if f.eco == eco and f.key == n]

    def projects(self, eco):
        out = {}
        for f in self.files:
            if f.eco == eco:
                key = f.key
                name, serial = out.get(key, (f.project, 0))
                out[key] = (name, max(serial, f.serial))
        return out

    def publish(self, req):
        src = [f for f in self.files if f.filename == req["from"]]
        if not src:
            raise KeyError(req["from"])
        s = src[0]
        data = variant(s.read(), req["filename"])
        self.serial += 1
        f = File(len(self.files), req["filename"], req.get("project", s.project),
                 req.get("version", s.version), req.get("eco", s.eco), data=data,
                 upload_time=int(time.time()), serial=self.serial)
        self.files.append(f)
        return f

    def fault_for(self, path):
        with self.lock:
            for flt in self.faults:
                if flt["match"] in path and flt.get("times", -1) != 0:
                    if flt.get("times", -1) > 0:
                        flt["times"] -= 1
                    return flt["fault"]
        return None

    def wrong_hash(self, filename):
        with self.lock:
            return any(f["fault"] == "wrong-hash" and f["match"] in filename
                       for f in self.faults)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(t))


class Headers(dict):
    """A request's header fields by lower-case name: all the handlers read."""

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)


def parse_headers(fp, _class=None):
    """http.client.parse_headers without the email package, which was a third
    of this server's CPU per request; the benchmarks run it on the cores of
    the pkgleaks they measure (bench/registry.py)."""
    h = Headers()
    for _ in range(100):
        line = fp.readline(65537)
        if len(line) > 65536:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if sep:
            h[name.strip().lower()] = value.strip()
    else:
        raise http.client.HTTPException("got more than 100 headers")
    return h


# BaseHTTPRequestHandler.parse_request calls http.client.parse_headers.
http.client.parse_headers = parse_headers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes
    server_version = "fake-index/1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        # The TLS handshake here, in the request's thread, not in accept().
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.command, self.path, self.headers = None, "", {}
                self.log_request_line(0, {"tls_error": str(e)})
                # Closed at once, the client may find the connection gone
                # before it reads the alert that says why.
                time.sleep(0.3)
                raise
        super().setup()

    def client_cert(self):
        if not isinstance(self.request, ssl.SSLSocket):
            return None
        cert = self.request.getpeercert()
        for rdn in (cert or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None

    def log_request_line(self, status, extra=None):
        if not self.server.log:
            return
        row = {"method": self.command, "path": self.path, "status": status,
               "range": self.headers.get("Range"), "ua": self.headers.get("User-Agent"),
               "inm": self.headers.get("If-None-Match"), "peer": self.client_address[1],
               "auth": self.headers.get("Authorization"), "server": self.server.role,
               "cert": self.client_cert(),
               "start": getattr(self, "started", None), "time": time.time()}
        if extra:
            row.update(extra)
        with self.server.log_lock:
            self.server.log.write(json.dumps(row) + "\n")
            self.server.log.flush()

    # ---- answers ----
    def send_body(self, status, body, ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-PyPI-Last-Serial", str(self.server.index.serial))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.log_request_line(status)

    def send_json(self, obj, status=200, ctype="application/json", headers=()):
        self.send_body(status, json.dumps(obj).encode(), ctype, headers)

    def not_found(self):
        self.send_body(404, b'{"message": "Not Found"}')

    def apply_fault(self, fault):
        """True when the fault answered the request."""
        if not fault or fault == "wrong-hash":
            return False
        if fault.startswith("slow:"):
            time.sleep(float(fault[5:]))
            return False
        if fault == "redirect" and self.server.files_server:
            fs = self.server.files_server
            self.send_response(302)
            self.send_header("Location", "%s://%s:%d%s" % (fs.scheme, fs.server_address[0],
                                                          fs.server_address[1], self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.log_request_line(302)
            return True
        if fault == "500":
            self.send_body(500, b"internal error")
        elif fault.startswith("429:"):
            self.send_body(429, b"slow down", headers=[("Retry-After", fault[4:])])
        elif fault == "404":
            self.not_found()
        else:
            return False
        return True

    def do_GET(self):
        self.started = time.time()
        index = self.server.index
        path = urllib.parse.unquote(self.path.split("?", 1)[0])
        fault = index.fault_for(self.path) if self.server.role == "main" else None
        if self.apply_fault(fault):
            return
        need = self.server.require_auth
        if need and (path.startswith("/npm/") or path.startswith("/files/")) and \
                self.headers.get("Authorization") != need:
            return self.send_body(401, b'{"error": "authentication required"}',
                                  headers=[("WWW-Authenticate", 'Bearer realm="fake"')])
        try:
            self.route(path, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, path, fault):
        index = self.server.index
        if path.startswith("/files/"):
            return self.serve_file(path, fault)
        if self.server.role != "main":
            return self.not_found()
        if path.startswith("/pypi/"):
            return self.pypi_json(path)
        if path == "/simple/" or path == "/simple":
            return self.simple_root()
        if path.startswith("/simple/"):
            return self.simple_project(path)
        if path == "/rss/updates.xml":
            return self.rss()
        if path == "/npm/_all_docs":
            return self.npm_all_docs()
        if path.startswith("/npm/"):
            return self.npm(path[5:])
        if path == "/_control/state":
            with index.lock:
                return self.send_json({"serial": index.serial, "files": [
                    {"filename": f.filename, "project": f.project, "version": f.version,
                     "eco": f.eco, "sha256": f.sha256, "url": self.file_url(f)}
                    for f in index.files]})
        self.not_found()

    def file_url(self, f, server=None):
        srv = server or self.server
        return "%s://%s:%d/files/%d/%s" % (srv.scheme, srv.server_address[0],
                                          srv.server_address[1], f.id,
                                          urllib.parse.quote(f.filename))

    def send_file_plain(self, path, start, length):
        """os.sendfile straight to the socket (socket.sendfile costs a
        selector and more Python per call)."""
        self.wfile.flush()
        fd = os.open(path, os.O_RDONLY)
        try:
            out, pos, end = self.connection.fileno(), start, start + length
            while pos < end:
                sent = os.sendfile(out, fd, pos, end - pos)
                if sent == 0:
                    break
                pos += sent
        finally:
            os.close(fd)

    def serve_file(self, path, fault):
        m = re.match(r"^/files/(\d+)/(.+)$", path)
        index = self.server.index
        if not m or int(m.group(1)) >= len(index.files):
            return self.not_found()
        f = index.files[int(m.group(1))]
        start = 0
        rng = self.headers.get("Range")
        rm = re.match(r"^bytes=(\d+)-$", rng or "")
        if rm and int(rm.group(1)) < f.size:
            start = int(rm.group(1))
        length = f.size - start
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, f.size - 1, f.size))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(f.read()[start:start + length // 2])
            self.wfile.flush()
            self.close_connection = True
            self.log_request_line(206 if start else 200, {"truncated": True})
            return
        if f.path and isinstance(self.connection, ssl.SSLSocket):
            with open(f.path, "rb") as fp:
                self.connection.sendfile(fp, offset=start, count=length)
        elif f.path:  # zero-copy, so that the server costs the benchmark little CPU
            self.send_file_plain(f.path, start, length)
        else:
            self.wfile.write(f.read()[start:])
        self.log_request_line(206 if start else 200, {"bytes": length})

    # ---- PyPI ----
    def sha256_of(self, f):
        if self.server.index.wrong_hash(f.filename):
            return hashlib.sha256(b"not " + f.filename.encode()).hexdigest()
        return f.sha256

    def json_file(self, f):
        return {"filename": f.filename, "url": self.file_url(f), "size": f.size,
                "digests": {"sha256": self.sha256_of(f), "md5": ""},
                "upload_time": iso(f.upload_time)[:19],
                "upload_time_iso_8601": iso(f.upload_time),
                "yanked": f.filename.startswith("yanked"), "packagetype": "sdist"}

    def pypi_json(self, path):
        parts = [p for p in path.split("/") if p]
        if len(parts) not in (3, 4) or parts[-1] != "json":
            return self.not_found()
        index = self.server.index
        with index.lock:
            files = index.project_files("pypi", parts[1])
        if not files:
            return self.not_found()
        releases = {}
        for f in files:
            releases.setdefault(f.version, []).append(f)
        latest = max(releases, key=lambda v: max(f.upload_time for f in releases[v]))
        version = parts[2] if len(parts) == 4 else latest
        if version not in releases:
            return self.not_found()
        doc = {"info": {"name": files[0].project, "version": version},
               "urls": [self.json_file(f) for f in releases[version]],
               "last_serial": max(f.serial for f in files)}
        if len(parts) == 3:
            doc["releases"] = {v: [self.json_file(f) for f in fs] for v, fs in releases.items()}
        self.send_json(doc, headers=[("X-PyPI-Last-Serial-Project", str(doc["last_serial"]))])

    def wants_json(self):
        return PEP691 in (self.headers.get("Accept") or "")

    def simple_root(self):
        index = self.server.index
        with index.lock:
            projects = index.projects("pypi")
            serial = index.serial
        etag = '"serial-%d"' % serial
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("X-PyPI-Last-Serial", str(serial))
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.log_request_line(304)
            return
        if not self.wants_json():
            html = "".join('<a href="/simple/%s/">%s</a>\n' % (k, n)
                           for k, (n, _) in sorted(projects.items()))
            return self.send_body(200, html.encode(), "text/html", [("ETag", etag)])
        doc = {"meta": {"api-version": "1.1", "_last-serial": serial},
               "projects": [{"name": n, "_last-serial": s}
                            for _, (n, s) in sorted(projects.items())]}
        self.send_json(doc, ctype=PEP691, headers=[("ETag", etag)])

    def simple_project(self, path):
        name = path[len("/simple/"):].strip("/")
        index = self.server.index
        with index.lock:
            files = index.project_files("pypi", name)
        if not files:
            return self.not_found()
        if not self.wants_json():
            html = "".join('<a href="%s#sha256=%s">%s</a>\n' % (self.file_url(f), f.sha256,
                                                                  f.filename) for f in files)
            return self.send_body(200, html.encode(), "text/html")
        # Relative URLs, as PyPI's own pages have them.
        doc = {"meta": {"api-version": "1.1", "_last-serial": max(f.serial for f in files)},
               "name": files[0].project,
               "versions": sorted({f.version for f in files}),
               "files": [{"filename": f.filename,
                          "url": "../../files/%d/%s" % (f.id, urllib.parse.quote(f.filename)),
                          "hashes": {"sha256": self.sha256_of(f)}, "size": f.size,
                          "upload-time": iso(f.upload_time),
                          "yanked": f.filename.startswith("yanked")} for f in files]}
        self.send_json(doc, ctype=PEP691)

    def rss(self):
        index = self.server.index
        with index.lock:
            files = sorted((f for f in index.files if f.eco == "pypi"),
                           key=lambda f: -f.serial)[:100]
        items = "".join(
            "<item><title>%s %s</title><link>http://x/project/%s/%s/</link>"
            "<pubDate>%s</pubDate></item>\n" % (f.project, f.version, f.project, f.version,
                                                email.utils.formatdate(f.upload_time,
                                                                       usegmt=True))
            for f in files)
        body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>updates</title>'
                "%s</channel></rss>" % items)
        self.send_body(200, body.encode(), "text/xml")

    # ---- npm ----
    def npm(self, name):
        index = self.server.index
        with index.lock:
            files = index.project_files("npm", name)
        if not files:
            return self.not_found()
        versions, times = {}, {}
        for f in files:
            wrong = index.wrong_hash(f.filename)
            versions[f.version] = {
                "name": f.project, "version": f.version,
                "dist": {"tarball": self.file_url(f, self.server.tarball_server),
                         "shasum": hashlib.sha1(b"x").hexdigest() if wrong else f.sha1,
                         "integrity": "sha512-" + (base64.b64encode(
                             hashlib.sha512(b"x").digest()).decode() if wrong else f.sha512)}}
            times[f.version] = iso(f.upload_time)
        latest = max(files, key=lambda f: f.upload_time).version
        self.send_json({"name": files[0].project, "dist-tags": {"latest": latest},
                        "versions": versions, "time": times})

    def npm_all_docs(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        limit = int(q.get("limit", ["1000000"])[0])
        start = json.loads(q["startkey"][0]) if "startkey" in q else None
        if self.server.all_docs_no_startkey:
            start = None
        index = self.server.index
        with index.lock:
            names = sorted(n for n, _ in index.projects("npm").values())
        rows = [{"id": n, "key": n, "value": {"rev": "1-0"}}
                for n in names if start is None or n >= start][:min(limit, self.server.all_docs_max)]
        self.send_json({"total_rows": len(names), "offset": 0, "rows": rows})

    # ---- control ----
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        index = self.server.index
        if self.path == "/_control/publish":
            with index.lock:
                try:
                    f = index.publish(body)
                except KeyError as e:
                    return self.send_json({"error": "no file %s" % e}, 404)
            return self.send_json({"serial": index.serial, "sha256": f.sha256,
                                   "url": self.file_url(f)})
        if self.path == "/_control/faults":
            with index.lock:
                index.faults = body
            return self.send_json({"ok": True})
        self.not_found()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    scheme = "http"

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


def use_tls(srv, a, client_cert):
    """Wraps the listener: HTTPS, and client certificates asked (optional)
    or required."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.tls_cert, a.tls_key)
    if a.tls_client_ca:
        ctx.load_verify_locations(a.tls_client_ca)
        ctx.verify_mode = client_cert
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.scheme = "https"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--faults")
    ap.add_argument("--pypi-all", action="store_true")
    ap.add_argument("--require-auth")
    ap.add_argument("--files-port-file")
    ap.add_argument("--tarballs-on-main", action="store_true")
    ap.add_argument("--all-docs-max", type=int, default=1 << 30)
    ap.add_argument("--all-docs-no-startkey", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.index = Index(a.root, a.pypi_all)
    srv.role, srv.require_auth, srv.files_server = "main", a.require_auth, None
    if a.tls_cert:
        use_tls(srv, a, ssl.CERT_REQUIRED)
    if a.files_port_file:
        fs = Server(("127.0.0.1", 0), Handler)
        fs.index, fs.role, fs.require_auth, fs.files_server = srv.index, "files", None, None
        if a.tls_cert:
            use_tls(fs, a, ssl.CERT_OPTIONAL)
        srv.files_server = fs
        threading.Thread(target=fs.serve_forever, daemon=True).start()
    srv.tarball_server = None if a.tarballs_on_main else srv.files_server
    srv.all_docs_max = a.all_docs_max
    srv.all_docs_no_startkey = a.all_docs_no_startkey
    if a.faults:
        with open(a.faults) as f:
            srv.index.faults = json.load(f)
    srv.log = open(a.log, "a") if a.log else None
    srv.log_lock = threading.Lock()
    if srv.files_server:
        srv.files_server.log, srv.files_server.log_lock = srv.log, srv.log_lock
        tmp = a.files_port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.files_server.server_address[1]))
        os.rename(tmp, a.files_port_file)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(tmp, a.port_file)
    print("fake index on http://127.0.0.1:%d (%d files)" % (srv.server_address[1],
                                                           len(srv.index.files)),
          file=sys.stderr)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
