/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_release.c: `airlock release create|ls|show|promote|rollback|channel` (docs/cmd/release.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fsx.h"
#include "json.h"
#include "store.h"
#include "store_wait.h"

enum { MAX_LIST = 64 };

struct rel_args {
	const char *store, *to, *actor, *reason;
	const char *every, *review, *freeze, *drill, *output; /* schedule */
	unsigned cycles;
	const char *from[MAX_LIST];
	char *patterns[MAX_LIST + 1];
	size_t nfrom, npat;
	int json;
	unsigned wait;
	struct cli_eval ev; /* promote --eval */
};

static int create(struct al_store *s, const char *name, const struct rel_args *a)
{
	struct al_err err = { 0 };
	json_t *out = NULL;
	struct al_release_opts o = { name, a->from, a->nfrom, a->npat ? a->patterns : NULL, a->actor, (int64_t)time(NULL) };
	if (al_release_create(s, &o, &out, &err))
		return cli_fail(&err);
	if (a->json)
		cli_json(out);
	else {
		cli_line(stdout, "created release '%s': %lld artifacts, %s", name,
			 (long long)json_integer_value(json_object_get(out, "artifacts")), al_json_str(out, "digest"));
		json_decref(out);
	}
	return 0;
}

static void print_channels(const json_t *chs)
{
	size_t i;
	const json_t *c;
	printf("channels:\n");
	if (!json_array_size(chs))
		printf("  (none: 'airlock release promote NAME --to CHANNEL')\n");
	json_array_foreach(chs, i, c)
		cli_line(stdout, "  %-14s %-20s since %s (%s)", al_json_str(c, "channel"), al_json_str(c, "release"),
			 al_json_str(c, "time"), al_json_str(c, "action"));
}

static int ls(struct al_store *s, int json)
{
	struct al_err err = { 0 };
	json_t *out, *r;
	size_t i;
	struct al_cadence cad;
	int found = 0;
	char where[256];
	if (al_release_list(s, &out, &err) || al_store_cadence_get(s, &cad, &found, &err)) {
		json_decref(out);
		return cli_fail(&err);
	}
	if (found) {
		al_cadence_where(&cad, (int64_t)time(NULL), where, sizeof(where));
		json_object_set_new(out, "today", json_string(where));
	}
	if (json) {
		cli_json(out);
		return 0;
	}
	printf("releases:\n");
	if (!json_array_size(json_object_get(out, "releases")))
		printf("  (none: 'airlock release create NAME --from BUNDLE@VERSION')\n");
	json_array_foreach(json_object_get(out, "releases"), i, r) {
		char *ch = json_dumps(json_object_get(r, "channels"), JSON_COMPACT);
		cli_line(stdout, "  %-20s %4lld artifacts  created %s by %s  %.19s…  on %s", al_json_str(r, "name"),
			 (long long)json_integer_value(json_object_get(r, "artifacts")), al_json_str(r, "created"),
			 al_json_str(r, "actor"), al_json_str(r, "digest"), ch ? ch : "?");
		free(ch);
	}
	print_channels(json_object_get(out, "channels"));
	if (json_is_string(json_object_get(out, "today")))
		cli_line(stdout, "cadence: today: %s", al_json_str(out, "today"));
	json_decref(out);
	return 0;
}

static int show(struct al_store *s, const char *name, int json)
{
	struct al_err err = { 0 };
	json_t *out, *x;
	size_t i;
	if (al_release_show(s, name, &out, &err))
		return cli_fail(&err);
	if (json) {
		cli_json(out);
		return 0;
	}
	cli_line(stdout, "release %s  %s\ncreated %s by %s", al_json_str(out, "name"), al_json_str(out, "digest"),
		 al_json_str(out, "created"), al_json_str(out, "actor"));
	printf("artifacts:\n");
	json_array_foreach(json_object_get(out, "artifacts"), i, x)
		cli_line(stdout, "  %-7s %-40s %s  (%s v%lld)", al_json_str(x, "kind"), al_json_str(x, "name"),
			 al_json_str(x, "digest"), al_json_str(x, "bundle"),
			 (long long)json_integer_value(json_object_get(x, "bundleVersion")));
	printf("from bundles:\n");
	json_array_foreach(json_object_get(out, "bundles"), i, x)
		cli_line(stdout, "  %s v%lld  expires %s%s%s", al_json_str(x, "name"),
			 (long long)json_integer_value(json_object_get(x, "version")), al_json_str(x, "expires"),
			 json_integer_value(json_object_get(x, "unsigned")) ? "  UNSIGNED" : "",
			 al_json_str(x, "scan") ? "  scan attached" : "  no scan");
	json_decref(out);
	return 0;
}

static void print_gates(const json_t *gates)
{
	size_t i;
	const json_t *g;
	json_array_foreach(gates, i, g)
		cli_line(stdout, "  %-4s %-10s %s", json_is_true(json_object_get(g, "ok")) ? "ok" : "FAIL",
			 al_json_str(g, "gate"), al_json_str(g, "detail"));
}

static int move(struct al_store *s, const char *sub, const char *arg, const struct rel_args *a)
{
	struct al_err err = { 0 };
	json_t *out = NULL;
	int promote = !strcmp(sub, "promote"), code = 0;
	struct al_promote_opts o = { promote ? arg : NULL, promote ? a->to : arg, a->actor, a->reason, (int64_t)time(NULL),
				     a->ev.loaded ? a->ev.g.digest : NULL, a->ev.tolerance };
	enum al_code rc;
	if (a->ev.ran && (code = cli_eval_record(s, (struct cli_eval *)&a->ev, arg, a->actor)))
		return code;
	if (a->ev.ran && a->ev.run.errors) { /* an older run must not stand in for one that failed */
		al_fail(&err, AL_EIO, "release '%s' is not promoted: %zu of %zu golden questions got no answer from %s (the run is recorded)",
			arg, a->ev.run.errors, a->ev.run.n, a->ev.o.endpoint);
		return cli_fail(&err);
	}
	rc = promote ? al_release_promote(s, &o, &out, &err) : al_release_rollback(s, &o, &out, &err);
	if (a->json && out) {
		cli_json_to(stdout, out); /* (it takes the reference) */
		out = NULL;
	} else if (out && promote) {
		printf("gates:\n");
		print_gates(json_object_get(out, "gates"));
	}
	if (rc)
		code = cli_fail(&err);
	else if (!a->json && promote)
		cli_line(stdout, "promoted '%s' to '%s'%s%s", o.release, o.channel,
			 al_json_str(out, "previous") ? "; it was " : " (its first release)",
			 al_json_str(out, "previous") ? al_json_str(out, "previous") : "");
	else if (!a->json)
		cli_line(stdout, "rolled '%s' back from '%s' to '%s'", o.channel, al_json_str(out, "from"),
			 al_json_str(out, "release"));
	json_decref(out);
	return code;
}

static int channel(struct al_store *s, const char *name, int json)
{
	struct al_err err = { 0 };
	json_t *out, *e;
	size_t i;
	if (al_release_channel(s, name, &out, &err))
		return cli_fail(&err);
	if (json) {
		cli_json(out);
		return 0;
	}
	cli_line(stdout, "channel %s: %s", name, al_json_str(out, "release") ? al_json_str(out, "release") : "(no release)");
	json_array_foreach(json_object_get(out, "history"), i, e)
		cli_line(stdout, "  %s  %-8s %-20s by %s%s%s", al_json_str(e, "time"), al_json_str(e, "action"),
			 al_json_str(e, "release"), al_json_str(e, "actor"), *al_json_str(e, "reason") ? "  " : "",
			 al_json_str(e, "reason"));
	json_decref(out);
	return 0;
}

/* The cadence's cycles, one line each. */
static void print_cycles(const struct al_cadence *c)
{
	for (unsigned i = 0; i < c->cycles; i++) {
		struct al_cycle y;
		char cut[11], frz[11], dr[11], rel[11];
		al_cadence_cycle(c, i, &y);
		al_cadence_day(y.cutoff, cut);
		al_cadence_day(y.freeze, frz);
		al_cadence_day(y.drill, dr);
		al_cadence_day(y.release, rel);
		printf("  %-10s cut-off %s  review %s..%s  freeze %s..%s  drill %s  release %s\n", y.name, cut, cut, frz, frz,
		       rel, dr, rel);
	}
}

static int schedule(struct al_store *s, const struct rel_args *a)
{
	struct al_err err = { 0 };
	struct al_cadence c;
	struct al_buf b;
	char where[256];
	int code = 0;
	al_buf_init(&b, 1u << 20);
	if (al_cadence_parse(a->every, a->from[0], a->review, a->freeze, a->drill, a->cycles ? a->cycles : 4, &c, &err) ||
	    al_cadence_ics(&c, &b, &err) || al_write_atomic(a->output, b.data, b.len, &err) ||
	    al_store_cadence_set(s, &c, &err))
		code = cli_fail(&err);
	al_buf_release(&b);
	if (code)
		return code;
	al_cadence_where(&c, (int64_t)time(NULL), where, sizeof(where));
	printf("release cadence: every %s from %s; review %ud, freeze %ud, drill %ud before each release\n", c.every,
	       a->from[0], c.review_days, c.freeze_days, c.drill_days);
	print_cycles(&c);
	cli_line(stdout, "wrote '%s' (iCalendar, %u cycles); today: %s", a->output, c.cycles, where);
	return 0;
}

static int parse(int argc, char **argv, struct rel_args *a)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "eval", required_argument, NULL, CLI_EV_GOLDEN },
					      CLI_EVAL_OPTIONS,
					      { "from", required_argument, NULL, 'f' },
					      { "artifacts", required_argument, NULL, 'a' },
					      { "to", required_argument, NULL, 't' },
					      { "actor", required_argument, NULL, 'A' },
					      { "reason", required_argument, NULL, 'r' },
					      { "json", no_argument, NULL, 'j' },
					      { "wait", required_argument, NULL, 'w' },
					      { "every", required_argument, NULL, 'e' },
					      { "review", required_argument, NULL, 'R' },
					      { "freeze", required_argument, NULL, 'F' },
					      { "drill", required_argument, NULL, 'D' },
					      { "cycles", required_argument, NULL, 'c' },
					      { "output", required_argument, NULL, 'o' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, code;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': a->every = optarg; break;
		case 'R': a->review = optarg; break;
		case 'F': a->freeze = optarg; break;
		case 'D': a->drill = optarg; break;
		case 'o': a->output = optarg; break;
		case 'c':
			a->cycles = (unsigned)strtoul(optarg, NULL, 10);
			if (strspn(optarg, "0123456789") != strlen(optarg) || !a->cycles || a->cycles > 100)
				return cli_usage("release", "--cycles wants a number from 1 to 100, not '%s'", optarg);
			break;
		case 's': a->store = optarg; break;
		case 't': a->to = optarg; break;
		case 'A': a->actor = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'j': a->json = 1; break;
		case 'f':
			if (a->nfrom == MAX_LIST)
				return cli_usage("release", "at most %d --from", MAX_LIST);
			a->from[a->nfrom++] = optarg;
			break;
		case 'a':
			if (a->npat == MAX_LIST)
				return cli_usage("release", "at most %d --artifacts", MAX_LIST);
			a->patterns[a->npat++] = optarg;
			break;
		case 'w':
			if ((code = cli_wait_option("release", optarg, &a->wait)))
				return code;
			break;
		case 'h': return cli_help(al_doc_release);
		default:
			if (c < CLI_EV_GOLDEN)
				return cli_usage("release", "bad option");
			if ((code = cli_eval_option(&a->ev, "release", c, optarg)))
				return code;
		}
	}
	return 0;
}

