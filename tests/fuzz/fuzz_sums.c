/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sums.c: the SHA256SUMS parser and the coverage rules of the strict
 * check (al_bundle_check), without a file system: the input is the
 * SHA256SUMS of an in-memory view that otherwise holds a real, minimal
 * bundle (made by `airlock bundle create` from one small file, with a
 * custody.log beside it, which SHA256SUMS must not cover).
 *
 * Checks: the check never fails operationally on a view in memory; it passes
 * exactly when the input lists every covered file of the fixture once, with
 * its digest (either hex case), one "<hex>  <path>" or "<hex> *<path>" line
 * each, newline-terminated, and nothing else. corpus/sums/canonical.sums is
 * the fixture's own `sha256sum` output, so replaying the corpus also checks
 * that a good SHA256SUMS passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "fuzz.h"

#define MANIFEST_DIGEST "8705703859450fbf925d5f8700320caf3ca0e47ab6ffe2dbfb30ec7112da0432"
#define CONFIG_DIGEST	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define LAYER_DIGEST	"1f3d158914b94c10e7d539ec8006a43cb6feecdf820f2fd4150ba7f7e27157be"

/* Byte for byte what `airlock bundle create` wrote (the SBOM shortened to what the check reads). */
/* clang-format off */
static const struct {
	const char *path;
	const char *data;
	int covered; /* listed in SHA256SUMS */
} fixture[] = {
	{ "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 1 },
	{ "index.json",
	  "{\n"
	  "  \"schemaVersion\": 2,\n"
	  "  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
	  "  \"manifests\": [\n"
	  "    {\n"
	  "      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	  "      \"digest\": \"sha256:" MANIFEST_DIGEST "\",\n"
	  "      \"size\": 573,\n"
	  "      \"artifactType\": \"application/vnd.airlock.file.v1\",\n"
	  "      \"annotations\": {\n"
	  "        \"org.opencontainers.image.ref.name\": \"file/hello.txt\",\n"
	  "        \"io.airlock.kind\": \"file\",\n"
	  "        \"io.airlock.name\": \"hello.txt\",\n"
	  "        \"io.airlock.upstream\": \"file:hello.txt\"\n"
	  "      }\n"
	  "    }\n"
	  "  ]\n"
	  "}\n", 1 },
	{ "airlock.json",
	  "{\n"
	  "  \"airlockBundle\": 1,\n"
	  "  \"name\": \"tiny\",\n"
	  "  \"version\": 1,\n"
	  "  \"created\": \"2026-11-29T17:37:18Z\",\n"
	  "  \"expires\": \"2036-11-26T17:37:18Z\",\n"
	  "  \"spec\": {\n"
	  "    \"file\": \"spec.yaml\",\n"
	  "    \"digest\": \"sha256:eecb91a78273ef83a6ac5dc71265a341f6fbf00ded72eaf9590dafcc8340614a\"\n"
	  "  },\n"
	  "  \"tool\": \"airlock 0.1.0\",\n"
	  "  \"artifacts\": [\n"
	  "    {\n"
	  "      \"kind\": \"file\",\n"
	  "      \"name\": \"hello.txt\",\n"
	  "      \"upstream\": \"file:hello.txt\",\n"
	  "      \"ref\": \"file/hello.txt\",\n"
	  "      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	  "      \"digest\": \"sha256:" MANIFEST_DIGEST "\",\n"
	  "      \"size\": 573,\n"
	  "      \"contentSize\": 589,\n"
	  "      \"info\": {\n"
	  "        \"sha256\": \"" LAYER_DIGEST "\"\n"
	  "      }\n"
	  "    }\n"
	  "  ]\n"
	  "}\n", 1 },
	{ "sbom.cdx.json",
	  "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\"components\":[{\"bom-ref\":"
	  "\"file/hello.txt\",\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"" LAYER_DIGEST "\"}],"
	  "\"properties\":[{\"name\":\"airlock:manifest\",\"value\":\"sha256:" MANIFEST_DIGEST "\"}]}]}\n", 1 },
	{ "blobs/sha256/" MANIFEST_DIGEST,
	  "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	  "\"artifactType\":\"application/vnd.airlock.file.v1\",\"config\":{\"mediaType\":"
	  "\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:" CONFIG_DIGEST "\",\"size\":2},"
	  "\"layers\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\"sha256:" LAYER_DIGEST
	  "\",\"size\":14,\"annotations\":{\"io.airlock.path\":\"hello.txt\","
	  "\"org.opencontainers.image.title\":\"hello.txt\"}}],\"annotations\":"
	  "{\"org.opencontainers.image.title\":\"hello.txt\"}}", 1 },
	{ "blobs/sha256/" CONFIG_DIGEST, "{}", 1 },
	{ "blobs/sha256/" LAYER_DIGEST, "hello airlock\n", 1 },
	{ "custody.log", "", 0 },
};
/* clang-format on */
enum { NFIX = sizeof(fixture) / sizeof(fixture[0]) };

/* The fixture's digests, computed once. */
static char fix_digest[NFIX][AL_DIGEST_STR];

/* A view whose files live in memory; the read callback finds them by path. */
struct mem_view {
	struct al_bview v; /* first, so the callback can get back to the rest */
	const char *sums;
	size_t nsums;
};

static void digest_of(const void *p, size_t n, char out[AL_DIGEST_STR])
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	if (al_sha256_mem(p, n, d, NULL) != AL_OK)
		AL_BUG("sha256 failed");
	al_hex(d, hex);
	memcpy(out, "sha256:", 7);
	memcpy(out + 7, hex, AL_HEX_LEN + 1);
}

