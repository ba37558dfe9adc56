#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# release_server.py PORTFILE ROOT LOG [CERT KEY]: a real HTTP server on
# 127.0.0.1 (port chosen by the kernel, written to PORTFILE) serving the files
# below ROOT by their URL path, as downloads.wordpress.org and the npm registry
# lay them out; with CERT and KEY (PEM) it speaks HTTPS. A query naming
# request[slug]=SLUG (api.wordpress.org's plugin information) is answered with
# the file PATH/SLUG.json.
# Every request is one JSON line in LOG (arrival time, path, Range header,
# status).
# ROOT/behaviour.json maps a URL path to how it is answered instead:
#   {"status": 500}            that status, empty body
#   {"delay": 5}               the file, after 5 seconds
#   {"cut": N}                 first request: the headers of the whole file and
#                              only N bytes, then the connection is closed;
#                              later requests are served (Range honoured)
# Range: bytes=N- is answered 206 with the rest of the file.
import json, os, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

portfile, root, logfile = sys.argv[1:4]
root = os.path.realpath(root)
lock = threading.Lock()
cut_done = set()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def record(self, status):
        with lock, open(logfile, "a") as f:
            f.write(json.dumps({"t": self.t0, "path": self.path,
                                "range": self.headers.get("Range"), "status": status}) + "\n")

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.record(status)

    def do_GET(self):
        self.t0 = time.time()  # when the request arrived
        try:
            beh = json.load(open(os.path.join(root, "behaviour.json"))).get(self.path, {})
        except (OSError, ValueError):
            beh = {}
        if "status" in beh:
            return self.answer(beh["status"], b"server error\n")
        if "delay" in beh:
            time.sleep(beh["delay"])
        rel = unquote(self.path.split("?")[0]).lstrip("/")
        slug = parse_qs(self.path.partition("?")[2]).get("request[slug]")
        if slug:
            rel = rel.rstrip("/") + "/" + slug[0] + ".json"
        path = os.path.realpath(os.path.join(root, rel))
        if not path.startswith(root + "/") or not os.path.isfile(path):
            return self.answer(404, b"not found\n")
        data = open(path, "rb").read()
        if "cut" in beh and self.path not in cut_done:
            cut_done.add(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:beh["cut"]])
            self.wfile.flush()
            self.record(200)
            self.close_connection = True
            return
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self.answer(416, b"", {"Content-Range": "bytes */%d" % len(data)})
            return self.answer(206, data[start:], {"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
        self.answer(200, data)


class S(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that timed out or gave up: expected here


srv = S(("127.0.0.1", 0), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
