// SPDX-License-Identifier: Apache-2.0
//
// llm-server.mjs: a GGUF model behind an OpenAI-compatible HTTP endpoint, for the tests of
// clients that ask a model questions (an eval scoring golden answers). The engine is the
// real llama.cpp, through node-llama-cpp (pinned in package-lock.json, prebuilt CPU binaries,
// never a build from source), on one thread, offline.
//
//   node llm-server.mjs MODEL.gguf PORT
//
// Listens on 127.0.0.1:PORT (0: any free port) and prints "listening PORT" on stdout when it
// is ready; nothing else goes to stdout. SIGTERM (or SIGINT) stops it, exit status 0.
//
//   POST /v1/chat/completions   {messages, max_tokens|max_completion_tokens, temperature, top_p,
//                                seed, stop, n: 1}; the prompt is one "Role: content" line per
//                                message, then "Assistant:" ("User: Q\nAssistant:")
//   POST /v1/completions        {prompt, ...the same}
//   GET  /v1/models, GET /health
//
// Non-streaming only. max_tokens defaults to 32, temperature to 0 (greedy), seed to 0 (so even
// sampling repeats itself); stop strings (one or a list) cut the text where the first one starts. Requests run one at a time on a single
// sequence, each from an empty context, so the same request always gets the same answer.
// A bad request (JSON, fields, a prompt plus max_tokens over the context) is 400 with an
// OpenAI error object {"error": {message, type, param, code}}.
//
// Environment, for the tests:
//   LLM_DELAY_MS=MS       each completion request waits MS ms before it is answered
//   LLM_FAIL_EVERY=N      every Nth completion request (counting from 1) is answered 500
//   LLM_CTX=N             the context size (default and maximum: the model's)
//   LLM_MODEL_ID=NAME     the model's id in /v1/models and answers (default: the file's name)
//   LLM_LOG=FILE          one JSON line per completion request: n, path, status, prompt,
//                         text, finish_reason, ms (the time the server spent on it, fractional)
// Exit codes: 0 stopped by a signal; 1 the model did not load or the port is taken; 64 usage.

import { appendFileSync } from "node:fs";
import http from "node:http";
import { basename } from "node:path";
import { getLlama, LlamaCompletion, LlamaLogLevel } from "node-llama-cpp";

// stdout carries only the "listening" line (its reader may be gone after it): the library's
// own messages go to stderr
for (const k of ["log", "info", "debug", "warn"]) console[k] = (...a) => process.stderr.write(a.join(" ") + "\n");
process.stdout.on("error", () => {});

const [modelPath, portArg, ...extra] = process.argv.slice(2);
if (!modelPath || !/^\d+$/.test(portArg ?? "") || extra.length) {
	process.stderr.write("usage: node llm-server.mjs MODEL.gguf PORT\n");
	process.exit(64);
}
const envInt = (name, min) => {
	const v = process.env[name];
	if (v === undefined || v === "") return undefined;
	if (!/^\d+$/.test(v) || Number(v) < min) {
		process.stderr.write(`llm-server: ${name}=${v} is not an integer >= ${min}\n`);
		process.exit(64);
	}
	return Number(v);
};
const delayMs = envInt("LLM_DELAY_MS", 0) ?? 0;
const failEvery = envInt("LLM_FAIL_EVERY", 1) ?? 0;
const ctxWanted = envInt("LLM_CTX", 8);
const modelId = process.env.LLM_MODEL_ID || basename(modelPath).replace(/\.gguf$/i, "");
const logFile = process.env.LLM_LOG || "";
const MAX_BODY = 4 << 20;

