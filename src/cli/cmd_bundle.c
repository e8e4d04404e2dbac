/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_bundle.c: `airlock bundle create|inspect` (docs/cmd/bundle-create.md,
 * docs/cmd/bundle-inspect.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "base.h"
#include "minisign.h"
#include "cli.h"
#include "fetch.h"
#include "fsx.h"
#include "json.h"

enum { MAX_PLAIN_HOSTS = 16, TOKEN_MAX = 4096 };

/* The first line of a token file, trimmed; 0, or -1 (reported). The token is never printed. */
static int read_token(const char *file, char *out, size_t n)
{
	size_t len = 0;
	ssize_t r;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "airlock: cannot open token file '%s': %s\n", file, strerror(errno));
		return -1;
	}
	while (len + 1 < n && (r = read(fd, out + len, n - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "airlock: cannot read token file '%s': %s\n", file, strerror(errno));
			close(fd);
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	len = strlen(out);
	while (len && (out[len - 1] == ' ' || out[len - 1] == '\t'))
		out[--len] = '\0';
	if (!len || len + 1 >= n) {
		fprintf(stderr, "airlock: token file '%s' holds no token on its first line (or one over %u bytes)\n", file,
			(unsigned)n - 1);
		return -1;
	}
	return 0;
}

/* A token goes into an HTTP header: visible ASCII only. */
static int token_ok(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return 0;
	return 1;
}

/* $XDG_CACHE_HOME/airlock, else ~/.cache/airlock; NULL when neither is known. Caller frees. */
static char *default_cache(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (x && x[0] == '/')
		return al_strf("%s/airlock", x);
	if (home && home[0] == '/')
		return al_strf("%s/.cache/airlock", home);
	return NULL;
}

/* What `bundle create` takes from its options and the environment for fetching `from:` sources. */
struct fetch_args {
	const char *cache, *token_file, *endpoint, *index_url, *registry_auth, *plain[MAX_PLAIN_HOSTS + 1];
	size_t nplain;
	char *cache_def, *ep, *auth_def, token[TOKEN_MAX];
};

int cli_registry_auth(const char *cmd, const char *file, struct al_fetch_opts *fo, char **def)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"), *home = getenv("HOME");
	if (file && !*file)
		return cli_usage(cmd, "--registry-auth needs a file");
	if (file) {
		fo->registry_auth = file;
		fo->registry_auth_from = "--registry-auth";
	} else if (env && *env) {
		fo->registry_auth = env;
		fo->registry_auth_from = "REGISTRY_AUTH_FILE";
	} else if (home && home[0] == '/') {
		if (!(*def = al_strf("%s/.docker/config.json", home))) {
			fprintf(stderr, "airlock: out of memory\n");
			return EXIT_ERROR;
		}
		fo->registry_auth = *def; /* (may be absent) */
	}
	return 0;
}

/*
 * Fills FO from A: the Hub endpoint (--hf-endpoint, else $HF_ENDPOINT, else the public
 * Hub), the token (--hf-token-file, else $HF_TOKEN; never printed), the cache
 * (--cache, else the XDG default), the package index (--index-url, else the requirements
 * file's, else $PIP_INDEX_URL, else PyPI's), the registry credentials (--registry-auth,
 * else $REGISTRY_AUTH_FILE, else ~/.docker/config.json when it exists; read only for a
 * docker:// source). 0, or the exit code of what was reported.
 */
static int fetch_setup(struct fetch_args *a, struct al_fetch_opts *fo)
{
	const char *env_ep = getenv("HF_ENDPOINT"), *env_tok = getenv("HF_TOKEN"), *env_ix = getenv("PIP_INDEX_URL");
	if (a->cache && !*a->cache)
		return cli_usage("bundle create", "--cache needs a directory");
	if (fo->ca_file && access(fo->ca_file, R_OK) != 0)
		return cli_usage("bundle create", "cannot read --ca-file '%s': %s", fo->ca_file, strerror(errno));
	if (!a->endpoint)
		a->endpoint = env_ep && *env_ep ? env_ep : "https://huggingface.co";
	if (!(a->ep = strdup(a->endpoint))) {
		fprintf(stderr, "airlock: out of memory\n");
		return EXIT_ERROR;
	}
	for (size_t n = strlen(a->ep); n > 0 && a->ep[n - 1] == '/'; n--)
		a->ep[n - 1] = '\0';
	a->token[0] = '\0';
	if (a->token_file) {
		if (read_token(a->token_file, a->token, sizeof(a->token)))
			return EXIT_ERROR;
		fo->token_from = "--hf-token-file";
	} else if (env_tok && *env_tok) {
		snprintf(a->token, sizeof(a->token), "%s", env_tok);
		fo->token_from = "HF_TOKEN";
	}
	if (a->token[0] && !token_ok(a->token))
		return cli_usage("bundle create", "the Hugging Face token from %s holds a space or control character",
				 fo->token_from);
	fo->token = a->token[0] ? a->token : NULL;
	fo->cache = a->cache ? a->cache : (a->cache_def = default_cache());
	fo->plain_http = a->plain;
	fo->hf_endpoint = a->ep;
	if (a->index_url && !*a->index_url)
		return cli_usage("bundle create", "--index-url needs a URL");
	fo->index_url = a->index_url;
	fo->index_default = env_ix && *env_ix ? env_ix : "https://pypi.org/simple";
	return cli_registry_auth("bundle create", a->registry_auth, fo, &a->auth_def);
}

