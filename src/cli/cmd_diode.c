/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_diode.c: `airlock diode send|receive` — a bundle through a one-way link (docs/cmd/diode.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diode.h"
#include "json.h"

/* "800M", "1.5G", "100000": bits a second, powers of 1000. */
static int parse_rate(const char *t, uint64_t *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(t, &end);
	if (errno || end == t || v <= 0)
		return -1;
	if (*end == 'K' || *end == 'k')
		v *= 1e3, end++;
	else if (*end == 'M')
		v *= 1e6, end++;
	else if (*end == 'G')
		v *= 1e9, end++;
	if (*end || v < 1000 || v > 1e12)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* "8%" or "0.08". */
static int parse_fec(const char *t, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(t, &end);
	if (errno || end == t)
		return -1;
	if (*end == '%')
		v /= 100, end++;
	if (*end || v < 0 || v > 1)
		return -1;
	*out = v;
	return 0;
}

static void on_pass(void *ctx, unsigned pass, uint64_t packets)
{
	const struct al_diode_send_opts *o = ctx;
	fprintf(stderr, "airlock: diode send: pass %u of %u sent (%" PRIu64 " datagrams so far)\n", pass, o->repeat,
		packets);
}

static int send_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "to", required_argument, NULL, 't' },
					      { "rate", required_argument, NULL, 'r' },
					      { "fec", required_argument, NULL, 'f' },
					      { "repeat", required_argument, NULL, 'n' },
					      { "symbol-size", required_argument, NULL, 's' },
					      { "block", required_argument, NULL, 'b' },
					      { "interleave", required_argument, NULL, 'i' },
					      { "json", no_argument, NULL, 'j' },
					      { "custody-key", required_argument, NULL, 'K' },
					      { "actor", required_argument, NULL, 'a' },
					      { "passphrase-file", required_argument, NULL, 'P' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *ckey = NULL, *actor = NULL, *pfile = NULL, *bundle;
	struct al_diode_send_opts o = { .fec = 0.08, .repeat = 2, .symbol_bytes = 1400, .block_symbols = 200,
					.interleave = 8, .on_pass = on_pass };
	struct al_diode_send_result res;
	struct al_report rep = { 0 };
	struct al_err err = { 0 };
	int json = 0, c;
	char b[32];
	o.ctx = &o;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': o.to = optarg; break;
		case 'r':
			if (parse_rate(optarg, &o.rate))
				return cli_usage("diode send", "--rate takes bits a second: 800M, 1.5G, 100000 (at least 1000)");
			break;
		case 'f':
			if (parse_fec(optarg, &o.fec))
				return cli_usage("diode send", "--fec takes a share of repair: 8%% or 0.08, up to 100%%");
			break;
		case 'n': o.repeat = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': o.symbol_bytes = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'b': o.block_symbols = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': o.interleave = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'j': json = 1; break;
		case 'K': ckey = optarg; break;
		case 'a': actor = optarg; break;
		case 'P': pfile = optarg; break;
		case 'h': return cli_help(al_doc_diode);
		default: return cli_usage("diode send", "bad option");
		}
	}
	if (optind + 1 != argc || !o.to)
		return cli_usage("diode send", "give one bundle and --to HOST:PORT");
	bundle = argv[optind]; /* (recording custody runs getopt again) */
	if (!ckey != !actor)
		return cli_usage("diode send", "--custody-key and --actor go together");
	if (ckey && al_bundle_is_tar(bundle))
		return cli_usage("diode send", "--custody-key records in a bundle directory's custody.log: not a tar");
	if (ckey) { /* the hand-over is recorded first, so that the record crosses with the bundle */
		char medium[300];
		int code;
		snprintf(medium, sizeof(medium), "one-way link to %.200s", o.to);
		if ((code = cli_custody_record(bundle, "handed-over", actor, ckey, medium, pfile)))
			return code;
	}
	if (al_diode_send(bundle, &o, &res, &rep, &err)) {
		for (size_t i = 0; i < rep.n; i++)
			cli_line(stderr, "airlock: diode send: %s", rep.msg[i]);
		al_report_release(&rep);
		return cli_fail(&err);
	}
	al_report_release(&rep);
	if (json) {
		char sess[17];
		snprintf(sess, sizeof(sess), "%016" PRIx64, res.session);
		cli_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:f}", "to", o.to, "session", sess, "datagrams",
				   (json_int_t)res.packets, "bytes", (json_int_t)res.bytes, "blocks", (json_int_t)res.blocks,
				   "tar_bytes", (json_int_t)res.tar_bytes, "tar_digest", res.tar_digest, "seconds",
				   res.seconds));
		return 0;
	}
	cli_bytes(res.tar_bytes, b);
	printf("sent '%s' (%s tar, %s) to %s: session %016" PRIx64 ", %u passes, %" PRIu64 " datagrams in %.1f s\n",
	       bundle, b, res.tar_digest, o.to, res.session, o.repeat, res.packets, res.seconds);
	return 0;
}

