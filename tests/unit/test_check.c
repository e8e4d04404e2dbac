/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_check.c: the strict bundle check (src/lib/bundle/check.c through
 * al_bundle_verify). Each test makes a fresh small bundle with
 * al_bundle_create from a spec on disk (a model directory of two files and a
 * single file), verifies it, and then checks a must-fail twin: one change to
 * the bundle that verification has to catch and report by file name. The tar
 * form is checked the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include "bundle.h"
#include "fsx.h"
#include "hash.h"
#include "spec.h"
#include "unit.h"

static const char weights[] = "WEIGHTS-0123456789-not-really-a-safetensors-file\n";
static const char config[] = "{\"model_type\": \"tiny\"}\n";
static const char notes[] = "NOTES-CONTENT-0123456789 for the unit test\n";

struct fix {
	char *dir;
	struct al_spec spec;
	char weights_blob[16 + AL_HEX_LEN]; /* blobs/sha256/<hex> */
	char notes_blob[16 + AL_HEX_LEN];
	char weights_hex[AL_HEX_LEN + 1];
	char notes_hex[AL_HEX_LEN + 1];
};

static void blob_path(const char *data, char hex[AL_HEX_LEN + 1], char out[16 + AL_HEX_LEN])
{
	unsigned char d[AL_DIGEST_LEN];
	assert_int_equal(al_sha256_mem(data, strlen(data), d, NULL), AL_OK);
	al_hex(d, hex);
	snprintf(out, 16 + AL_HEX_LEN, "blobs/sha256/%s", hex);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct al_err err = { 0 };
	char *p;
	if (!f)
		return -1;
	f->dir = unit_tmpdir();
	p = unit_path(f->dir, "src/tiny-model");
	assert_int_equal(al_mkdirs(p, NULL), AL_OK);
	free(p);
	p = unit_path(f->dir, "src/tiny-model/model.safetensors");
	unit_write_str(p, weights);
	free(p);
	p = unit_path(f->dir, "src/tiny-model/config.json");
	unit_write_str(p, config);
	free(p);
	p = unit_path(f->dir, "src/notes.txt");
	unit_write_str(p, notes);
	free(p);
	p = unit_path(f->dir, "src/airlock.yaml");
	unit_write_str(p, "name: unit-check\n"
			  "version: 1\n"
			  "artifacts:\n"
			  "  - kind: model\n"
			  "    path: tiny-model\n"
			  "  - kind: file\n"
			  "    path: notes.txt\n");
	if (al_spec_load(p, (int64_t)time(NULL), &f->spec, &err) != AL_OK)
		fail_msg("spec: %s", err.msg);
	free(p);
	blob_path(weights, f->weights_hex, f->weights_blob);
	blob_path(notes, f->notes_hex, f->notes_blob);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc = al_rmtree(f->dir, NULL) == AL_OK ? 0 : -1;
	al_spec_release(&f->spec);
	free(f->dir);
	free(f);
	return rc;
}

/* A new bundle at dir/name (a directory, or a tar when tar is set); caller frees the path. */
static char *create(struct fix *f, const char *name, int tar)
{
	struct al_create_opts opts = { .tar = tar, .now = (int64_t)time(NULL), .prog = NULL };
	struct al_bundle_info info;
	struct al_err err = { 0 };
	char *out = unit_path(f->dir, name);
	if (al_bundle_create(&f->spec, out, &opts, &info, &err) != AL_OK)
		fail_msg("create '%s': %s", out, err.msg);
	assert_int_equal(info.nartifacts, 2);
	al_bundle_info_release(&info);
	return out;
}

/* Verifies path; returns the code, and the report messages joined by '\n' (caller frees). */
static enum al_code verify(const char *path, char **report, struct al_bundle_info *info_out)
{
	struct al_report rep = { 0 };
	struct al_bundle_info info;
	struct al_err err = { 0 };
	enum al_code rc;
	size_t len = 1;
	memset(&info, 0, sizeof(info));
	rc = al_bundle_verify(path, &rep, &info, NULL, &err);
	for (size_t i = 0; i < rep.n; i++)
		len += strlen(rep.msg[i]) + 1;
	*report = calloc(1, len + strlen(err.msg) + 1);
	assert_non_null(*report);
	{
		size_t at = 0, cap = len + strlen(err.msg) + 1;
		for (size_t i = 0; i < rep.n; i++)
			at += (size_t)snprintf(*report + at, cap - at, "%s\n", rep.msg[i]);
		snprintf(*report + at, cap - at, "%s", err.msg);
	}
	/* AL_EVERIFY always comes with at least one problem, AL_OK with none */
	if (rc == AL_EVERIFY)
		assert_true(al_report_count(&rep) > 0);
	if (rc == AL_OK)
		assert_int_equal(al_report_count(&rep), 0);
	al_report_release(&rep);
	if (info_out)
		*info_out = info;
	else
		al_bundle_info_release(&info);
	return rc;
}