/* promote --eval: with --endpoint the candidate is asked now; without, only the set's digest is needed. */
static int eval_first(struct rel_args *a)
{
	int code;
	if (a->ev.o.endpoint) {
		if ((code = cli_eval_ask(&a->ev, "release", a->json)))
			return code;
		if (!a->json)
			cli_line(stdout, "eval of the candidate: %zu of %zu passed, score %.4f, %zu errors", a->ev.run.passed,
				 a->ev.run.n, a->ev.run.score, a->ev.run.errors);
		return 0;
	}
	return cli_eval_load(&a->ev);
}

/* Which options and how many arguments each subcommand takes. */
static int check(const char *sub, int nargs, const struct rel_args *a)
{
	int create = !strcmp(sub, "create"), promote = !strcmp(sub, "promote"), sched = !strcmp(sub, "schedule");
	int want = !strcmp(sub, "ls") || sched ? 0 : 1;
	if (nargs != want)
		return cli_usage("release", "'release %s' takes %s", sub, want ? "one name" : "no argument");
	if (sched != !!a->every || (sched && (a->nfrom != 1 || !a->output || a->npat)))
		return cli_usage("release", "use 'release schedule --every PERIOD --from YYYY-MM-DD -o FILE.ics'");
	if (!sched && (a->review || a->freeze || a->drill || a->cycles || a->output))
		return cli_usage("release", "--review, --freeze, --drill, --cycles and -o go with 'release schedule'");
	if (!create && !sched && (a->nfrom || a->npat))
		return cli_usage("release", "--from and --artifacts go with 'release create'");
	if (create && !a->nfrom)
		return cli_usage("release", "'release create NAME' needs --from BUNDLE@VERSION");
	if (promote != !!a->to)
		return cli_usage("release", promote ? "'release promote NAME' needs --to CHANNEL" : "--to goes with 'release promote'");
	if (!promote && (a->ev.golden || a->ev.o.endpoint || a->ev.o.model || a->ev.tolerance > 0))
		return cli_usage("release", "--eval, --endpoint, --model and --tolerance go with 'release promote'");
	if (promote && !a->ev.golden && (a->ev.o.endpoint || a->ev.o.model || a->ev.tolerance > 0))
		return cli_usage("release", "--endpoint, --model and --tolerance go with --eval GOLDEN.jsonl");
	if (promote && a->ev.o.endpoint && !a->ev.o.model)
		return cli_usage("release", "--endpoint needs --model NAME");
	if ((a->actor || a->reason) && !create && !promote && strcmp(sub, "rollback"))
		return cli_usage("release", "--actor and --reason go with create, promote and rollback");
	return 0;
}

