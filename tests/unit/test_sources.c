/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sources.c: the pure helpers of src/lib/bundle/sources.h: the OCI reference
 * name check and the media type a model file gets from its name.
 *
 * The reference table follows the rule skopeo applies after "oci:DIR:"
 * (containers/image, oci/internal/oci_util.go, refRegexp):
 *   separator = [-._:@+] | "--";  alphanum = [A-Za-z0-9]+
 *   component = alphanum (separator alphanum)*;  ref = component ("/" component)*
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sources.h"
#include "unit.h"

static const char *const valid_refs[] = {
	"image/myorg/app:1.4", "model/local/tiny-model", "wheel/pip-23.0.1-py3-none-any.whl",
	"a--b", "a", "A", "0", "a.b", "a_b", "a:b", "a@b", "a+b", "a/b/c", "App/V1.0",
	"file/notes.txt", "vulndb/osv", "a-b.c_d:e@f+g--h",
	NULL,
};

static const char *const invalid_refs[] = {
	"a__b", "a..b", "-a", "a-", "a//b", "a/", "/a", "/", "pip==1", "a b", "", "a---b", "a.-b",
	".a", "a.", ":a", "a:", "a/-b", "a\\b", "a\tb", "caf\xc3\xa9", "a#b", "a,b", "a=b",
	NULL,
};

static void test_ref_valid(void **state)
{
	for (const char *const *p = valid_refs; *p; p++)
		if (!al_ref_valid(*p))
			fail_msg("'%s' refused", *p);
	for (const char *const *p = invalid_refs; *p; p++)
		if (al_ref_valid(*p))
			fail_msg("'%s' accepted", *p);
}

static const struct {
	const char *rel, *want;
} media_types[] = {
	{ "model.safetensors", AL_MT_MODEL_WEIGHT },
	{ "model-00001-of-00002.safetensors", AL_MT_MODEL_WEIGHT },
	{ "pytorch_model.bin", AL_MT_MODEL_WEIGHT },
	{ "model.gguf", AL_MT_MODEL_WEIGHT },
	{ "MODEL.GGUF", AL_MT_MODEL_WEIGHT },
	{ "onnx/model.onnx", AL_MT_MODEL_WEIGHT },
	{ "config.json", AL_MT_MODEL_WCONFIG },
	{ "tokenizer.json", AL_MT_MODEL_WCONFIG },
	{ "tokenizer_config.json", AL_MT_MODEL_WCONFIG },
	{ "generation_config.json", AL_MT_MODEL_WCONFIG },
	{ "merges.txt", AL_MT_MODEL_WCONFIG },
	{ "vocab.txt", AL_MT_MODEL_WCONFIG },
	{ "README.md", AL_MT_MODEL_DOC },
	{ "README", AL_MT_MODEL_DOC },
	{ "readme.txt", AL_MT_MODEL_DOC },
	{ "LICENSE", AL_MT_MODEL_DOC },
	{ "LICENSE.txt", AL_MT_MODEL_DOC },
	{ "docs/figure.png", AL_MT_MODEL_DOC },
	{ "modeling_x.py", AL_MT_MODEL_CODE },
	{ "sub/dir/configuration_x.py", AL_MT_MODEL_CODE },
	/* the directory does not decide, the base name does */
	{ "README.d/model.safetensors", AL_MT_MODEL_WEIGHT },
	{ "weights.bin.d/config.json", AL_MT_MODEL_WCONFIG },
};

static void test_model_media_type(void **state)
{
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
		const char *got = al_model_media_type(media_types[i].rel);
		if (strcmp(got, media_types[i].want) != 0)
			fail_msg("'%s' -> %s, want %s", media_types[i].rel, got, media_types[i].want);
	}
}

/* include/exclude: fnmatch(3) without flags on the whole path or the file name; exclude wins */
static void test_path_selected(void **state)
{
	static char *inc[] = { "*.json", "*.safetensors", "sub/*", NULL };
	static char *exc[] = { "tokenizer*", "*/skip.json", NULL };
	static char *star[] = { "*", NULL };
	static const struct {
		char **inc, **exc;
		const char *rel;
		int want;
	} rows[] = {
		{ NULL, NULL, "anything/at/all.bin", 1 },
		{ inc, NULL, "config.json", 1 },
		{ inc, NULL, "deep/dir/config.json", 1 },  /* the file name matches */
		{ inc, NULL, "sub/a/b.txt", 1 },           /* '*' crosses '/' in the whole path */
		{ inc, NULL, "README.md", 0 },
		{ inc, exc, "tokenizer.json", 0 },
		{ inc, exc, "sub/skip.json", 0 },
		{ inc, exc, "other/skip.json", 0 },        /* skip.json: '*' crosses '/' */
		{ inc, exc, "model.safetensors", 1 },
		{ NULL, exc, "tokenizer_config.json", 0 },
		{ NULL, exc, "config.json", 1 },
		{ star, star, "config.json", 0 },
		{ inc, NULL, "CONFIG.JSON", 0 },          /* case matters */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (al_path_selected(rows[i].inc, rows[i].exc, rows[i].rel) != rows[i].want)
			fail_msg("row %zu '%s': want %d", i, rows[i].rel, rows[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_valid),
		cmocka_unit_test(test_model_media_type),
		cmocka_unit_test(test_path_selected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
