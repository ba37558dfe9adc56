#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# htmlform.py PAGE FORM [NAME=VALUE...]: the fields of a form of a saved HTML page
# (FORM: its id, or a part of its action) as NUL-terminated name=value pairs,
# as a browser would submit them: inputs (checked boxes only), selects (the
# selected option), textareas. NAME=VALUE overrides or adds a field, NAME=
# drops it. For the tests that drive real web applications over HTTP.
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s, match):
        super().__init__(convert_charrefs=True); s.match = match; s.inform = False; s.f = []; s.sel = None; s.ta = None; s.done = False
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "form" and not s.done: s.inform = s.match in (a.get("action") or "") or s.match == a.get("id")
        if not s.inform: return
        if t == "input" and a.get("name") and a.get("type", "text") not in ("submit", "button", "image", "file", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a: return
            s.f.append([a["name"], a.get("value") or ("1" if a.get("type") == "checkbox" else "")])
        elif t == "select": s.sel = [a.get("name"), None, None]
        elif t == "option" and s.sel:
            v = a.get("value", "")
            if s.sel[2] is None: s.sel[2] = v
            if "selected" in a: s.sel[1] = v
        elif t == "textarea": s.ta = [a.get("name"), ""]
    def handle_data(s, d):
        if s.ta is not None: s.ta[1] += d
    def handle_endtag(s, t):
        if not s.inform: return
        if t == "select" and s.sel:
            if s.sel[0]: s.f.append([s.sel[0], s.sel[1] if s.sel[1] is not None else (s.sel[2] or "")])
            s.sel = None
        elif t == "textarea" and s.ta:
            if s.ta[0]: s.f.append([s.ta[0], s.ta[1].lstrip("\n")])
            s.ta = None
        elif t == "form": s.inform = False; s.done = bool(s.f)
p = P(sys.argv[2]); p.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
f = p.f
for o in sys.argv[3:]:
    k, v = o.split("=", 1)
    f = [x for x in f if x[0] != k]
    if v: f.append([k, v])
for k, v in f:
    sys.stdout.write("%s=%s\0" % (k, v))
