#!/usr/bin/env python3
"""A protocol-level MongoDB server for tests/e2e/test_validate_mongodb.sh
(Debian 12 has no MongoDB server): just enough of the wire protocol for
libmongoc's login (src/validate/mongodb.c) to tell a right password from a
wrong one, and a log of what each client did.

- OP_QUERY (the legacy handshake on admin.$cmd) and OP_MSG, answered with
  OP_REPLY and OP_MSG; BSON encoded and decoded here.
- hello / isMaster (with saslSupportedMechs, and speculativeAuthenticate
  answered like MongoDB >= 4.4 does), saslStart / saslContinue with
  SCRAM-SHA-256 and SCRAM-SHA-1 (RFC 5802/7677; MongoDB's SHA-1 variant
  hashes MD5("user:mongo:password") first), code 18 AuthenticationFailed
  for a wrong proof, ping, endSessions.
- Any other command (a read, a write, listDatabases...) is answered with an
  error and logged as UNEXPECTED, which fails the test: a validator must not
  read anything.

Only hashlib, hmac and the standard library.

    fake_mongo.py --user U --password P --log LOG --port-file PORT
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import socketserver
import struct
import threading

LOCK = threading.Lock()
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013


# ---- BSON ----

def _cstring(b, i):
    j = b.index(b"\x00", i)
    return b[i:j].decode(), j + 1


def bson_decode(b, i=0):
    size = struct.unpack_from("<i", b, i)[0]
    end = i + size - 1
    i += 4
    doc = {}
    while i < end:
        t = b[i]
        i += 1
        key, i = _cstring(b, i)
        if t == 0x01:
            v = struct.unpack_from("<d", b, i)[0]; i += 8
        elif t == 0x02:
            n = struct.unpack_from("<i", b, i)[0]
            v = b[i + 4:i + 4 + n - 1].decode(); i += 4 + n
        elif t in (0x03, 0x04):
            n = struct.unpack_from("<i", b, i)[0]
            v = bson_decode(b, i)
            if t == 0x04:
                v = list(v.values())
            i += n
        elif t == 0x05:
            n = struct.unpack_from("<i", b, i)[0]
            v = bytes(b[i + 5:i + 5 + n]); i += 5 + n
        elif t == 0x07:
            v = bytes(b[i:i + 12]); i += 12
        elif t == 0x08:
            v = b[i] != 0; i += 1
        elif t in (0x09, 0x12, 0x11):
            v = struct.unpack_from("<q", b, i)[0]; i += 8
        elif t == 0x0A:
            v = None
        elif t == 0x10:
            v = struct.unpack_from("<i", b, i)[0]; i += 4
        else:
            raise ValueError(f"BSON type {t:#x} not handled")
        doc[key] = v
    return doc


def bson_encode(doc):
    out = b""
    for k, v in doc.items():
        key = k.encode() + b"\x00"
        if isinstance(v, bool):
            out += b"\x08" + key + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += (b"\x10" + key + struct.pack("<i", v)) if -2**31 <= v < 2**31 else \
                (b"\x12" + key + struct.pack("<q", v))
        elif isinstance(v, float):
            out += b"\x01" + key + struct.pack("<d", v)
        elif isinstance(v, str):
            s = v.encode() + b"\x00"
            out += b"\x02" + key + struct.pack("<i", len(s)) + s
        elif isinstance(v, bytes):
            out += b"\x05" + key + struct.pack("<i", len(v)) + b"\x00" + v
        elif isinstance(v, dict):
            out += b"\x03" + key + bson_encode(v)
        elif isinstance(v, list):
            out += b"\x04" + key + bson_encode({str(n): x for n, x in enumerate(v)})
        elif isinstance(v, datetime.datetime):
            out += b"\x09" + key + struct.pack("<q", int(v.timestamp() * 1000))
        elif v is None:
            out += b"\x0A" + key
        else:
            raise TypeError(type(v))
    return struct.pack("<i", len(out) + 5) + out + b"\x00"


# ---- SCRAM (server side) ----

def scram_fields(msg):
    return dict(p.split("=", 1) for p in msg.split(",") if "=" in p)


class Scram:
    def __init__(self, mech, user, password, log):
        self.mech, self.log = mech, log
        self.h = hashlib.sha256 if mech == "SCRAM-SHA-256" else hashlib.sha1
        if mech == "SCRAM-SHA-1":
            password = hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()
        self.user = user
        # MongoDB's sizes, which libmongoc checks: 28-byte salts for
        # SHA-256, 16 for SHA-1; its default iteration counts.
        self.salt = os.urandom(28 if mech == "SCRAM-SHA-256" else 16)
        self.iters = 15000 if mech == "SCRAM-SHA-256" else 10000
        self.salted = hashlib.pbkdf2_hmac(self.h().name, password.encode(), self.salt, self.iters)
        self.done = False

    def first(self, payload):
        msg = payload.decode()
        if not msg.startswith("n,,"):
            raise ValueError(f"GS2 header {msg[:3]!r}")
        self.client_first_bare = msg[3:]
        f = scram_fields(self.client_first_bare)
        self.client_user = f.get("n", "")
        self.nonce = f["r"] + base64.b64encode(os.urandom(18)).decode()
        self.server_first = f"r={self.nonce},s={base64.b64encode(self.salt).decode()},i={self.iters}"
        return self.server_first.encode()

    def final(self, payload):
        """The server's final message, or None when the proof is wrong."""
        msg = payload.decode()
        without_proof, proof = msg.rsplit(",p=", 1)
        f = scram_fields(without_proof)
        if f.get("r") != self.nonce or f.get("c") != "biws":
            return None
        auth = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        client_key = hmac.new(self.salted, b"Client Key", self.h).digest()
        stored = self.h(client_key).digest()
        sig = hmac.new(stored, auth, self.h).digest()
        given = base64.b64decode(proof)
        if len(given) != len(sig) or self.client_user != self.user:
            return None
        if self.h(bytes(a ^ b for a, b in zip(given, sig))).digest() != stored:
            return None
        server_key = hmac.new(self.salted, b"Server Key", self.h).digest()
        self.done = True
        return ("v=" + base64.b64encode(hmac.new(server_key, auth, self.h).digest()).decode()).encode()


