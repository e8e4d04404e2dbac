// SPDX-License-Identifier: Apache-2.0
//
// hf-api.mjs: the rest of the Hugging Face JS client's read API (@huggingface/hub, pinned in
// package-lock.json) against a Hub endpoint, as a user inside the air gap would call it with
// hubUrl set: each call's result goes into one JSON object on stdout, for the test to check.
//
//   node hf-api.mjs HUB_URL REPO CACHE_DIR [--path P]... [--missing P] [--owner O]
//
//   snapshot       snapshotDownload({repo, cacheDir}): the snapshot folder it returns, and
//                  the files under it with their SHA-256 (read back from disk)
//   scan           scanCacheDir(CACHE_DIR): the repos, revisions and files it finds
//   cached         downloadFileToCacheDir of the first --path: where it put the file
//   pathsInfo      pathsInfo({paths: every --path and --missing}): what the server answered
//   exists         fileExists of every --path (true expected) and --missing (false)
//   raw            downloadFile({raw: true}) of the first --path: the SHA-256 of its bytes
//   models         listModels({search: {owner: O}}) names (O defaults to REPO's owner)
//   commits        listCommits: oid, title, date of each
//
// Exit codes: 0 every call returned; 2 the Hub API answered an error (stderr: "HubApiError
// STATUS URL: MESSAGE"); 4 any other error; 64 usage.

import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import {
	HubApiError,
	downloadFile,
	downloadFileToCacheDir,
	fileExists,
	listCommits,
	listModels,
	pathsInfo,
	scanCacheDir,
	snapshotDownload,
} from "@huggingface/hub";

// the client logs progress with console.log: keep stdout for the result
for (const k of ["log", "info", "debug"]) console[k] = (...a) => process.stderr.write(a.join(" ") + "\n");

function usage(msg) {
	process.stderr.write(`hf-api: ${msg}\n`);
	process.exit(64);
}

const args = process.argv.slice(2);
const pos = [];
const paths = [];
const missing = [];
let owner;
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--path" || args[i] === "--missing" || args[i] === "--owner") {
		if (i + 1 >= args.length) usage(`${args[i]} needs a value`);
		const v = args[++i];
		if (args[i - 1] === "--path") paths.push(v);
		else if (args[i - 1] === "--missing") missing.push(v);
		else owner = v;
	} else if (args[i].startsWith("--")) {
		usage(`unknown option ${args[i]}`);
	} else {
		pos.push(args[i]);
	}
}
if (pos.length !== 3 || paths.length === 0) usage("HUB_URL REPO CACHE_DIR --path P... are needed");
const [hubUrl, repo, cacheDir] = pos;
const name = { type: "model", name: repo };
if (owner === undefined) owner = repo.includes("/") ? repo.split("/")[0] : repo;

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

async function walk(dir) {
	const out = [];
	for (const e of await readdir(dir, { withFileTypes: true })) {
		const p = join(dir, e.name);
		if (e.isDirectory()) out.push(...(await walk(p)));
		else out.push(p);
	}
	return out;
}

try {
	const result = {};

	const folder = await snapshotDownload({ repo: name, hubUrl, cacheDir });
	const files = [];
	for (const f of (await walk(folder)).sort()) {
		files.push({ path: relative(folder, f), size: (await stat(f)).size, sha256: sha256(await readFile(f)) });
	}
	result.snapshot = { folder: relative(cacheDir, folder), files };

	const scan = await scanCacheDir(cacheDir);
	result.scan = {
		repos: [...scan.repos].map((r) => ({
			id: r.id.name,
			type: r.id.type,
			files: r.filesCount,
			revisions: [...r.revisions].map((v) => ({
				commit: v.commitOid,
				refs: [...v.refs].sort(),
				files: [...v.files].map((f) => f.path).sort(),
			})),
		})),
		warnings: scan.warnings.map(String),
	};

	const cached = await downloadFileToCacheDir({ repo: name, path: paths[0], hubUrl, cacheDir });
	result.cached = { path: relative(cacheDir, cached), sha256: sha256(await readFile(cached)) };

	result.pathsInfo = await pathsInfo({ repo: name, paths: [...paths, ...missing], hubUrl });

	result.exists = {};
	for (const p of [...paths, ...missing]) result.exists[p] = await fileExists({ repo: name, path: p, hubUrl });

	const raw = await downloadFile({ repo: name, path: paths[0], hubUrl, raw: true });
	result.raw = raw ? { sha256: sha256(Buffer.from(await raw.arrayBuffer())) } : null;

	result.models = [];
	for await (const m of listModels({ search: { owner }, hubUrl })) result.models.push(m.name);

	result.commits = [];
	for await (const c of listCommits({ repo: name, hubUrl })) {
		result.commits.push({ oid: c.oid, title: c.title, date: c.date.toISOString() });
	}

	process.stdout.write(JSON.stringify(result) + "\n");
} catch (e) {
	if (e instanceof HubApiError) {
		process.stderr.write(`HubApiError ${e.statusCode} ${e.url}: ${e.message}\n`);
		process.exit(2);
	}
	process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
	process.exit(4);
}