static void on_event(void *ctx, const char *line)
{
	if (!*(int *)ctx)
		cli_line(stderr, "airlock: diode receive: %s", line);
}

/* `import PATH --store STORE [--trust F | --allow-unsigned] [--json]`, as `airlock import` does it. */
static int import_after(const char *path, const char *store, const char *trust, int unsigned_ok, int json)
{
	char *args[9] = { "import", (char *)path, "--store", (char *)store };
	int n = 4;
	if (trust)
		args[n++] = "--trust", args[n++] = (char *)trust;
	if (unsigned_ok)
		args[n++] = "--allow-unsigned";
	if (json)
		args[n++] = "--json";
	optind = 0; /* getopt starts again */
	return cmd_import(n, args);
}

static int receive_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'l' },
					      { "output", required_argument, NULL, 'o' },
					      { "idle", required_argument, NULL, 'i' },
					      { "wait-first", required_argument, NULL, 'w' },
					      { "import", no_argument, NULL, 'I' },
					      { "store", required_argument, NULL, 's' },
					      { "trust", required_argument, NULL, 't' },
					      { "allow-unsigned", no_argument, NULL, 'u' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_diode_recv_opts o = { .idle = 30 };
	struct al_diode_recv_result res;
	struct al_err err = { 0 };
	const char *store = NULL, *trust = NULL;
	int json = 0, quiet = 0, import = 0, unsigned_ok = 0, c, code;
	enum al_code rc;
	json_t *doc;
	o.on_event = on_event;
	o.ctx = &quiet;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'o': o.outdir = optarg; break;
		case 'i': o.idle = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': o.first_wait = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'I': import = 1; break;
		case 's': store = optarg; break;
		case 't': trust = optarg; break;
		case 'u': unsigned_ok = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_diode);
		default: return cli_usage("diode receive", "bad option");
		}
	}
	if (optind != argc || !o.listen || !o.outdir || !o.idle)
		return cli_usage("diode receive", "give --listen ADDR:PORT and -o DIR (and --idle of 1 s or more)");
	if ((store || trust || unsigned_ok) && !import)
		return cli_usage("diode receive", "--store, --trust and --allow-unsigned go with --import");
	rc = al_diode_receive(&o, &res, &err);
	doc = json_pack("{s:s?, s:s?, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:O?, s:I, s:f}", "path", res.path,
			"kept", res.kept, "resumed", (json_int_t)res.resumed, "datagrams", (json_int_t)res.packets,
			"loss", res.loss, "bad_crc", (json_int_t)res.bad_crc, "foreign", (json_int_t)res.foreign,
			"blocks", (json_int_t)res.blocks, "rebuilt", (json_int_t)res.rebuilt, "missing",
			(json_int_t)res.missing, "missing_blocks", res.missing_blocks, "tar_bytes",
			(json_int_t)res.tar_bytes, "seconds", res.seconds);
	if (json)
		cli_json_to(import ? stderr : stdout, doc);
	else {
		json_decref(doc);
		if (!rc)
			cli_line(stdout, "received '%s': %" PRIu64 " blocks (%" PRIu64 " rebuilt from repair), %" PRIu64
					 " datagrams (about %.1f %% lost), %" PRIu64 " with a bad CRC; %.2f s from the "
					 "first datagram, %.0f Mbit/s of tar",
				 res.path, res.blocks, res.rebuilt, res.packets, res.loss * 100, res.bad_crc, res.seconds,
				 res.seconds > 0 ? (double)res.tar_bytes * 8 / res.seconds / 1e6 : 0);
		else if (res.missing_blocks) {
			size_t i;
			json_t *r;
			json_array_foreach(res.missing_blocks, i, r) {
				if (i == 20) {
					fprintf(stderr, "airlock: diode receive: … and more (--json lists them all)\n");
					break;
				}
				fprintf(stderr, "airlock: diode receive: missing blocks %" JSON_INTEGER_FORMAT "–%" JSON_INTEGER_FORMAT "\n",
					json_integer_value(json_array_get(r, 0)), json_integer_value(json_array_get(r, 1)));
			}
		}
	}
	if (rc) {
		al_diode_recv_result_release(&res);
		return cli_fail(&err);
	}
	code = import ? import_after(res.path, store, trust, unsigned_ok, json) : 0;
	al_diode_recv_result_release(&res);
	return code;
}

int cmd_diode(int argc, char **argv)
{
	const char *sub;
	if (argc < 2)
		return cli_usage("diode", "give a subcommand: send or receive");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return cli_help(al_doc_diode);
	if (!strcmp(sub, "send"))
		return send_cmd(argc - 1, argv + 1);
	if (!strcmp(sub, "receive"))
		return receive_cmd(argc - 1, argv + 1);
	return cli_usage("diode", "unknown subcommand '%s' (send or receive)", sub);
}
