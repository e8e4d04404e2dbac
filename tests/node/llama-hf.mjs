// SPDX-License-Identifier: Apache-2.0
//
// llama-hf.mjs: node-llama-cpp (pinned in package-lock.json) resolving a model by its
// Hugging Face URI against a Hub endpoint, as llama.cpp's `-hf user/model:TAG` does: it asks
// GET /v2/USER/MODEL/manifests/TAG (User-Agent llama-cpp) which GGUF file TAG names, then
// downloads it from /USER/MODEL/resolve/main/FILE. Then it loads the model with the
// prebuilt llama.cpp and completes a prompt, greedily.
//
//   node llama-hf.mjs HUB_URL hf:USER/MODEL[:TAG] DIR [--no-load]
//
// Prints one JSON object: {path, sha256, size, completion, tokens}.
// Exit codes: 0 resolved (and, unless --no-load, loaded and completed); 1 resolving or
// downloading failed (stderr says why); 2 loading or completing failed; 64 usage.

import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { getLlama, LlamaCompletion, resolveModelFile } from "node-llama-cpp";

for (const k of ["log", "info", "debug"]) console[k] = (...a) => process.stderr.write(a.join(" ") + "\n");

const [hubUrl, uri, dir, ...rest] = process.argv.slice(2);
if (!hubUrl || !uri || !dir || rest.some((a) => a !== "--no-load")) {
	process.stderr.write("usage: node llama-hf.mjs HUB_URL hf:USER/MODEL[:TAG] DIR [--no-load]\n");
	process.exit(64);
}

let path;
try {
	path = await resolveModelFile(uri, { directory: dir, cli: false, endpoints: { huggingFace: hubUrl } });
} catch (e) {
	process.stderr.write(`resolve: ${e && e.message ? e.message : e}\n`);
	process.exit(1);
}
const bytes = await readFile(path);
const out = { path, sha256: createHash("sha256").update(bytes).digest("hex"), size: (await stat(path)).size };
if (!rest.includes("--no-load")) {
	try {
		const llama = await getLlama({ build: "never", gpu: false, logLevel: "error" });
		const model = await llama.loadModel({ modelPath: path });
		const context = await model.createContext({ contextSize: 128, threads: 1 });
		const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
		const text = await completion.generateCompletion("the answer is", { maxTokens: 8, temperature: 0 });
		out.completion = text;
		out.tokens = model.tokenize(text).length;
		await context.dispose();
		await model.dispose();
		await llama.dispose();
	} catch (e) {
		process.stderr.write(`load: ${e && e.stack ? e.stack : e}\n`);
		process.exit(2);
	}
}
process.stdout.write(JSON.stringify(out) + "\n");