static void expect_ok(const char *path)
{
	char *rep;
	struct al_bundle_info info;
	enum al_code rc = verify(path, &rep, &info);
	if (rc != AL_OK)
		fail_msg("'%s' did not verify (%d):\n%s", path, rc, rep);
	assert_string_equal(info.name, "unit-check");
	assert_int_equal(info.version, 1);
	assert_int_equal(info.nartifacts, 2);
	assert_int_equal(info.artifacts[0].kind, AL_KIND_MODEL);
	assert_string_equal(info.artifacts[0].name, "tiny-model");
	assert_int_equal(info.artifacts[1].kind, AL_KIND_FILE);
	assert_string_equal(info.artifacts[1].name, "notes.txt");
	assert_true(al_digest_valid(info.sums_digest));
	al_bundle_info_release(&info);
	free(rep);
}

static void expect_fail(const char *path, const char *names_file)
{
	char *rep;
	enum al_code rc = verify(path, &rep, NULL);
	if (rc != AL_EVERIFY)
		fail_msg("'%s': got %d, want AL_EVERIFY:\n%s", path, rc, rep);
	if (!strstr(rep, names_file))
		fail_msg("'%s': the report does not name '%s':\n%s", path, names_file, rep);
	free(rep);
}

static char *in(const char *bundle, const char *rel)
{
	return unit_path(bundle, rel);
}

static void flip_byte(const char *path, size_t off)
{
	size_t n;
	char *data = unit_read(path, &n);
	assert_true(off < n);
	data[off] ^= 0x01;
	unit_write(path, data, n);
	free(data);
}

/* ---- the good bundles ---- */

static void test_dir_verifies(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "good", 0), *p;
	expect_ok(b);
	/* the sources really are in there, under their digests */
	p = in(b, f->weights_blob);
	assert_true(unit_exists(p));
	free(p);
	p = in(b, f->notes_blob);
	assert_true(unit_exists(p));
	free(p);
	free(b);
}

static void test_tar_verifies(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "good.tar", 1);
	struct stat st;
	assert_int_equal(stat(b, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(al_bundle_is_tar(b));
	expect_ok(b);
	free(b);
}

/* ---- must-fail twins ---- */

static void test_flipped_byte_in_blob(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "flipped", 0), *p = in(b, f->weights_blob);
	flip_byte(p, 3);
	expect_fail(b, f->weights_blob);
	free(p);
	free(b);
}

static void test_truncated_blob(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "truncated", 0), *p = in(b, f->notes_blob);
	assert_int_equal(truncate(p, 5), 0);
	expect_fail(b, f->notes_blob);
	free(p);
	free(b);
}

static void test_unlisted_file(void **state)
{
	struct fix *f = *state;
	static const char *const extras[] = { "extra.txt", "blobs/extra", "sub/dir/x" };
	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		char name[32], *b, *p, *dir;
		snprintf(name, sizeof(name), "unlisted-%zu", i);
		b = create(f, name, 0);
		p = in(b, extras[i]);
		dir = al_dirname(p);
		assert_int_equal(al_mkdirs(dir, NULL), AL_OK);
		unit_write_str(p, "not in SHA256SUMS\n");
		expect_fail(b, extras[i]);
		free(dir);
		free(p);
		free(b);
	}
}

static void test_removed_file(void **state)
{
	struct fix *f = *state;
	const char *const removed[] = { f->weights_blob, "sbom.cdx.json", "airlock.json", "index.json",
					"oci-layout" };
	for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
		char name[32], *b, *p;
		snprintf(name, sizeof(name), "removed-%zu", i);
		b = create(f, name, 0);
		p = in(b, removed[i]);
		assert_int_equal(unlink(p), 0);
		expect_fail(b, removed[i]);
		free(p);
		free(b);
	}
}