static void fetch_args_release(struct fetch_args *a)
{
	cli_secret_wipe(a->token, sizeof(a->token));
	free(a->cache_def);
	free(a->ep);
	free(a->auth_def);
}

/* What was written: the bundle's airlock.json as JSON, or a line and one line per artifact, to OUT_F. */
static void create_report(FILE *out_f, const char *out, int tar, int json, const struct al_bundle_info *info,
			  double t0)
{
	uint64_t total = 0;
	char b[32], t[64];
	if (json) {
		json_t *m = json_deep_copy(info->meta);
		json_object_set_new(m, "path", al_json_text(out)); /* a non-UTF-8 path escaped, not dropped */
		json_object_set_new(m, "format", json_string(tar ? "tar" : "directory"));
		if (info->nbase)
			json_object_set_new(m, "base", json_pack("{s:I, s:I}", "blobs", (json_int_t)info->nbase, "bytes",
								 (json_int_t)info->base_bytes));
		cli_json_to(out_f, m);
		return;
	}
	for (size_t i = 0; i < info->nartifacts; i++)
		total += info->artifacts[i].content_size;
	cli_bytes(total, b);
	snprintf(t, sizeof(t), "%.1fs", cli_now() - t0);
	fprintf(out_f, "wrote %s '%s': %s version %lld, %zu artifacts, %s in %s\n", tar ? "tar bundle" : "bundle", out,
		info->name, (long long)info->version, info->nartifacts, b, t);
	for (size_t i = 0; i < info->nartifacts; i++) {
		char sz[32];
		cli_bytes(info->artifacts[i].content_size, sz);
		fprintf(out_f, "  %-7s %-40s %10s  %.19s…\n", al_kind_name(info->artifacts[i].kind),
			info->artifacts[i].name, sz, info->artifacts[i].digest);
	}
	if (info->nbase) {
		cli_bytes(info->base_bytes, b);
		fprintf(out_f, "differential: %zu blobs (%s) are not carried: the base holds them (base.json lists them)\n",
			info->nbase, b);
	}
}

/* Loads the spec and makes the bundle at OUT with CO, reporting to REPORT; 0 or the exit code. */
static int gather(const char *spec_path, const char *out, struct al_create_opts *co, struct al_fetch_opts *fo,
		  FILE *report, int json, int quiet, double t0)
{
	struct al_spec spec;
	struct al_bundle_info info;
	struct cli_progress pr;
	struct al_err err = { 0 };
	enum al_code rc;
	if (al_spec_load(spec_path, co->now, &spec, &err))
		return cli_fail(&err);
	cli_progress_start(&pr, "gathering", quiet || json);
	co->prog = &pr.p;
	fo->prog = &pr.p;
	rc = al_bundle_create(&spec, out, co, &info, &err);
	cli_progress_stop(&pr);
	al_spec_release(&spec);
	if (rc)
		return cli_fail(&err);
	create_report(report, out, co->tar, json, &info, t0);
	al_bundle_info_release(&info);
	return 0;
}

/*
 * The --base of `bundle create`: a previous bundle or an inventory; with --base-key, an
 * inventory whose PATH.minisig one of KEYS made over the very bytes that are then read.
 * 0 or the exit code (reported).
 */
