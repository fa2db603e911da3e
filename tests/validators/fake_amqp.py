#!/usr/bin/env python3
"""A protocol-level AMQP 0-9-1 broker for tests/e2e/test_validate_amqp.sh:
just enough of RabbitMQ's connection handshake (Start, Start-Ok with SASL
PLAIN, Tune or Close 403, Open) to tell a right password from a wrong one,
and to log what a client did: it fails the test (in the log) if a client
goes on past Connection.Open (opens a channel, declares, publishes).

    fake_amqp.py --user U --password P --log LOG --port-file PORT
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import threading

LOCK = threading.Lock()


def frame(ftype, channel, payload):
    return struct.pack(">BHI", ftype, channel, len(payload)) + payload + b"\xce"


def method(cls, meth, args):
    return frame(1, 0, struct.pack(">HH", cls, meth) + args)


def shortstr(s):
    b = s.encode()
    return bytes([len(b)]) + b


def longstr(b):
    return struct.pack(">I", len(b)) + b


class Conn(socketserver.BaseRequestHandler):
    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def read_frame(self):
        ftype, channel, size = struct.unpack(">BHI", self.read_exact(7))
        payload = self.read_exact(size)
        if self.read_exact(1) != b"\xce":
            raise ValueError("bad frame end")
        return ftype, channel, payload

    def log(self, **row):
        with LOCK, open(self.server.logfile, "a") as f:
            f.write(json.dumps(row) + "\n")

    def handle(self):
        events = []
        try:
            if self.read_exact(8) != b"AMQP\x00\x00\x09\x01":
                events.append("bad protocol header")
                return
            self.request.sendall(method(10, 10, b"\x00\x09" + struct.pack(">I", 0) +
                                        longstr(b"PLAIN") + longstr(b"en_US")))
            _, _, p = self.read_frame()
            cls, meth = struct.unpack(">HH", p[:4])
            assert (cls, meth) == (10, 11), "expected Start-Ok"
            i = 4
            tlen = struct.unpack(">I", p[i:i + 4])[0]
            i += 4 + tlen
            mech = p[i + 1:i + 1 + p[i]].decode()
            i += 1 + p[i]
            rlen = struct.unpack(">I", p[i:i + 4])[0]
            resp = p[i + 4:i + 4 + rlen]
            _, user, password = resp.split(b"\x00", 2)
            ok = mech == "PLAIN" and user.decode() == self.server.user and password.decode() == self.server.password
            events.append(f"login {'ok' if ok else 'refused'}")
            if not ok:
                self.request.sendall(method(10, 50, struct.pack(">H", 403) +
                                            shortstr("ACCESS_REFUSED - Login was refused") + struct.pack(">HH", 0, 0)))
                return
            self.request.sendall(method(10, 30, struct.pack(">HIH", 2047, 131072, 0)))
            while True:
                ftype, channel, p = self.read_frame()
                if ftype != 1:
                    continue
                cls, meth = struct.unpack(">HH", p[:4])
                if (cls, meth) == (10, 31):
                    events.append("tune-ok")
                elif (cls, meth) == (10, 40):
                    vhost = p[5:5 + p[4]].decode()
                    events.append(f"open {vhost}")
                    self.request.sendall(method(10, 41, shortstr("")))
                elif (cls, meth) == (10, 50):
                    events.append("close")
                    self.request.sendall(method(10, 51, b""))
                    return
                else:
                    events.append(f"UNEXPECTED method {cls}.{meth}")
                    return
        except (EOFError, ConnectionError, AssertionError, ValueError) as e:
            events.append(f"ended: {e.__class__.__name__}")
        finally:
            self.log(events=events)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Conn)
    srv.daemon_threads = True
    srv.user, srv.password, srv.logfile = a.user, a.password, a.log
    open(a.log, "a").close()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