/* As tar_read and dir_read do: the bytes, bounded by out->max, re-checked against f->digest. */
static enum al_code mem_read(struct al_bview *v, const struct al_bfile *f, struct al_buf *out,
			     struct al_err *err)
{
	const struct mem_view *m = (const struct mem_view *)v;
	const char *p = NULL;
	size_t n = 0;
	char digest[AL_DIGEST_STR];
	enum al_code rc;
	if (!strcmp(f->path, "SHA256SUMS")) {
		p = m->sums;
		n = m->nsums;
	}
	for (size_t i = 0; !p && i < NFIX; i++)
		if (!strcmp(f->path, fixture[i].path)) {
			p = fixture[i].data;
			n = strlen(p);
		}
	if (!p)
		AL_BUG("a file that is not in the view was read");
	al_buf_reset(out);
	if ((rc = al_buf_add(out, p, n, err)) || (!out->data && (rc = al_buf_add(out, "", 0, err))))
		return rc;
	digest_of(out->data, out->len, digest);
	if (strcmp(digest, f->digest) != 0)
		AL_BUG("a file of the in-memory view changed");
	return AL_OK;
}

/* Does line (without its newline) list fixture file i, as the check accepts it? */
static int line_lists(const char *line, size_t len, size_t i)
{
	size_t plen = strlen(fixture[i].path);
	return len == AL_HEX_LEN + 2 + plen && !strncasecmp(line, fix_digest[i] + 7, AL_HEX_LEN) &&
	       line[AL_HEX_LEN] == ' ' && (line[AL_HEX_LEN + 1] == ' ' || line[AL_HEX_LEN + 1] == '*') &&
	       !memcmp(line + AL_HEX_LEN + 2, fixture[i].path, plen);
}

/* The expected verdict, computed independently of check.c: 1 if the input must pass. */
static int should_pass(const char *data, size_t size)
{
	int seen[NFIX] = { 0 };
	const char *p = data, *end = data + size;
	if (size == 0 || end[-1] != '\n')
		return 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(eol - p), i;
		for (i = 0; i < NFIX; i++)
			if (fixture[i].covered && line_lists(p, len, i))
				break;
		if (i == NFIX || seen[i]++)
			return 0;
		p = eol + 1;
	}
	for (size_t i = 0; i < NFIX; i++)
		if (fixture[i].covered && !seen[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mem_view m = { .sums = (const char *)data, .nsums = size };
	struct al_report rep = { 0 };
	struct al_bundle_info info = { 0 };
	struct al_err err = { 0 };
	char sums_digest[AL_DIGEST_STR];
	enum al_code rc;
	int pass;
	if (!ready) {
		for (size_t i = 0; i < NFIX; i++)
			digest_of(fixture[i].data, strlen(fixture[i].data), fix_digest[i]);
		ready = 1;
	}
	if (size > AL_MAX_SUMS)
		return 0;
	m.v.read = mem_read;
	m.v.root = strdup("fuzz");
	if (!m.v.root)
		AL_BUG("out of memory");
	digest_of(data, size, sums_digest);
	if (al_bview_add(&m.v, "SHA256SUMS", size, sums_digest, &err) != AL_OK)
		AL_BUG("out of memory");
	for (size_t i = 0; i < NFIX; i++)
		if (al_bview_add(&m.v, fixture[i].path, strlen(fixture[i].data), fix_digest[i], &err))
			AL_BUG("out of memory");
	al_bview_sort(&m.v);
	FUZZ_ON();
	rc = al_bundle_check(&m.v, &rep, &info, &err);
	FUZZ_OFF();
	pass = should_pass((const char *)data, size);
	if (rc == AL_ENOMEM && err.msg[0]) {
		/* (allocation-failure mode): nothing more holds, but nothing may leak */
		al_bundle_info_release(&info);
		al_report_release(&rep);
		al_bview_release(&m.v);
		return 0;
	}
	if (rc != AL_OK && rc != AL_EVERIFY) {
		fprintf(stderr, "fuzz_sums: code %d: %s\n", (int)rc, err.msg);
		AL_BUG("the check failed operationally on a view in memory");
	}
	if ((rc == AL_OK) != (al_report_count(&rep) == 0))
		AL_BUG("the verdict and the report disagree");
	if (rc == AL_OK && !pass) {
		fprintf(stderr, "fuzz_sums: accepted a SHA256SUMS that does not cover the bundle exactly\n");
		AL_BUG("the check accepted a bad SHA256SUMS");
	}
	if (rc != AL_OK && pass) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "fuzz_sums: %s\n", rep.msg[i]);
		AL_BUG("the check refused a SHA256SUMS that covers the bundle exactly");
	}
	if (rc == AL_OK && (!info.name || strcmp(info.name, "tiny") || info.nartifacts != 1 ||
			    info.nblobs != 3 || strcmp(info.sums_digest, sums_digest)))
		AL_BUG("a passing check returned the wrong info");
	al_bundle_info_release(&info);
	al_report_release(&rep);
	al_bview_release(&m.v);
	return 0;
}