int cmd_release(int argc, char **argv)
{
	static const char *const subs[] = { "create", "ls", "show", "promote", "rollback", "channel", "schedule" };
	struct rel_args a = { .wait = CLI_WAIT_DEFAULT };
	struct al_store *s = NULL;
	const char *sub;
	int code, known = 0, writer;
	if (argc < 2)
		return cli_usage("release", "give a subcommand: create, ls, show, promote, rollback, channel or schedule");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return cli_help(al_doc_release);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		known |= !strcmp(sub, subs[i]);
	if (!known)
		return cli_usage("release", "unknown subcommand '%s' (create, ls, show, promote, rollback, channel or schedule)",
				 sub);
	argc--, argv++;
	if ((code = parse(argc, argv, &a)) || (code = check(sub, argc - optind, &a)))
		return code;
	if (!a.actor)
		a.actor = cli_login_name();
	writer = !strcmp(sub, "create") || !strcmp(sub, "promote") || !strcmp(sub, "rollback") || !strcmp(sub, "schedule");
	/* the candidate is asked before the store is locked: an eval may take minutes */
	if (a.ev.golden && (code = eval_first(&a)))
		return code;
	if ((code = cli_store_open(a.store, writer ? AL_STORE_WRITE : 0, a.wait, &s))) {
		cli_eval_release(&a.ev);
		return code;
	}
	if (!strcmp(sub, "create"))
		code = create(s, argv[optind], &a);
	else if (!strcmp(sub, "ls"))
		code = ls(s, a.json);
	else if (!strcmp(sub, "show"))
		code = show(s, argv[optind], a.json);
	else if (!strcmp(sub, "channel"))
		code = channel(s, argv[optind], a.json);
	else if (!strcmp(sub, "schedule"))
		code = schedule(s, &a);
	else
		code = move(s, sub, argv[optind], &a);
	al_store_free(s);
	cli_eval_release(&a.ev);
	return code;
}