static int load_base(const char *path, const char *const *keys, size_t nkeys, struct al_base *b)
{
	struct al_buf text, sigtext;
	struct al_err err = { 0 };
	struct al_sig sig;
	unsigned char hash[64];
	char *sigpath, signer[80] = "";
	int code = 0;
	if (!nkeys)
		return al_base_load(path, b, &err) ? cli_fail(&err) : 0;
	if (!al_base_is_inventory(path))
		return cli_usage("bundle create", "--base-key checks the signature of an inventory; '%s' is a bundle",
				 path);
	sigpath = al_strf("%s.minisig", path);
	al_buf_init(&text, AL_MAX_SUMS);
	al_buf_init(&sigtext, 16384);
	if (!sigpath || al_read_file(path, AL_NOFOLLOW, &text, &err) || al_read_file(sigpath, AL_NOFOLLOW, &sigtext, &err) ||
	    al_sig_parse(sigtext.data, sigtext.len, &sig, &err))
		code = cli_fail(&err);
	for (size_t i = 0; !code && !*signer && i < nkeys; i++) {
		struct al_pubkey pk;
		if (al_pubkey_load(keys[i], &pk, &err)) {
			code = cli_fail(&err);
			break;
		}
		al_prehash_mem(text.data, text.len, hash);
		if (!memcmp(pk.keynum, sig.keynum, sizeof(pk.keynum)) && !al_sig_verify(&pk, &sig, hash, NULL, 0, 0, &err))
			snprintf(signer, sizeof(signer), "signed by key %s", pk.id);
		al_err_clear(&err);
	}
	if (!code && !*signer) {
		fprintf(stderr, "airlock: the inventory '%s' is not signed by any --base-key (its signature is by key %s, or "
			"does not hold)\n", path, sig.id);
		code = EXIT_VERIFY;
	}
	if (!code && al_base_from_inventory(text.data, text.len, path, signer, b, &err))
		code = cli_fail(&err);
	al_buf_release(&text);
	al_buf_release(&sigtext);
	free(sigpath);
	return code;
}

/* The options of `bundle create` that exclude each other; 0, or the usage error's code. */
static int create_args(const char *spec_path, const char *out, const char *extra, int scan_opts, int scan, int tar,
		       const char *base_path)
{
	if (!spec_path || !out || !*spec_path || !*out)
		return cli_usage("bundle create", "both -f SPEC and -o OUT are required");
	if (extra)
		return cli_usage("bundle create", "unexpected argument '%s'", extra);
	if (scan_opts && !scan)
		return cli_usage("bundle create", "--vulndb and --scan-policy go with --scan");
	if (scan && (tar || !strcmp(out, "-")))
		return cli_usage("bundle create", "--scan attaches the scan to a bundle directory: not with --tar "
				 "(scan, sign, then write the tar)");
	if (scan && base_path)
		return cli_usage("bundle create", "--scan reads every blob, so not with --base: scan the full bundle (or "
				 "rescan inside with `scan --store`)");
	return 0;
}

