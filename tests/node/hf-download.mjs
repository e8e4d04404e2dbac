// SPDX-License-Identifier: Apache-2.0
//
// hf-download.mjs: the Hugging Face JS client (@huggingface/hub, pinned in package-lock.json)
// run against a Hub endpoint, the way a user inside the air gap would with hubUrl.
//
//   node hf-download.mjs HUB_URL REPO OUTDIR [--revision REV] [--only PATH]... [--list-only]
//
// 1. modelInfo({name: REPO}) (the client's default revision unless --revision is given);
// 2. listFiles({recursive: true}), every page the server links;
// 3. for each file (or each --only PATH): fileDownloadInfo (a GET with Range: bytes=0-0) then
//    downloadFile with that info, writing the bytes to OUTDIR/PATH;
// 4. the check the client allows: the SHA-256 of the bytes received must equal the ETag the
//    server advertised for them (airlock serves every file's SHA-256 as its ETag), and the
//    byte count must equal the advertised size.
//
// Prints one JSON object on stdout: {name, sha, listed: [{type, path, size, oid, lfs}],
// files: [{path, size, etag, sha256, bytes}]}.
// Exit codes: 0 every file matched; 1 a file's bytes do not match its ETag or size (each
// named on stderr as "MISMATCH PATH: ..."); 2 the Hub API answered an error (stderr:
// "HubApiError STATUS: MESSAGE"); 3 a file does not exist (downloadFile gave null:
// "NOT FOUND PATH"); 4 any other error; 64 usage.

import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { HubApiError, downloadFile, fileDownloadInfo, listFiles, modelInfo } from "@huggingface/hub";

function usage(msg) {
	process.stderr.write(`hf-download: ${msg}\nusage: node hf-download.mjs HUB_URL REPO OUTDIR [--revision REV] [--only PATH]... [--list-only]\n`);
	process.exit(64);
}

const args = process.argv.slice(2);
const pos = [];
const only = [];
let revision;
let listOnly = false;
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--revision") {
		if (i + 1 >= args.length) usage("--revision needs a value");
		revision = args[++i];
	} else if (args[i] === "--only") {
		if (i + 1 >= args.length) usage("--only needs a value");
		only.push(args[++i]);
	} else if (args[i] === "--list-only") {
		listOnly = true;
	} else if (args[i].startsWith("--")) {
		usage(`unknown option ${args[i]}`);
	} else {
		pos.push(args[i]);
	}
}
if (pos.length !== 3) usage("needs HUB_URL REPO OUTDIR");
const [hubUrl, repo, outdir] = pos;
const root = resolve(outdir);

// The ETag as huggingface_hub reads it: quotes and a leading W/ stripped.
const bareEtag = (e) => e.replace(/^W\//, "").replace(/^"|"$/g, "");

async function main() {
	const info = await modelInfo({ name: repo, hubUrl, revision, additionalFields: ["sha"] });

	const listed = [];
	for await (const f of listFiles({ repo, hubUrl, revision, recursive: true })) {
		listed.push({ type: f.type, path: f.path, size: f.size, oid: f.oid, lfs: f.lfs });
	}

	const paths = only.length > 0 ? only : listed.filter((f) => f.type === "file").map((f) => f.path);
	const files = [];
	let bad = 0;
	if (!listOnly) {
		for (const path of paths) {
			const dl = await fileDownloadInfo({ repo, path, hubUrl, revision });
			if (dl === null) {
				process.stderr.write(`NOT FOUND ${path}\n`);
				process.exitCode = 3;
				continue;
			}
			const blob = await downloadFile({ repo, path, hubUrl, revision, downloadInfo: dl });
			if (blob === null) {
				process.stderr.write(`NOT FOUND ${path}\n`);
				process.exitCode = 3;
				continue;
			}
			const bytes = Buffer.from(await blob.arrayBuffer());
			const dest = resolve(root, path);
			if (!dest.startsWith(root + sep)) throw new Error(`the server listed a path outside OUTDIR: ${path}`);
			await mkdir(dirname(dest), { recursive: true });
			await writeFile(dest, bytes);
			const sha256 = createHash("sha256").update(bytes).digest("hex");
			const etag = bareEtag(dl.etag);
			if (sha256 !== etag || bytes.length !== dl.size) {
				process.stderr.write(
					`MISMATCH ${path}: advertised ETag ${etag} and size ${dl.size}, received sha256 ${sha256} and ${bytes.length} bytes\n`,
				);
				bad++;
			}
			files.push({ path, size: dl.size, etag, sha256, bytes: bytes.length });
		}
	}
	process.stdout.write(JSON.stringify({ name: info.name, sha: info.sha, listed, files }) + "\n");
	if (bad > 0) process.exitCode = 1;
}

main().catch((e) => {
	if (e instanceof HubApiError) {
		process.stderr.write(`HubApiError ${e.statusCode}: ${e.message}\n`);
		process.exit(2);
	}
	process.stderr.write(`hf-download: ${e && e.stack ? e.stack : e}\n`);
	if (e && e.cause) process.stderr.write(`hf-download: cause: ${e.cause.code ?? ""} ${e.cause.message ?? e.cause}\n`);
	process.exit(4);
});
