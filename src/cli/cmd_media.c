/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_media.c: `airlock media split|check|join` — a bundle across removable media (docs/cmd/media.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fsx.h"
#include "json.h"
#include "media.h"

/* A report's problems on stderr, one a line, prefixed with the command. */
static void print_problems(const char *cmd, const struct al_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		cli_line(stderr, "airlock: media %s: %s", cmd, rep->msg[i]);
	if (rep->dropped)
		fprintf(stderr, "airlock: media %s: … and %zu more problems\n", cmd, rep->dropped);
}

static int split(int argc, char **argv)
{
	static const struct option opts[] = { { "size", required_argument, NULL, 's' },
					      { "parity", required_argument, NULL, 'p' },
					      { "chunk-size", required_argument, NULL, 'c' },
					      { "output", required_argument, NULL, 'o' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "custody-key", required_argument, NULL, 'K' },
					      { "actor", required_argument, NULL, 'a' },
					      { "passphrase-file", required_argument, NULL, 'P' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_media_opts o = { .parity = 1 };
	const char *ckey = NULL, *actor = NULL, *pfile = NULL, *bundle;
	struct al_media_result res;
	struct al_report rep = { 0 };
	struct al_err err = { 0 };
	struct cli_progress pr;
	const char *out = NULL, *size = NULL;
	int json = 0, quiet = 0, c, code = 0;
	char *end, b[32], cb[32];
	enum al_code rc;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': size = optarg; break;
		case 'p':
			errno = 0;
			o.parity = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || o.parity > 64)
				return cli_usage("media split", "--parity takes a number of volumes, 0 to 64");
			break;
		case 'c':
			if (al_media_size_parse(optarg, &o.chunk_size, &err))
				return cli_usage("media split", "--chunk-size: %s", err.msg);
			break;
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'K': ckey = optarg; break;
		case 'a': actor = optarg; break;
		case 'P': pfile = optarg; break;
		case 'h': return cli_help(al_doc_media);
		default: return cli_usage("media split", "bad option");
		}
	}
	if (optind + 1 != argc || !out || !size)
		return cli_usage("media split", "give one bundle, --size and -o DIR");
	if (al_media_size_parse(size, &o.volume_size, &err))
		return cli_usage("media split", "--size: %s", err.msg);
	bundle = argv[optind]; /* (recording custody runs getopt again) */
	if (!ckey != !actor)
		return cli_usage("media split", "--custody-key and --actor go together");
	if (ckey && al_bundle_is_tar(bundle))
		return cli_usage("media split", "--custody-key records in a bundle directory's custody.log: not a tar");
	if (ckey) { /* the packing is recorded first, so that every volume carries the record */
		char medium[128];
		snprintf(medium, sizeof(medium), "removable media: volumes of %s, %u for parity", size, o.parity);
		if ((code = cli_custody_record(bundle, "packed", actor, ckey, medium, pfile)))
			return code;
	}
	cli_progress_start(&pr, "splitting", quiet || json);
	rc = al_media_split(bundle, out, &o, &res, &rep, &pr.p, &err);
	cli_progress_stop(&pr);
	if (rc) {
		print_problems("split", &rep);
		al_report_release(&rep);
		return cli_fail(&err);
	}
	al_report_release(&rep);
	if (json)
		cli_json(json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:s, s:I}", "bundle", bundle, "output", out,
				   "volumes", (int)(res.k + res.m), "data_volumes", (int)res.k, "parity_volumes",
				   (int)res.m, "chunk_bytes", (json_int_t)res.chunk_size, "stripes", (json_int_t)res.stripes,
				   "tar_bytes", (json_int_t)res.tar_bytes, "tar_digest", res.tar_digest, "largest_volume",
				   (json_int_t)res.largest));
	else {
		cli_bytes(res.tar_bytes, b);
		cli_bytes(res.chunk_size, cb);
		cli_line(stdout, "split '%s' (%s tar, %s) into %u volumes in '%s': vol-01 … vol-%02u", bundle, b,
			 res.tar_digest, res.k + res.m, out, res.k + res.m);
		cli_bytes(res.largest, b);
		printf("%u data and %u parity: any %u of the %u volumes rebuild the bundle; chunks of %s; the fullest "
		       "volume holds %s\n",
		       res.k, res.m, res.k, res.k + res.m, cb, b);
	}
	return code;
}