static int create(int argc, char **argv)
{
	static const struct option opts[] = { { "file", required_argument, NULL, 'f' },
					      { "output", required_argument, NULL, 'o' },
					      { "tar", no_argument, NULL, 't' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { "cache", required_argument, NULL, 'C' },
					      { "ca-file", required_argument, NULL, 'A' },
					      { "plain-http", required_argument, NULL, 'P' },
					      { "hf-endpoint", required_argument, NULL, 'E' },
					      { "hf-token-file", required_argument, NULL, 'T' },
					      { "index-url", required_argument, NULL, 'I' },
					      { "registry-auth", required_argument, NULL, 'R' },
					      { "scan", no_argument, NULL, 'S' },
					      { "vulndb", required_argument, NULL, 'V' },
					      { "scan-policy", required_argument, NULL, 'Y' },
					      { "base", required_argument, NULL, 'B' },
					      { "base-key", required_argument, NULL, 'G' },
					      { NULL, 0, NULL, 0 } };
	static int stdout_fd = STDOUT_FILENO;
	const char *vulndb[16], *scan_policy = NULL;
	size_t nvulndb = 0;
	int scan = 0;
	static const struct al_tar_sink stdout_tar = { "standard output", al_tar_sink_fd, &stdout_fd };
	const char *spec_path = NULL, *out = NULL, *base_path = NULL, *base_keys[8];
	size_t nbase_keys = 0;
	struct al_base base = { 0 };
	struct fetch_args fa = { 0 };
	struct al_fetch_opts fo = { 0 };
	int tar = 0, json = 0, quiet = 0, c, ret = 0;
	struct al_create_opts co = { 0 };
	FILE *report = stdout;
	double t0 = cli_now();
	while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': spec_path = optarg; break;
		case 'o': out = optarg; break;
		case 't': tar = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_bundle_create);
		case 'C': fa.cache = optarg; break;
		case 'A': fo.ca_file = optarg; break;
		case 'E': fa.endpoint = optarg; break;
		case 'T': fa.token_file = optarg; break;
		case 'I': fa.index_url = optarg; break;
		case 'R': fa.registry_auth = optarg; break;
		case 'S': scan = 1; break;
		case 'Y': scan_policy = optarg; break;
		case 'B': base_path = optarg; break;
		case 'G':
			if (nbase_keys == sizeof(base_keys) / sizeof(base_keys[0]))
				return cli_usage("bundle create", "at most 8 --base-key");
			base_keys[nbase_keys++] = optarg;
			break;
		case 'V':
			if (nvulndb == sizeof(vulndb) / sizeof(vulndb[0]))
				return cli_usage("bundle create", "at most 16 --vulndb");
			vulndb[nvulndb++] = optarg;
			break;
		case 'P':
			if (fa.nplain == MAX_PLAIN_HOSTS)
				return cli_usage("bundle create", "at most %d --plain-http hosts", MAX_PLAIN_HOSTS);
			fa.plain[fa.nplain++] = optarg;
			break;
		default: return cli_usage("bundle create", "bad option");
		}
	}
	if ((ret = create_args(spec_path, out, optind != argc ? argv[optind] : NULL, nvulndb || scan_policy, scan,
			       tar, base_path)))
		return ret;
	if (!strcmp(out, "-")) {
		/* a tar on standard output, for a pipe (import -, ssh, a media writer); the report goes to stderr */
		if (isatty(STDOUT_FILENO))
			return cli_usage("bundle create", "'-o -' writes a tar bundle to standard output, which is a terminal");
		tar = 1;
		co.sink = &stdout_tar;
		report = stderr;
	}
	if ((ret = fetch_setup(&fa, &fo)))
		goto done;
	if (nbase_keys && !base_path)
		return cli_usage("bundle create", "--base-key goes with --base");
	if (base_path && (ret = load_base(base_path, base_keys, nbase_keys, &base)))
		goto done;
	co.base = base_path ? &base : NULL;
	co.now = (int64_t)time(NULL);
	co.tar = tar;
	co.fetch = &fo;
	ret = gather(spec_path, out, &co, &fo, report, json, quiet, t0);
	if (!ret && scan)
		ret = cli_scan_attach(out, vulndb, nvulndb, scan_policy, quiet || json);
done:
	fetch_args_release(&fa);
	al_base_release(&base);
	return ret;
}

static int inspect(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_buf b;
	struct al_err err = { 0 };
	json_t *meta = NULL, *arts, *a;
	int json = 0, c;
	size_t i;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return cli_help(al_doc_bundle_inspect);
		default: return cli_usage("bundle inspect", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("bundle inspect", "give exactly one bundle");
	al_buf_init(&b, AL_MAX_SMALL);
	if (al_bundle_read_raw(argv[optind], "airlock.json", &b, &err) ||
	    al_json_parse(b.data, b.len, "airlock.json", &meta, &err)) {
		al_buf_release(&b);
		al_err_prefix(&err, "'%s' is not a readable bundle", argv[optind]);
		return cli_fail(&err);
	}
	al_buf_release(&b);
	if (json) {
		json_object_set_new(meta, "verified", json_false());
		cli_json(meta);
		return 0;
	}
	cli_line(stdout, "bundle   %s version %lld (not verified: run 'airlock verify')", al_json_str(meta, "name"),
		 (long long)json_integer_value(json_object_get(meta, "version")));
	cli_line(stdout, "created  %s", al_json_str(meta, "created"));
	cli_line(stdout, "expires  %s", al_json_str(meta, "expires"));
	cli_line(stdout, "tool     %s", al_json_str(meta, "tool"));
	arts = json_object_get(meta, "artifacts");
	printf("artifacts (%zu):\n", json_array_size(arts));
	json_array_foreach(arts, i, a) {
		char s[32];
		cli_bytes((uint64_t)json_integer_value(json_object_get(a, "contentSize")), s);
		cli_line(stdout, "  %-7s %-40s %10s  %s", al_json_str(a, "kind"), al_json_str(a, "name"), s,
		       al_json_str(a, "digest"));
	}
	json_decref(meta);
	return 0;
}

int cmd_bundle(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(al_doc_bundle_create, argc < 2 ? stderr : stdout);
		fputs("\n", argc < 2 ? stderr : stdout);
		fputs(al_doc_bundle_inspect, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return inspect(argc - 1, argv + 1);
	return cli_usage("bundle", "unknown subcommand '%s' (create or inspect)", argv[1]);
}
