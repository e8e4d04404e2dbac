/* SPDX-License-Identifier: Apache-2.0 */
/* media.c: media sizes, MEDIA.json, and the check of one volume (media.h). */
#include "media_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <isa-l/erasure_code.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "json.h"

enum al_code al_media_size_parse(const char *t, uint64_t *bytes, struct al_err *err)
{
	static const struct { const char *name; uint64_t bytes; } media[] = {
		{ "cd", 700ull << 20 },	       { "dvd", 4700372992ull },	{ "dvd-dl", 8543666176ull },
		{ "bd25", 25025314816ull },    { "bd50", 50050629632ull },	{ "bd100", 100103356416ull },
	};
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "", 1 },	       { "K", 1ull << 10 }, { "M", 1ull << 20 }, { "G", 1ull << 30 }, { "T", 1ull << 40 },
		{ "KB", 1000 },	       { "MB", 1000000 },   { "GB", 1000000000ull }, { "TB", 1000000000000ull },
	};
	char *end;
	unsigned long long v;
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (!strcasecmp(t, media[i].name)) {
			*bytes = media[i].bytes;
			return AL_OK;
		}
	errno = 0;
	v = isdigit((unsigned char)*t) ? strtoull(t, &end, 10) : 0;
	if (isdigit((unsigned char)*t) && !errno && v)
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcasecmp(end, units[i].suffix) && v <= UINT64_MAX / units[i].mult) {
				*bytes = v * units[i].mult;
				return AL_OK;
			}
	return al_fail(err, AL_EINVAL,
		       "'%s' is not a size: give bytes, a number with K, M, G, T (powers of 1024) or KB, MB, GB, "
		       "TB (of 1000), or a medium: cd, dvd, dvd-dl, bd25, bd50, bd100", t);
}

/* Writes the tar of BUNDLE into SINK: a tar file's bytes, or the tar of a directory bundle
 * (the bytes `bundle create --tar` writes, with MTIME). */
