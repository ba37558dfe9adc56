#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# smtp_receiver.py PORTFILE MAILDIR MODEFILE: a real SMTP server (aiosmtpd) on
# 127.0.0.1 that stores every accepted message as MAILDIR/N.eml (the bytes as
# received) and appends one line per DATA to MAILDIR/log. MODEFILE: ok, 451
# (try later), 451once (451 to the first DATA, then ok), 550 (refused).
import os, socket, sys, time
from aiosmtpd.controller import Controller

portfile, maildir, modefile = sys.argv[1:4]
os.makedirs(maildir, exist_ok=True)
state = {"n": 0, "once": False}


class Handler:
    async def handle_DATA(self, server, session, envelope):
        try:
            mode = open(modefile).read().strip() or "ok"
        except OSError:
            mode = "ok"
        with open(os.path.join(maildir, "log"), "a") as f:
            f.write("%s %s\n" % (mode, ",".join(envelope.rcpt_tos)))
        if mode == "451" or (mode == "451once" and not state["once"]):
            state["once"] = True
            return "451 4.3.0 try again later"
        if mode == "550":
            return "550 5.7.1 refused"
        state["n"] += 1
        with open(os.path.join(maildir, "%d.eml" % state["n"]), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 OK"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
c = Controller(Handler(), hostname="127.0.0.1", port=port)
c.start()
with open(portfile + ".tmp", "w") as f:
    f.write(str(port))
os.rename(portfile + ".tmp", portfile)
while True:
    time.sleep(3600)