static void test_removed_sums(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "nosums", 0), *p = in(b, "SHA256SUMS");
	assert_int_equal(unlink(p), 0);
	expect_fail(b, "SHA256SUMS");
	free(p);
	free(b);
}

static void test_sums_dotdot_line(void **state)
{
	struct fix *f = *state;
	static const char *const lines[] = { "../x", "/etc/passwd", "a/../../x", "./oci-layout" };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char name[32], *b, *p, *sums, *line;
		size_t n;
		snprintf(name, sizeof(name), "dotdot-%zu", i);
		b = create(f, name, 0);
		p = in(b, "SHA256SUMS");
		sums = unit_read(p, &n);
		line = al_strf("%s%s  %s\n", sums, f->notes_hex, lines[i]);
		unit_write_str(p, line);
		expect_fail(b, lines[i]);
		free(line);
		free(sums);
		free(p);
		free(b);
	}
}

static void test_sums_dropped_line(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "dropped", 0), *p = in(b, "SHA256SUMS"), *sums, *line, *keep;
	size_t n;
	sums = unit_read(p, &n);
	/* drop the line that lists the notes blob: the file is now unlisted */
	line = strstr(sums, f->notes_blob);
	assert_non_null(line);
	while (line > sums && line[-1] != '\n')
		line--;
	keep = strchr(line, '\n');
	assert_non_null(keep);
	memmove(line, keep + 1, strlen(keep + 1) + 1);
	unit_write_str(p, sums);
	expect_fail(b, f->notes_blob);
	free(sums);
	free(p);
	free(b);
}

static void test_sums_swapped_digests(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "swapped", 0), *p = in(b, "SHA256SUMS"), *sums, *x, *y;
	char tmp[AL_HEX_LEN];
	sums = unit_read(p, NULL);
	/* swap the digests listed for oci-layout and index.json */
	x = strstr(sums, "  oci-layout\n");
	y = strstr(sums, "  index.json\n");
	assert_non_null(x);
	assert_non_null(y);
	x -= AL_HEX_LEN;
	y -= AL_HEX_LEN;
	memcpy(tmp, x, AL_HEX_LEN);
	memcpy(x, y, AL_HEX_LEN);
	memcpy(y, tmp, AL_HEX_LEN);
	unit_write_str(p, sums);
	expect_fail(b, "digest mismatch for 'oci-layout'");
	expect_fail(b, "digest mismatch for 'index.json'");
	free(sums);
	free(p);
	free(b);
}

static void test_tar_flipped_byte(void **state)
{
	struct fix *f = *state;
	char *b = create(f, "flipped.tar", 1), *data, *hit;
	size_t n;
	data = unit_read(b, &n);
	hit = memmem(data, n, notes, strlen(notes));
	assert_non_null(hit);
	hit[0] ^= 0x01;
	unit_write(b, data, n);
	expect_fail(b, f->notes_blob);
	free(data);
	free(b);
}

/* The pre-filter may say "maybe" too often, never "no" to a manifest (keys escaped included). */
static void test_may_be_manifest(void **state)
{
	static const struct {
		const char *json;
		int maybe, manifest;
	} cases[] = {
		{ "{\"i\": 1, \"pad\": \"xxxx\"}", 0, 0 },
		{ "{\"schemaVersion\": 2, \"layers\": []}", 1, 1 },
		{ "{\"mediaType\": \"application/vnd.oci.image.index.v1+json\"}", 1, 1 },
		{ "{\"\\u0073chemaVersion\": 2}", 1, 1 },
		{ "{\"media\\u0054ype\": \"application/vnd.oci.image.manifest.v1+json\"}", 1, 1 },
		{ "{\"mediaType\": \"text/plain\"}", 1, 0 },
		{ "{\"schemaVersion\": 1}", 1, 0 },
		{ "{\"note\": \"tab\\there\"}", 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].json, 0, NULL);
		assert_non_null(j);
		assert_int_equal(al_json_may_be_manifest(cases[i].json, strlen(cases[i].json)), cases[i].maybe);
		assert_int_equal(al_json_is_manifest(j), cases[i].manifest);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_be_manifest),
		cmocka_unit_test_setup_teardown(test_dir_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte_in_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_sums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sums_dotdot_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sums_dropped_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sums_swapped_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_flipped_byte, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
