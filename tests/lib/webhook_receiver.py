#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# webhook_receiver.py PORTFILE LOG MODEFILE SECRET: a real HTTP server on
# 127.0.0.1 (port chosen by the kernel, written to PORTFILE) that records every
# POST as one JSON line in LOG: headers, body (and its bytes in base64),
# whether its Standard Webhooks signature verified with SECRET,
# the status it answered. MODEFILE says how to answer the next request: ok,
# 503 (with Retry-After: 1), 400, slow:N (answer 200 after N seconds),
# huge (200 with 1 MiB of body), garbage (bytes that are not HTTP).
import base64, hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, modefile, secret = sys.argv[1:5]
lock = threading.Lock()


def verify(secret, headers, body, max_age=300):
    """How a receiver without the library checks a wsid webhook (doc/notifications.md,
    "Verifying a webhook"): Standard Webhooks, v1 signatures."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    if not msg_id or not ts.isdigit() or abs(time.time() - int(ts)) > max_age:
        return False  # missing or stale timestamp: a replay
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(s, expected) for s in headers.get("webhook-signature", "").split())


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
               "body": body.decode("utf-8", "replace"),
               "body_b64": base64.b64encode(body).decode(), "verified": verify(secret, self.headers, body),
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
