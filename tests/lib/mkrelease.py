#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# mkrelease.py checksums SLUG VERSION DIR OUT   a WordPress.org checksum file of DIR
# mkrelease.py zip TOP DIR OUT                   a release zip of DIR below TOP/
# mkrelease.py evilzip OUT                       a zip with an entry "../x.php"
# Fixtures for tests/integration/fetch.sh, in the formats WordPress.org
# publishes (plugin-checksums/SLUG/VERSION.json, plugin/SLUG.VERSION.zip).
import hashlib, json, os, sys, zipfile


def files(d):
    for top, dirs, names in os.walk(d):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(top, n)
            yield os.path.relpath(p, d), p


mode = sys.argv[1]
if mode == "checksums":
    slug, ver, d, out = sys.argv[2:6]
    fl = {}
    for rel, p in files(d):
        b = open(p, "rb").read()
        fl[rel] = {"md5": hashlib.md5(b).hexdigest(), "sha256": hashlib.sha256(b).hexdigest()}
    json.dump({"plugin": slug, "version": ver, "source": "https://plugins.svn.wordpress.org/%s/tags/%s/" % (slug, ver),
               "zip": "https://downloads.wordpress.org/plugin/%s.%s.zip" % (slug, ver), "files": fl},
              open(out, "w"), indent=1)
elif mode == "zip":
    top, d, out = sys.argv[2:5]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(top + "/", "")
        for rel, p in files(d):
            z.write(p, top + "/" + rel)
elif mode == "evilzip":
    with zipfile.ZipFile(sys.argv[2], "w") as z:
        z.writestr("evil-plugin/evil-plugin.php", "<?php /* Plugin Name: Evil */\n")
        z.writestr("evil-plugin/../../x.php", "<?php system($_GET['c']);\n")