enum al_code xfer_feed(const char *bundle, int64_t mtime, const struct al_tar_sink *sink, struct al_err *err)
{
	enum al_code rc = AL_OK;
	char *buf;
	ssize_t got;
	int fd;
	if (!al_bundle_is_tar(bundle))
		return al_bundle_write_tar_stream(bundle, sink, mtime, err);
	if ((fd = open(bundle, O_RDONLY | O_CLOEXEC)) < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", bundle);
	if (!(buf = malloc(AL_IO_CHUNK)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	while (!rc && (got = read(fd, buf, AL_IO_CHUNK)) != 0)
		rc = got < 0 ? (errno == EINTR ? AL_OK : al_fail_errno(err, AL_EIO, "cannot read '%s'", bundle))
			     : sink->write(sink->ctx, buf, (size_t)got, err);
	free(buf);
	close(fd);
	return rc;
}

void media_layout_release(struct media_layout *l)
{
	free(l->name);
	free(l->digests);
	memset(l, 0, sizeof(*l));
}

uint64_t media_chunk_len(const struct media_layout *l, uint64_t s, unsigned row)
{
	uint64_t off;
	if (row >= l->k)
		return l->chunk;
	off = (s * l->k + row) * l->chunk;
	return off >= l->tar_bytes ? 0 : l->tar_bytes - off < l->chunk ? l->tar_bytes - off : l->chunk;
}

void media_chunk_name(uint64_t s, char out[32])
{
	snprintf(out, 32, "chunks/%06" PRIu64, s);
}

unsigned char *media_matrix(unsigned k, unsigned m)
{
	unsigned char *a = malloc((size_t)(k + m) * k);
	if (a)
		gf_gen_cauchy1_matrix(a, (int)(k + m), (int)k);
	return a;
}

enum al_code media_layout_dump(const struct media_layout *l, unsigned vol, struct al_buf *b, struct al_err *err)
{
	json_t *chunks = json_array(), *doc;
	enum al_code rc;
	for (uint64_t s = 0; s < l->stripes; s++) {
		json_t *row = json_array();
		for (unsigned r = 0; r < l->k + l->m; r++) {
			char hex[AL_HEX_LEN + 1];
			al_hex(media_digest(l, s, r), hex);
			json_array_append_new(row, media_chunk_len(l, s, r) ? json_string(hex) : json_null());
		}
		json_array_append_new(chunks, row);
	}
	doc = json_pack("{s:i, s:s, s:{s:o, s:I, s:s}, s:{s:I, s:s}, s:{s:s, s:s, s:i, s:i, s:I}, s:I, s:i, s:i, s:o}",
			"airlock_media", MEDIA_FORMAT, "about",
			"the volumes of one airlock bundle; docs/protocols/media.md", "bundle", "name",
			al_json_text(l->name), "version", (json_int_t)l->version, "sums_digest", l->sums_digest, "tar",
			"bytes", (json_int_t)l->tar_bytes, "digest", l->tar_digest, "code", "kind", "reed-solomon",
			"matrix", MEDIA_MATRIX, "k", (int)l->k, "m", (int)l->m, "chunk_bytes", (json_int_t)l->chunk,
			"stripes", (json_int_t)l->stripes, "volume", (int)vol, "volumes", (int)(l->k + l->m), "chunks",
			chunks);
	if (!doc)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_json_dump(doc, AL_JSON_PRETTY, b, err);
	json_decref(doc);
	return rc;
}

/* Reads the chunk digests of DOC's "chunks" into l->digests. */
static const char *load_chunks(const json_t *chunks, struct media_layout *l)
{
	size_t n = (size_t)(l->k + l->m);
	if (json_array_size(chunks) != l->stripes)
		return "\"chunks\" does not have one entry per stripe";
	if (!(l->digests = calloc(l->stripes ? l->stripes * n : 1, AL_DIGEST_LEN)))
		return "out of memory";
	for (uint64_t s = 0; s < l->stripes; s++) {
		const json_t *row = json_array_get(chunks, s);
		if (json_array_size(row) != n)
			return "a stripe of \"chunks\" does not list every volume";
		for (unsigned r = 0; r < n; r++) {
			const json_t *d = json_array_get(row, r);
			int empty = !media_chunk_len(l, s, r);
			if (empty ? !json_is_null(d)
				  : !json_is_string(d) || json_string_length(d) != AL_HEX_LEN ||
					    al_unhex(json_string_value(d), AL_HEX_LEN, media_digest(l, s, r)))
				return "a chunk's SHA-256 is not 64 hex digits (or not null past the end of the tar)";
		}
	}
	return NULL;
}

/* The fields of DOC into l; NULL, or what is wrong. */
static const char *load_fields(const json_t *doc, struct media_layout *l)
{
	const json_t *b = json_object_get(doc, "bundle"), *tar = json_object_get(doc, "tar"),
		     *code = json_object_get(doc, "code");
	int64_t fmt, k, m, vol, vols, chunk, stripes, bytes;
	const char *name = al_json_str(b, "name"), *sums = al_json_str(b, "sums_digest");
	const char *td = al_json_str(tar, "digest"), *matrix = al_json_str(code, "matrix");
	if (al_json_int(doc, "airlock_media", &fmt) || fmt != MEDIA_FORMAT)
		return "it is not format 1 of airlock's media (\"airlock_media\": 1)";
	if (!name || !sums || !al_digest_valid(sums) || al_json_int(b, "version", &l->version))
		return "\"bundle\" needs \"name\", \"version\" and \"sums_digest\"";
	if (!td || !al_digest_valid(td) || al_json_int(tar, "bytes", &bytes) || bytes <= 0)
		return "\"tar\" needs \"bytes\" and \"digest\"";
	if (!matrix || strcmp(matrix, MEDIA_MATRIX) || strcmp(al_json_str(code, "kind") ? al_json_str(code, "kind") : "",
							      "reed-solomon"))
		return "\"code\" is not ISA-L's Cauchy Reed-Solomon";
	if (al_json_int(code, "k", &k) || al_json_int(code, "m", &m) || al_json_int(code, "chunk_bytes", &chunk) ||
	    al_json_int(doc, "stripes", &stripes) || al_json_int(doc, "volume", &vol) ||
	    al_json_int(doc, "volumes", &vols))
		return "\"code\" needs \"k\", \"m\" and \"chunk_bytes\", and \"stripes\", \"volume\", \"volumes\" are needed";
	if (k < 1 || m < 0 || k + m > AL_MEDIA_MAX_VOLUMES || vols != k + m || vol < 1 || vol > vols)
		return "the volume numbers and k, m do not agree";
	if (chunk < MEDIA_MIN_CHUNK || chunk > MEDIA_MAX_CHUNK ||
	    stripes != (bytes + k * chunk - 1) / (k * chunk))
		return "the chunk size, stripes and tar size do not agree";
	l->k = (unsigned)k, l->m = (unsigned)m, l->volume = (unsigned)vol;
	l->chunk = (uint64_t)chunk, l->stripes = (uint64_t)stripes, l->tar_bytes = (uint64_t)bytes;
	snprintf(l->tar_digest, sizeof(l->tar_digest), "%s", td);
	snprintf(l->sums_digest, sizeof(l->sums_digest), "%s", sums);
	if (!(l->name = strdup(name)))
		return "out of memory";
	return load_chunks(json_object_get(doc, "chunks"), l);
}

enum al_code media_layout_parse(const char *text, size_t n, const char *what, struct media_layout *l,
				struct al_err *err)
{
	json_t *doc = NULL;
	const char *why;
	enum al_code rc = al_json_parse(text, n, what, &doc, err);
	memset(l, 0, sizeof(*l));
	if (rc)
		return rc;
	why = load_fields(doc, l);
	json_decref(doc);
	if (why) {
		rc = al_fail(err, !strcmp(why, "out of memory") ? AL_ENOMEM : AL_EVERIFY, "%s: %s", what, why);
		media_layout_release(l);
	}
	return rc;
}

enum al_code media_layout_load(const char *volume, struct media_layout *l, struct al_err *err)
{
	char *path = al_join(volume, MEDIA_JSON);
	struct al_buf b;
	enum al_code rc;
	memset(l, 0, sizeof(*l));
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_SMALL);
	rc = al_read_file(path, AL_NOFOLLOW, &b, err);
	if (!rc)
		rc = media_layout_parse(b.data, b.len, path, l, err);
	al_buf_release(&b);
	free(path);
	if (rc && rc != AL_ENOMEM) {
		al_err_prefix(err, "volume '%s'", volume);
		return AL_EVERIFY; /* a volume without a readable MEDIA.json is a bad volume */
	}
	return rc;
}

int media_layout_same(const struct media_layout *a, const struct media_layout *b)
{
	return a->k == b->k && a->m == b->m && a->chunk == b->chunk && a->stripes == b->stripes &&
	       a->tar_bytes == b->tar_bytes && !strcmp(a->tar_digest, b->tar_digest) &&
	       !strcmp(a->sums_digest, b->sums_digest) && !strcmp(a->name, b->name) && a->version == b->version &&
	       !memcmp(a->digests, b->digests, a->stripes * (a->k + a->m) * AL_DIGEST_LEN);
}

enum al_code al_media_volume_sums(const char *volume, char sums[AL_DIGEST_STR], struct al_err *err)
{
	struct media_layout l;
	enum al_code rc = media_layout_load(volume, &l, err);
	if (!rc)
		snprintf(sums, AL_DIGEST_STR, "%s", l.sums_digest);
	media_layout_release(&l);
	return rc;
}

int al_media_is_volume(const char *path)
{
	char *p = al_join(path, MEDIA_JSON);
	struct stat st;
	int yes = p && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return yes;
}

/* Checks the chunk of stripe S that volume L->volume holds; a problem goes to REP. */
static enum al_code check_chunk(const char *volume, const struct media_layout *l, uint64_t s, struct al_report *rep,
				struct al_progress *prog, struct al_err *err)
{
	unsigned row = l->volume - 1;
	uint64_t want = media_chunk_len(l, s, row), size = 0;
	unsigned char got[AL_DIGEST_LEN];
	char name[32], *path;
	enum al_code rc;
	struct stat st;
	media_chunk_name(s, name);
	if (!(path = al_join(volume, name)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		if (want)
			al_report_add(rep, "%s: missing", path);
		rc = AL_OK;
	} else if (!want) {
		al_report_add(rep, "%s: lies past the end of the tar, so should not be there", path);
		rc = AL_OK;
	} else if (!S_ISREG(st.st_mode)) {
		al_report_add(rep, "%s: not a regular file", path);
		rc = AL_OK;
	} else if ((rc = al_hash_file(path, got, &size, prog, err)) == AL_EIO) {
		al_report_add(rep, "%s: cannot be read: %s", path, err->msg);
		al_err_clear(err);
		rc = AL_OK;
	} else if (!rc && size != want) {
		al_report_add(rep, "%s: %" PRIu64 " bytes, not %" PRIu64 " (%s)", path, size, want,
			      size < want ? "truncated" : "too long");
	} else if (!rc && memcmp(got, media_digest(l, s, row), AL_DIGEST_LEN)) {
		al_report_add(rep, "%s: corrupt (its SHA-256 is not the one MEDIA.json lists)", path);
	}
	free(path);
	return rc;
}

enum al_code al_media_check(const char *volume, json_t **about, struct al_report *rep, struct al_progress *prog,
			    struct al_err *err)
{
	struct media_layout l;
	enum al_code rc = media_layout_load(volume, &l, err);
	uint64_t bytes = 0;
	*about = NULL;
	if (rc)
		return rc;
	for (uint64_t s = 0; !rc && s < l.stripes; s++) {
		bytes += media_chunk_len(&l, s, l.volume - 1);
		rc = check_chunk(volume, &l, s, rep, prog, err);
	}
	if (!rc)
		*about = json_pack("{s:i, s:i, s:o, s:I, s:s, s:I, s:I, s:i, s:i}", "volume", (int)l.volume, "volumes",
				   (int)(l.k + l.m), "name", al_json_text(l.name), "version", (json_int_t)l.version,
				   "set", l.tar_digest, "chunks", (json_int_t)l.stripes, "bytes", (json_int_t)bytes,
				   "data_volumes", (int)l.k, "parity_volumes", (int)l.m);
	media_layout_release(&l);
	if (!rc && !*about)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	return rc ? rc : al_report_count(rep) ? AL_EVERIFY : AL_OK;
}