let llama, model, context, sequence, completion;
try {
	llama = await getLlama({
		build: "never", gpu: false, skipDownload: true, usePrebuiltBinaries: true, progressLogs: false,
		maxThreads: 1, logLevel: LlamaLogLevel.error,
	});
	model = await llama.loadModel({ modelPath, gpuLayers: 0 });
	const contextSize = Math.min(ctxWanted ?? model.trainContextSize, model.trainContextSize);
	context = await model.createContext({ contextSize, threads: 1 });
	sequence = context.getSequence();
	completion = new LlamaCompletion({ contextSequence: sequence });
} catch (e) {
	process.stderr.write(`llm-server: cannot load ${modelPath}: ${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
}

class HttpError extends Error {
	constructor(status, message, param = null, code = null) {
		super(message);
		Object.assign(this, { status, param, code });
	}
}
const invalid = (message, param = null, code = null) => new HttpError(400, message, param, code);

// The fields both endpoints share, checked as OpenAI documents them.
function options(body) {
	const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? 32;
	if (!Number.isInteger(maxTokens) || maxTokens < 1) throw invalid("max_tokens must be an integer >= 1", "max_tokens");
	const temperature = body.temperature ?? 0;
	if (typeof temperature !== "number" || temperature < 0 || temperature > 2)
		throw invalid("temperature must be a number from 0 to 2", "temperature");
	const topP = body.top_p ?? undefined;
	if (topP !== undefined && (typeof topP !== "number" || topP <= 0 || topP > 1))
		throw invalid("top_p must be a number above 0, at most 1", "top_p");
	const seed = body.seed ?? undefined;
	if (seed !== undefined && !Number.isInteger(seed)) throw invalid("seed must be an integer", "seed");
	let stop = body.stop ?? [];
	if (typeof stop === "string") stop = [stop];
	if (!Array.isArray(stop) || stop.length > 4 || stop.some((s) => typeof s !== "string"))
		throw invalid("stop must be a string or a list of at most 4 strings", "stop");
	if (body.stream) throw invalid("stream is not supported", "stream");
	if ((body.n ?? 1) !== 1) throw invalid("n must be 1", "n");
	return { maxTokens, temperature, topP, seed, stop: stop.filter((s) => s !== "") };
}

function chatPrompt(messages) {
	if (!Array.isArray(messages) || messages.length === 0) throw invalid("messages must be a non-empty list", "messages");
	const lines = messages.map((m, i) => {
		if (m === null || typeof m !== "object" || typeof m.role !== "string" || m.role === "")
			throw invalid(`messages[${i}] must be an object with a role`, "messages");
		let text;
		if (typeof m.content === "string") text = m.content;
		else if (m.content == null) text = "";
		else if (Array.isArray(m.content)) text = m.content.map((p) => (p && p.type === "text" ? String(p.text ?? "") : "")).join("");
		else throw invalid(`messages[${i}].content must be a string or a list of parts`, "messages");
		return `${m.role[0].toUpperCase()}${m.role.slice(1)}: ${text}`;
	});
	return lines.join("\n") + "\nAssistant:";
}

function completionPrompt(prompt) {
	if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
	if (typeof prompt !== "string") throw invalid("prompt must be a string", "prompt");
	return prompt;
}

// generate PROMPT OPTS: one request on the sequence, from an empty context.
async function generate(prompt, opts, param) {
	const tokens = model.tokenize(prompt, false, "trimLeadingSpace");
	const promptTokens = tokens.length + (model.tokens.shouldPrependBosToken && model.tokens.bos != null ? 1 : 0);
	// past the context, node-llama-cpp would silently drop the start of the prompt
	if (promptTokens + opts.maxTokens > context.contextSize)
		throw invalid(`this model's context is ${context.contextSize} tokens; the prompt has ${promptTokens} ` +
			`and max_tokens asks for ${opts.maxTokens}`, param, "context_length_exceeded");
	await sequence.clearHistory();
	// stop strings are matched on the text here: the library's own stop triggers miss those that
	// begin with a space, the text being detokenized one token at a time
	const stopper = new AbortController();
	let text = "", generated = 0;
	const { response, metadata } = await completion.generateCompletionWithMeta(tokens, {
		maxTokens: opts.maxTokens, temperature: opts.temperature, topP: opts.topP, seed: opts.seed ?? 0,
		repeatPenalty: false, contextShiftSize: 1, disableContextShift: true,
		signal: stopper.signal, stopOnAbortSignal: true,
		onToken: (t) => { generated += t.length; },
		onTextChunk: (chunk) => {
			text += chunk;
			if (opts.stop.some((s) => text.includes(s))) stopper.abort();
		},
	});
	const cuts = opts.stop.map((s) => response.indexOf(s)).filter((i) => i >= 0);
	const cut = cuts.length ? Math.min(...cuts) : response.length;
	const finish = cuts.length || metadata.stopReason !== "maxTokens" ? "stop" : "length";
	return {
		text: response.slice(0, cut), finish,
		usage: { prompt_tokens: promptTokens, completion_tokens: generated, total_tokens: promptTokens + generated },
	};
}

