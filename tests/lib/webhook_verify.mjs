// SPDX-License-Identifier: GPL-2.0-or-later
// webhook_verify.mjs LOG PATH SCHEME SECRET...: checks every delivery that
// webhook_receiver.py logged for PATH (answered 200) with a receiver's real
// library: SCHEME "standard" is the standardwebhooks package (every SECRET on
// its own must verify: a rotation's new and previous secret), "github" is
// @octokit/webhooks-methods' verify of X-Hub-Signature-256. Then it attacks
// each delivery the way a forger or a replayer would, and the library must
// refuse: one body byte changed, a wrong secret, the same request 10 minutes
// later (standard only: its timestamp is signed). Prints one JSON object:
// {"deliveries": N, "good": N, "refused": {"tampered": N, ...}, "errors": [...]}.
// NODE_PATH is not read by ES modules: the caller runs it from a directory
// whose node_modules has the packages (scripts/fixtures.sh npm_modules).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [logfile, path, scheme, ...secrets] = process.argv.slice(2);
const require = createRequire(pathToFileURL(process.cwd() + "/"));
const { Webhook } = require("standardwebhooks");
// an ES module only: its entry point for node, as its package.json exports it
const okdir = process.cwd() + "/node_modules/@octokit/webhooks-methods/";
const okpkg = JSON.parse(readFileSync(okdir + "package.json", "utf8"));
const octokit = await import(pathToFileURL(okdir + okpkg.exports["."].node.import));

const recs = readFileSync(logfile, "utf8").split("\n").filter((l) => l.trim())
	.map((l) => JSON.parse(l)).filter((r) => !r.start && r.path === path && r.status === 200);
const out = { deliveries: recs.length, good: 0, refused: { tampered: 0, wrong_secret: 0, replayed: 0 }, errors: [] };
// the key of a wsid secret: whsec_ is the library's own format; a plain
// string is its UTF-8 bytes (format "raw")
const hook = (s) => (s.startsWith("whsec_") ? new Webhook(s) : new Webhook(Buffer.from(s, "utf8"), { format: "raw" }));

async function accepts(body, headers, secret) {
	try {
		if (scheme === "github")
			return await octokit.verify(secret, body.toString("utf8"), headers["X-Hub-Signature-256"] ?? "");
		hook(secret).verify(body, headers);
		return true;
	} catch (e) {
		return false;
	}
}

for (const r of recs) {
	const body = Buffer.from(r.body_b64, "base64");
	const tampered = Buffer.from(body);
	tampered[Math.floor(tampered.length / 2)] ^= 0x01;
	let good = true;
	for (const s of secrets)
		if (!(await accepts(body, r.headers, s))) {
			good = false;
			out.errors.push(`${r.headers["webhook-id"]}: refused with secret #${secrets.indexOf(s)}`);
		}
	if (good)
		out.good++;
	if (!(await accepts(tampered, r.headers, secrets[0])))
		out.refused.tampered++;
	if (!(await accepts(body, r.headers, secrets[0] + "x")))
		out.refused.wrong_secret++;
	if (scheme === "standard") {
		const now = Date.now;
		Date.now = () => now() + 600 * 1000;
		if (!(await accepts(body, r.headers, secrets[0])))
			out.refused.replayed++;
		Date.now = now;
	}
}
console.log(JSON.stringify(out));
