/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_drill.c: `airlock drill`: rehearse the next update on a scratch copy (docs/cmd/drill.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fsx.h"
#include "json.h"
#include "media.h"
#include "store.h"
#include "store_wait.h"
#include "trust.h"

struct drill {
	json_t *items;
	int failed;
	double t0;
};

/* One line of the checklist: OK is 1, 0 (it would block the update) or -1 (skipped). */
static void item(struct drill *d, const char *step, int ok, const char *fmt, ...) AL_PRINTF(4, 5);
static void item(struct drill *d, const char *step, int ok, const char *fmt, ...)
{
	char detail[1200];
	va_list ap;
	double now = cli_now();
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(d->items, json_pack("{s:s, s:o, s:f, s:s}", "step", step,
						  "ok", ok < 0 ? json_null() : json_boolean(ok), "seconds", now - d->t0,
						  "detail", detail));
	d->failed |= !ok;
	d->t0 = now;
}

enum { SOON = 30 * 86400 }; /* a key expiring within this is named, before it blocks */

/* One role: its threshold against its keys unexpired at NOW, into OUT; 0 when it cannot be met. */
static int role_reach(const struct al_trust_role *r, int64_t now, char *out, size_t cap)
{
	size_t live = 0, n = 0;
	char when[32];
	for (size_t k = 0; k < r->nkeys; k++)
		live += !al_trust_key_expired(r, k, now);
	n += (size_t)snprintf(out + n, cap - n, "%s %u of %zu keys%s", r->name, r->threshold, live,
			      live < r->nkeys ? " unexpired" : "");
	for (size_t k = 0; k < r->nkeys && n < cap; k++) {
		if (!r->expires[k] || r->expires[k] - now > SOON)
			continue;
		al_time_fmt(r->expires[k], when);
		n += (size_t)snprintf(out + n, cap - n, " (%s %s %s)", r->keys[k].id,
				      al_trust_key_expired(r, k, now) ? "EXPIRED at" : "expires at", when);
	}
	if (live < r->threshold && n < cap)
		snprintf(out + n, cap - n, " (UNREACHABLE)");
	return live >= r->threshold;
}

/* The trust policy: every role's threshold within its unexpired keys. */
static void check_policy(struct drill *d, struct al_store *s)
{
	struct al_err err = { 0 };
	struct al_trust t;
	char roles[1000] = "";
	size_t n = 0;
	int ok = 1;
	enum al_code rc = al_store_trust_get(s, &t, NULL, &err);
	if (rc) {
		item(d, "trust policy", 0, "%s%s", err.msg,
		     rc == AL_ENOENT ? ": an update could only come in with --allow-unsigned" : "");
		al_trust_release(&t);
		return;
	}
	for (size_t i = 0; i < t.nroles && n + 2 < sizeof(roles); i++) {
		if (i)
			n += (size_t)snprintf(roles + n, sizeof(roles) - n, "; ");
		ok &= role_reach(&t.roles[i], (int64_t)time(NULL), roles + n, sizeof(roles) - n);
		n += strlen(roles + n);
	}
	item(d, "trust policy", ok, "%s%s", roles,
	     ok ? "" : ": a role's threshold needs more unexpired keys than the policy lists (renew or add keys: airlock key, airlock store trust set)");
	al_trust_release(&t);
}

static void check_media(struct drill *d, const char *bundle, const char *size, unsigned parity)
{
	struct al_err err = { 0 };
	struct al_media_opts o = { .parity = parity };
	unsigned k = 0;
	uint64_t tar = 0;
	if (al_media_size_parse(size, &o.volume_size, &err) || al_media_fit(bundle, &o, &k, &tar, &err))
		item(d, "media", 0, "%s", err.msg);
	else
		item(d, "media", 1, "a tar of about %llu MiB on %u volumes of %s (%u data, %u parity)",
		     (unsigned long long)(tar >> 20), k + parity, size, k, parity);
}

/* The candidate's eval (--eval): asked now, recorded on the scratch copy; 0 when it would block. */
static int rehearse_eval(struct drill *d, struct al_store *s, struct cli_eval *ev, const char *release)
{
	if (cli_eval_ask(ev, "drill", 1) || cli_eval_record(s, ev, release, "airlock drill")) {
		item(d, "eval", 0, "the eval could not be made (said above)");
		return 0;
	}
	item(d, "eval", !ev->run.errors, "%zu of %zu golden questions passed, score %.4f, %zu without an answer", ev->run.passed,
	     ev->run.n, ev->run.score, ev->run.errors);
	return !ev->run.errors;
}

/* Import, release, (eval,) promote and roll back on the scratch store. */
static void rehearse(struct drill *d, struct al_store *s, const char *bundle, const char *channel, struct cli_eval *ev)
{
	struct al_err err = { 0 };
	struct al_import_result res;
	struct al_import_opts io = { .now = (int64_t)time(NULL) };
	char name[65], from[300];
	const char *froms[1] = { from };
	json_t *out = NULL;
	enum al_code rc = al_store_import(s, bundle, &io, NULL, &res, &err);
	if (rc || res.status == AL_REJECTED) {
		char why[1000] = "";
		size_t n = 0;
		for (size_t i = 0; i < res.report.n && n + 4 < sizeof(why); i++) /* what the operator must fix */
			n += (size_t)snprintf(why + n, sizeof(why) - n, "; %s", res.report.msg[i]);
		item(d, "import", 0, "%s%s", rc ? err.msg : "rejected", why);
		al_import_result_release(&res);
		return;
	}
	item(d, "import", 1, "%s version %lld verified and installed%s", res.info.name, (long long)res.info.version,
	     res.status == AL_ALREADY ? " (the store already held it)" : "");
	snprintf(name, sizeof(name), "drill-%s-%lld", res.info.name, (long long)res.info.version);
	snprintf(from, sizeof(from), "%s@%lld", res.info.name, (long long)res.info.version);
	al_import_result_release(&res);
	struct al_release_opts ro = { name, froms, 1, NULL, "airlock drill", (int64_t)time(NULL) };
	if (al_release_create(s, &ro, &out, &err)) {
		item(d, "release", 0, "%s", err.msg);
		return;
	}
	item(d, "release", 1, "%s: %lld artifacts", name, (long long)json_integer_value(json_object_get(out, "artifacts")));
	json_decref(out);
	if (ev->golden && !rehearse_eval(d, s, ev, name))
		return;
	struct al_promote_opts po = { name, channel, "airlock drill", "drill", (int64_t)time(NULL),
				      ev->golden ? ev->g.digest : NULL, ev->tolerance };
	if (al_release_promote(s, &po, &out, &err)) {
		item(d, "promote", 0, "%s", err.msg);
		json_decref(out);
		return;
	}
	int had = json_is_string(json_object_get(out, "previous"));
	item(d, "promote", 1, "to %s through every gate%s%s", channel, had ? "; it was " : "",
	     had ? al_json_str(out, "previous") : "");
	json_decref(out);
	out = NULL;
	if (!had)
		item(d, "rollback", -1, "%s had no release before: a rollback after this update would have nowhere to go", channel);
	else if (al_release_rollback(s, &po, &out, &err))
		item(d, "rollback", 0, "%s", err.msg);
	else
		item(d, "rollback", 1, "%s back to %s in one step", channel, al_json_str(out, "release"));
	json_decref(out);
}

static void print(const struct drill *d, const char *store)
{
	size_t i;
	const json_t *x;
	printf("drill of the next update of store '%s' (on a scratch copy; the store is unchanged):\n", store);
	json_array_foreach(d->items, i, x) {
		const json_t *ok = json_object_get(x, "ok");
		cli_line(stdout, "  %-7s %6.2f s  %-13s %s", json_is_null(ok) ? "skipped" : json_is_true(ok) ? "ok" : "BLOCKS",
			 json_real_value(json_object_get(x, "seconds")), al_json_str(x, "step"), al_json_str(x, "detail"));
	}
	printf(d->failed ? "the update would be blocked: fix what BLOCKS before the real one\n"
			 : "nothing would block the update\n");
}

int cmd_drill(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "bundle", required_argument, NULL, 'b' },
					      { "media-size", required_argument, NULL, 'm' },
					      { "parity", required_argument, NULL, 'p' },
					      { "channel", required_argument, NULL, 'c' },
					      { "json", no_argument, NULL, 'j' },
					      { "eval", required_argument, NULL, CLI_EV_GOLDEN },
					      CLI_EVAL_OPTIONS,
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL, *bundle = NULL, *size = NULL, *channel = "production";
	struct cli_eval ev = { 0 };
	struct drill d = { json_array(), 0, cli_now() };
	struct al_err err = { 0 };
	struct al_store *s = NULL;
	char *dir = NULL;
	unsigned parity = 2;
	int c, json = 0, code;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'b': bundle = optarg; break;
		case 'm': size = optarg; break;
		case 'c': channel = optarg; break;
		case 'j': json = 1; break;
		case 'p':
			parity = (unsigned)strtoul(optarg, NULL, 10);
			if (strspn(optarg, "0123456789") != strlen(optarg) || parity > 16)
				return json_decref(d.items), cli_usage("drill", "--parity wants 0 to 16, not '%s'", optarg);
			break;
		case 'h': return json_decref(d.items), cli_help(al_doc_drill);
		default:
			if (c < CLI_EV_GOLDEN)
				return json_decref(d.items), cli_usage("drill", "bad option");
			if ((code = cli_eval_option(&ev, "drill", c, optarg)))
				return json_decref(d.items), code;
		}
	}
	if (optind != argc || (size && !bundle))
		return json_decref(d.items), cli_usage("drill", "use 'drill [--bundle NEXT [--media-size SIZE]]'");
	if ((ev.golden || ev.o.endpoint || ev.o.model) && (!bundle || !ev.golden || !ev.o.endpoint || !ev.o.model))
		return json_decref(d.items),
		       cli_usage("drill", "an eval in the drill needs --bundle, --eval GOLDEN.jsonl, --endpoint URL and --model NAME");
	store = al_store_default(store);
	if ((code = cli_store_open(store, 0, 0, &s)))
		return json_decref(d.items), code;
	check_policy(&d, s);
	if (size)
		check_media(&d, bundle, size, parity);
	if (al_mkdtemp("airlock-drill", &dir, &err) || al_store_scratch(s, dir, &err)) {
		code = cli_fail(&err);
	} else {
		item(&d, "scratch copy", 1, "the store copied to %s", dir);
		al_store_free(s);
		s = NULL;
		if (!bundle)
			item(&d, "import", -1, "no --bundle: only the policy was rehearsed");
		else if (!(code = cli_store_open(dir, AL_STORE_WRITE, 0, &s)))
			rehearse(&d, s, bundle, channel, &ev);
	}
	al_store_free(s);
	if (dir && al_rmtree(dir, &err) && !code)
		code = cli_fail(&err);
	free(dir);
	if (!code && json)
		cli_json(json_pack("{s:s, s:b, s:O}", "store", store, "ok", !d.failed, "steps", d.items));
	else if (!code)
		print(&d, store);
	json_decref(d.items);
	cli_eval_release(&ev);
	return code ? code : d.failed ? 1 : 0;
}