static int check(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, quiet = 0, c, code = 0;
	json_t *all = json_array();
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': json_decref(all); return cli_help(al_doc_media);
		default: json_decref(all); return cli_usage("media check", "bad option");
		}
	}
	if (optind >= argc) {
		json_decref(all);
		return cli_usage("media check", "give one volume or more");
	}
	for (int i = optind; i < argc; i++) {
		struct al_report rep = { 0 };
		struct al_err err = { 0 };
		struct cli_progress pr;
		json_t *about = NULL, *probs = json_array();
		enum al_code rc;
		char b[32];
		cli_progress_start(&pr, "checking", quiet || json);
		rc = al_media_check(argv[i], &about, &rep, &pr.p, &err);
		cli_progress_stop(&pr);
		for (size_t k = 0; k < rep.n; k++)
			json_array_append_new(probs, al_json_text(rep.msg[k]));
		if (rc && rc != AL_EVERIFY) {
			if (!json)
				cli_fail(&err);
			json_array_append_new(probs, al_json_text(err.msg));
		}
		code = rc ? (al_code_exit(rc) > code ? al_code_exit(rc) : code) : code;
		if (!json && about && !rc) {
			cli_bytes((uint64_t)json_integer_value(json_object_get(about, "bytes")), b);
			cli_line(stdout, "%s: volume %lld of %lld of bundle '%s' version %lld: %lld chunks, %s, all good",
				 argv[i], json_integer_value(json_object_get(about, "volume")),
				 json_integer_value(json_object_get(about, "volumes")), al_json_str(about, "name"),
				 json_integer_value(json_object_get(about, "version")),
				 json_integer_value(json_object_get(about, "chunks")), b);
		} else if (!json && rc == AL_EVERIFY) {
			print_problems("check", &rep);
			if (!rep.n)
				cli_fail(&err);
			cli_line(stderr, "airlock: media check: %s: BAD (%zu problems)", argv[i], al_report_count(&rep));
		}
		json_array_append_new(all, json_pack("{s:o, s:b, s:o*, s:o}", "volume", al_json_text(argv[i]), "ok", !rc,
						     "about", about, "problems", probs));
		al_report_release(&rep);
	}
	if (json)
		cli_json(all);
	else
		json_decref(all);
	return code;
}

/* Streams the join into OUT: a temporary file beside it, synced, renamed into place. */
static enum al_code join_to(struct al_media_join *j, const char *out, struct al_progress *prog, struct al_err *err)
{
	struct al_tar_source src;
	char *tmp = al_strf("%s.part", out), *buf = aligned_alloc(AL_DIRECT_ALIGN, AL_IO_CHUNK), *dir = al_dirname(out);
	enum al_code rc = AL_OK;
	uint64_t off = 0;
	ssize_t n;
	int fd = -1, direct = 0;
	struct stat st;
	al_media_join_source(j, &src);
	if (!tmp || !buf || !dir)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (lstat(out, &st) == 0) /* found before the volumes are read; the rename checks again */
		rc = al_fail(err, AL_ECONFLICT, "'%s' already exists: it is not replaced", out);
	else if ((fd = al_create_direct(tmp, 0644, &direct)) < 0) /* a tar as large as the bundle: past the cache */
		rc = al_fail_errno(err, AL_EIO, "cannot create '%s'", tmp);
	while (!rc && (n = src.read(src.ctx, buf, AL_IO_CHUNK, err)) != 0) {
		if (n < 0)
			rc = err->code ? err->code : AL_EIO;
		else {
			rc = al_pwrite_direct(fd, &direct, buf, (size_t)n, off, tmp, err);
			off += (uint64_t)n;
			al_progress_add(prog, (uint64_t)n);
		}
	}
	if (!rc && fdatasync(fd))
		rc = al_fail_errno(err, AL_EIO, "cannot write '%s'", tmp);
	if (fd >= 0 && close(fd) && !rc)
		rc = al_fail_errno(err, AL_EIO, "cannot write '%s'", tmp);
	if (!rc && renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE))
		rc = errno == EEXIST ? al_fail(err, AL_ECONFLICT, "'%s' already exists: it is not replaced", out)
				     : al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", tmp, out);
	if (!rc)
		rc = al_fsync_dir(dir, err);
	else if (fd >= 0)
		unlink(tmp); /* nothing half-joined stays behind */
	free(tmp);
	free(buf);
	free(dir);
	return rc;
}