let queue = Promise.resolve();
function serialised(fn) {
	const job = queue.then(fn);
	queue = job.catch(() => {});
	return job;
}

function send(res, status, obj) {
	if (res.destroyed) return;
	const raw = JSON.stringify(obj);
	res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(raw) });
	res.end(raw);
}

function sendError(res, e) {
	const status = e instanceof HttpError ? e.status : 500;
	const type = status >= 500 ? "server_error" : "invalid_request_error";
	send(res, status, { error: { message: String(e?.message ?? e), type, param: e?.param ?? null, code: e?.code ?? null } });
}

async function readBody(req) {
	const chunks = [];
	let size = 0;
	for await (const c of req) {
		size += c.length;
		if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`);
		chunks.push(c);
	}
	return Buffer.concat(chunks).toString("utf8");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let requests = 0, ids = 0;

async function complete(req, res, chat) {
	const n = ++requests, t0 = performance.now();
	const entry = { n, path: req.url };
	let closed = false;
	res.on("close", () => { closed = !res.writableFinished; });
	try {
		const raw = await readBody(req);
		if (delayMs) await sleep(delayMs);
		if (failEvery && n % failEvery === 0)
			throw new HttpError(500, `request ${n} fails on purpose (LLM_FAIL_EVERY=${failEvery})`);
		let body;
		try {
			body = JSON.parse(raw);
		} catch (e) {
			throw invalid(`the body is not JSON: ${e.message}`);
		}
		if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalid("the body must be a JSON object");
		const prompt = chat ? chatPrompt(body.messages) : completionPrompt(body.prompt);
		const opts = options(body);
		entry.prompt = prompt;
		const r = await serialised(() => (closed ? null : generate(prompt, opts, chat ? "messages" : "prompt")));
		if (r === null) return;   // the client went away while the request waited
		Object.assign(entry, { status: 200, text: r.text, finish_reason: r.finish });
		const head = { id: `${chat ? "chatcmpl" : "cmpl"}-${++ids}`, created: Math.floor(Date.now() / 1000), model: modelId };
		send(res, 200, chat
			? { ...head, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: r.text }, logprobs: null, finish_reason: r.finish }], usage: r.usage }
			: { ...head, object: "text_completion", choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finish }], usage: r.usage });
	} catch (e) {
		entry.status = e instanceof HttpError ? e.status : 500;
		entry.error = String(e?.message ?? e);
		sendError(res, e);
	} finally {
		if (logFile) {
			entry.ms = performance.now() - t0;   // fractional: bench/eval.sh sums them
			if (closed) entry.client_closed = true;
			appendFileSync(logFile, JSON.stringify(entry) + "\n");
		}
	}
}

const routes = {
	"/v1/chat/completions": { POST: (req, res) => complete(req, res, true) },
	"/v1/completions": { POST: (req, res) => complete(req, res, false) },
	"/v1/models": { GET: (req, res) => send(res, 200, { object: "list", data: [{ id: modelId, object: "model", created: 0, owned_by: "airlock-tests" }] }) },
	"/health": { GET: (req, res) => send(res, 200, { status: "ok" }) },
};

const server = http.createServer((req, res) => {
	const path = req.url.split("?")[0];
	const route = routes[path];
	if (!route) return sendError(res, new HttpError(404, `no route ${req.method} ${path}`));
	const handler = route[req.method];
	if (!handler) {
		res.setHeader("allow", Object.keys(route).join(", "));
		return sendError(res, new HttpError(405, `${req.method} is not allowed on ${path}`));
	}
	Promise.resolve().then(() => handler(req, res)).catch((e) => sendError(res, e));
});
server.on("error", (e) => {
	process.stderr.write(`llm-server: ${e.message}\n`);
	process.exit(1);
});
server.listen(Number(portArg), "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}\n`));

let stopping = false;
async function stop() {
	if (stopping) return;
	stopping = true;
	server.close();
	server.closeAllConnections();
	await llama.dispose();
	process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
