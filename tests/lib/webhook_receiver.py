#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# webhook_receiver.py PORTFILE LOG MODEFILE SECRET: a real HTTP server on
# 127.0.0.1 (port chosen by the kernel, written to PORTFILE) that records every
# POST as one JSON line in LOG: headers, body, whether the signature verified,
# the status it answered. MODEFILE says how to answer the next request: ok,
# 503 (with Retry-After: 1), 400, slow:N (answer 200 after N seconds),
# huge (200 with 1 MiB of body), garbage (bytes that are not HTTP).
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, modefile, secret = sys.argv[1:5]
lock = threading.Lock()


def verify(secret, headers, body, max_age=300):
    """How a receiver checks a wsid webhook (README, "Verifying a webhook")."""
    ts = headers.get("X-Wsid-Timestamp", "")
    sig = headers.get("X-Hub-Signature-256", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > max_age:
        return False  # missing or stale timestamp: a replay
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig, "sha256=" + mac)


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            mode = open(modefile).read().strip() or "ok"
        except OSError:
            mode = "ok"
        rec = {"t": time.time(), "path": self.path, "headers": dict(self.headers),
               "body": body.decode("utf-8", "replace"), "verified": verify(secret, self.headers, body),
               "mode": mode}
        with lock, open(logfile, "a") as f:
            f.write(json.dumps({"start": True, **rec}) + "\n")
        status = 200
        if mode == "garbage":
            self.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
            self.close_connection = True
            status = -1
        elif mode.startswith("slow:"):
            time.sleep(float(mode[5:]))
        elif mode == "503":
            status = 503
        elif mode == "400":
            status = 400
        if status > 0:
            payload = b"x" * (1 << 20) if mode == "huge" else b"{\"ok\":true}"
            try:
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                status = -2
        rec["status"] = status
        with lock, open(logfile, "a") as f:
            f.write(json.dumps(rec) + "\n")


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