/* What the join rebuilt, and which volumes were missing, for a person. */
static void print_join(const json_t *r, FILE *f)
{
	size_t i;
	json_t *e, *m;
	json_array_foreach(json_object_get(r, "missing"), i, m)
		fprintf(f, "volume %02lld was not given: its chunks were rebuilt from parity\n",
			(long long)json_integer_value(m));
	json_array_foreach(json_object_get(r, "events"), i, e) {
		if (i == 20) {
			fprintf(f, "… and %zu more chunks rebuilt (--json lists them all)\n",
				json_array_size(json_object_get(r, "events")) - i);
			break;
		}
		if (al_json_str(e, "volume_unreadable"))
			cli_line(f, "%s: MEDIA.json cannot be read (%s): the volume counted as missing",
				 al_json_str(e, "volume_unreadable"), al_json_str(e, "why"));
		else
			cli_line(f, "volume %02lld chunk %06lld: %s: rebuilt from parity",
				 (long long)json_integer_value(json_object_get(e, "volume")),
				 (long long)json_integer_value(json_object_get(e, "chunk")), al_json_str(e, "why"));
	}
}

static int join(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *out = NULL;
	int json = 0, quiet = 0, c;
	struct al_media_join *j = NULL;
	struct al_err err = { 0 };
	struct cli_progress pr;
	enum al_code rc;
	json_t *r;
	char b[32];
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_media);
		default: return cli_usage("media join", "bad option");
		}
	}
	if (optind >= argc || !out)
		return cli_usage("media join", "give the volumes and -o BUNDLE.tar");
	if ((rc = al_media_join_open(argv + optind, (size_t)(argc - optind), &j, &err)))
		return cli_fail(&err);
	cli_progress_start(&pr, "joining", quiet || json);
	rc = join_to(j, out, &pr.p, &err);
	cli_progress_stop(&pr);
	r = al_media_join_report(j);
	al_media_join_free(j);
	if (rc) {
		print_join(r, stderr);
		json_decref(r);
		return cli_fail(&err);
	}
	if (json) {
		json_object_set_new(r, "output", al_json_text(out));
		cli_json(r);
		return 0;
	}
	print_join(r, stdout);
	cli_bytes((uint64_t)json_integer_value(json_object_get(r, "bytes")), b);
	cli_line(stdout, "joined %lld of %lld volumes of bundle '%s' version %lld into '%s' (%s, %s); verify or import it next",
		 json_integer_value(json_object_get(r, "given")), json_integer_value(json_object_get(r, "volumes")),
		 al_json_str(r, "name"), json_integer_value(json_object_get(r, "version")), out, b, al_json_str(r, "set"));
	json_decref(r);
	return 0;
}

int cmd_media(int argc, char **argv)
{
	const char *sub;
	if (argc < 2)
		return cli_usage("media", "give a subcommand: split, check or join");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return cli_help(al_doc_media);
	if (!strcmp(sub, "split"))
		return split(argc - 1, argv + 1);
	if (!strcmp(sub, "check"))
		return check(argc - 1, argv + 1);
	if (!strcmp(sub, "join"))
		return join(argc - 1, argv + 1);
	return cli_usage("media", "unknown subcommand '%s' (split, check or join)", sub);
}