AUTH_FAILED = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18,
               "codeName": "AuthenticationFailed"}


class Conn(socketserver.BaseRequestHandler):
    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def log(self, **row):
        with LOCK, open(self.server.logfile, "a") as f:
            f.write(json.dumps(row) + "\n")

    def hello(self, cmd):
        r = {"helloOk": True, "ismaster": True, "isWritablePrimary": True,
             "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48000000,
             "maxWriteBatchSize": 100000, "localTime": datetime.datetime.now(datetime.timezone.utc),
             "connectionId": 1, "minWireVersion": 0, "maxWireVersion": 13, "readOnly": False,
             "ok": 1.0}
        if "saslSupportedMechs" in cmd:
            r["saslSupportedMechs"] = ["SCRAM-SHA-1", "SCRAM-SHA-256"]
        spec = cmd.get("speculativeAuthenticate")
        if isinstance(spec, dict) and "saslStart" in spec:
            answer = self.sasl_start(spec)
            if answer.get("ok"):
                r["speculativeAuthenticate"] = answer
        return r

    def sasl_start(self, cmd):
        mech = cmd.get("mechanism")
        if mech not in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
            return {"ok": 0.0, "errmsg": f"mechanism {mech} not supported", "code": 2}
        self.scram = Scram(mech, self.server.user, self.server.password, self.log)
        self.events.append(f"saslStart:{mech}")
        self.skip_empty = bool((cmd.get("options") or {}).get("skipEmptyExchange"))
        return {"conversationId": 1, "done": False, "payload": self.scram.first(cmd["payload"]),
                "ok": 1.0}

    def sasl_continue(self, cmd):
        s = getattr(self, "scram", None)
        if s is None:
            return AUTH_FAILED
        if s.done:
            return {"conversationId": 1, "done": True, "payload": b"", "ok": 1.0}
        final = s.final(cmd["payload"])
        if final is None:
            self.events.append("auth:failed")
            self.scram = None
            return AUTH_FAILED
        self.events.append("auth:ok")
        return {"conversationId": 1, "done": self.skip_empty, "payload": final, "ok": 1.0}

    def command(self, cmd):
        name = next(iter(cmd), "")
        low = name.lower()
        if low in ("hello", "ismaster"):
            self.events.append(name)
            return self.hello(cmd)
        if name == "saslStart":
            return self.sasl_start(cmd)
        if name == "saslContinue":
            return self.sasl_continue(cmd)
        if name in ("ping", "endSessions"):
            authed = getattr(self, "scram", None) is not None and self.scram.done
            self.events.append(f"{name}:{'authenticated' if authed else 'anonymous'}")
            if not authed:
                return {"ok": 0.0, "errmsg": "command requires authentication", "code": 13,
                        "codeName": "Unauthorized"}
            return {"ok": 1.0}
        self.events.append(f"UNEXPECTED:{name}")
        return {"ok": 0.0, "errmsg": f"no such command: '{name}'", "code": 59,
                "codeName": "CommandNotFound"}

    def handle(self):
        self.events = []
        try:
            while True:
                length, req_id, _, op = struct.unpack("<iiii", self.read_exact(16))
                body = self.read_exact(length - 16)
                if op == OP_QUERY:
                    coll, i = _cstring(body, 4)
                    cmd = bson_decode(body, i + 8)
                    if "$query" in cmd:
                        cmd = cmd["$query"]
                    if not coll.endswith(".$cmd"):
                        self.events.append(f"UNEXPECTED:query {coll}")
                    doc = bson_encode(self.command(cmd))
                    payload = struct.pack("<iqii", 0, 0, 0, 1) + doc
                    opcode = OP_REPLY
                elif op == OP_MSG:
                    flags = struct.unpack_from("<I", body, 0)[0]
                    end = len(body) - (4 if flags & 1 else 0)
                    i, cmd = 4, None
                    while i < end:
                        kind = body[i]
                        i += 1
                        if kind == 0:
                            cmd = bson_decode(body, i)
                            i += struct.unpack_from("<i", body, i)[0]
                        else:  # a document sequence (writes): size covers it all
                            self.events.append("UNEXPECTED:document sequence")
                            i += struct.unpack_from("<i", body, i)[0]
                    doc = bson_encode(self.command(cmd or {}))
                    payload = struct.pack("<IB", 0, 0) + doc
                    opcode = OP_MSG
                else:
                    self.events.append(f"UNEXPECTED:opcode {op}")
                    break
                self.request.sendall(struct.pack("<iiii", 16 + len(payload), req_id + 1000, req_id,
                                                 opcode) + payload)
        except (EOFError, ConnectionError):
            pass
        except Exception as e:  # a malformed message: log it, the test fails
            self.events.append(f"UNEXPECTED:error {e!r}")
        finally:
            self.log(events=self.events)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Conn)
    srv.user, srv.password, srv.logfile = a.user, a.password, a.log
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
