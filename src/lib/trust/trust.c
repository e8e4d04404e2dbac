/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.c: parsing trust.yaml and evaluating a bundle's signatures against
 * it. A signature counts only if its file name, its key, its signature over
 * SHA256SUMS, its trusted comment and the role it names all agree; a key
 * counts once per role however many times it signed.
 */
#include "trust.h"

#include <stdlib.h>
#include <string.h>

#include "custody.h"
#include "fsx.h"
#include "json.h"
#include "spec.h"

const char *al_role_bad(const char *role)
{
	size_t n = strlen(role);
	if (n == 0 || n > 32)
		return "a role name has 1 to 32 characters";
	if (!((role[0] >= 'a' && role[0] <= 'z') || (role[0] >= '0' && role[0] <= '9')))
		return "a role name starts with a lower-case letter or a digit";
	for (const char *p = role; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return "a role name holds only a-z, 0-9, '_' and '-'";
	return NULL;
}

void al_trust_release(struct al_trust *t)
{
	for (size_t i = 0; i < t->nroles; i++) {
		free(t->roles[i].name);
		free(t->roles[i].keys);
		free(t->roles[i].expires);
	}
	free(t->roles);
	for (size_t i = 0; i < t->nrequire; i++)
		free(t->require[i]);
	free(t->require);
	free(t->custody);
	free(t->custody_last);
	free(t->scan_require);
	memset(t, 0, sizeof(*t));
}

static enum al_code parse_key(const char *s, const char *base, const char *where, struct al_pubkey *pk,
			      struct al_err *err)
{
	struct al_err e = { 0 };
	enum al_code rc;
	char *path;
	if (al_pubkey_parse(s, strlen(s), pk, &e) == AL_OK)
		return AL_OK;
	path = s[0] == '/' || !base ? strdup(s) : al_join(base, s);
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_pubkey_load(path, pk, err);
	if (rc)
		al_err_prefix(err, "%s: '%s' is neither a public key nor a readable .pub file", where, s);
	free(path);
	return rc;
}

int al_trust_key_expired(const struct al_trust_role *r, size_t k, int64_t now)
{
	return r->expires && r->expires[k] && now >= r->expires[k];
}

/*
 * One entry of a role's keys: a key (see parse_key), or {key: KEY, expires: DATE}, where
 * DATE is YYYY-MM-DD (the key counts through that day, UTC) or YYYY-MM-DDTHH:MM:SSZ.
 */
static enum al_code parse_key_entry(const json_t *k, const char *base, const char *where, size_t i,
				    struct al_pubkey *pk, int64_t *expires, struct al_err *err)
{
	const json_t *key = json_is_object(k) ? json_object_get(k, "key") : k, *x;
	const char *ex = json_is_object(k) ? al_json_str(k, "expires") : NULL, *kk;
	*expires = 0;
	json_object_foreach((json_t *)k, kk, x)
		if (strcmp(kk, "key") && strcmp(kk, "expires"))
			return al_fail(err, AL_EINVAL, "%s: keys[%zu]: unknown key '%s' (a key entry has key and expires)", where, i, kk);
	if (!json_is_string(key) || (json_is_object(k) && !ex))
		return al_fail(err, AL_EINVAL, "%s: keys[%zu] must be a key, or {key: KEY, expires: YYYY-MM-DD}", where, i);
	if (ex && al_time_parse(ex, expires))
		return al_fail(err, AL_EINVAL, "%s: keys[%zu]: 'expires' must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not '%.40s'",
			       where, i, ex);
	if (ex && strlen(ex) == 10)
		*expires += 86400; /* through that day */
	return parse_key(json_string_value(key), base, where, pk, err);
}

static const struct al_trust_role *find_role(const struct al_trust *t, const char *name)
{
	for (size_t i = 0; i < t->nroles; i++)
		if (!strcmp(t->roles[i].name, name))
			return &t->roles[i];
	return NULL;
}

/* The top level holds only the keys a policy may have: a misspelt one is refused, not ignored. */
static enum al_code check_top_keys(const json_t *root, const char *what, struct al_err *err)
{
	static const char *const known[] = { "roles", "require", "max_age", "allow_legacy_signatures",
					     "custody_keys", "custody", "distinct_roles", "scan" };
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)root, name, v) {
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(name, known[i]))
			i++;
		if (i == sizeof(known) / sizeof(known[0]))
			return al_fail(err, AL_EINVAL, "'%s': unknown key '%s'", what, name);
	}
	return AL_OK;
}

/*
 * One role NAME: V into R, which is zeroed and filled as far as it got, so that
 * al_trust_release() frees it on error too. Keys are parsed with parse_key (inline or a
 * .pub file relative to BASE); a key listed twice, under any key id, is refused.
 */
static enum al_code parse_role(const char *name, const json_t *v, const char *what, const char *base,
			       struct al_trust_role *r, struct al_err *err)
{
	const json_t *keys = json_object_get(v, "keys"), *k;
	const char *bad = al_role_bad(name), *kk;
	int64_t th = 1;
	enum al_code rc;
	json_t *x;
	size_t i;
	char where[96];
	snprintf(where, sizeof(where), "'%s': role '%.32s'", what, name);
	if (!(r->name = strdup(name)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (bad)
		return al_fail(err, AL_EINVAL, "%s: %s", where, bad);
	json_object_foreach((json_t *)v, kk, x) {
		if (strcmp(kk, "keys") && strcmp(kk, "threshold"))
			return al_fail(err, AL_EINVAL, "%s: unknown key '%s'", where, kk);
	}
	if (!json_is_array(keys) || json_array_size(keys) == 0)
		return al_fail(err, AL_EINVAL, "%s: 'keys' must list at least one public key", where);
	if (json_object_get(v, "threshold") && (al_json_int(v, "threshold", &th) || th < 1))
		return al_fail(err, AL_EINVAL, "%s: 'threshold' must be a positive integer", where);
	if (!(r->keys = calloc(json_array_size(keys), sizeof(*r->keys))) ||
	    !(r->expires = calloc(json_array_size(keys), sizeof(*r->expires))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(keys, i, k) {
		if ((rc = parse_key_entry(k, base, where, i, &r->keys[r->nkeys], &r->expires[r->nkeys], err)))
			return rc;
		/* the same Ed25519 key under another key id is still the same key */
		for (size_t j = 0; j < r->nkeys; j++)
			if (!memcmp(r->keys[j].keynum, r->keys[r->nkeys].keynum, AL_KEYNUM) ||
			    !memcmp(r->keys[j].pk, r->keys[r->nkeys].pk, AL_PK))
				return al_fail(err, AL_EINVAL, "%s: key %s is listed twice", where, r->keys[j].id);
		r->nkeys++;
	}
	if ((size_t)th > r->nkeys)
		return al_fail(err, AL_EINVAL, "%s: threshold %lld can never be met by %zu keys", where,
			       (long long)th, r->nkeys);
	r->threshold = (unsigned)th;
	return AL_OK;
}

/* 'roles': at least one, each by parse_role, into t->roles (counted in t->nroles as they are begun). */
static enum al_code parse_roles(const json_t *root, const char *what, const char *base, struct al_trust *t,
				struct al_err *err)
{
	const json_t *roles = json_object_get(root, "roles");
	const char *name;
	enum al_code rc;
	json_t *v;
	if (!json_is_object(roles) || json_object_size(roles) == 0)
		return al_fail(err, AL_EINVAL, "'%s': 'roles' must map role names to keys and a threshold", what);
	if (!(t->roles = calloc(json_object_size(roles), sizeof(*t->roles))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_object_foreach((json_t *)roles, name, v) {
		if ((rc = parse_role(name, v, what, base, &t->roles[t->nroles++], err)))
			return rc;
	}
	return AL_OK;
}

/* 'require': a non-empty list of role names, each defined in t->roles. */
static enum al_code parse_require(const json_t *root, const char *what, struct al_trust *t, struct al_err *err)
{
	const json_t *req = json_object_get(root, "require"), *v;
	size_t i;
	if (!json_is_array(req) || json_array_size(req) == 0)
		return al_fail(err, AL_EINVAL, "'%s': 'require' must list the roles every bundle needs", what);
	if (!(t->require = calloc(json_array_size(req), sizeof(char *))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(req, i, v) {
		const char *name = json_string_value(v);
		if (!name)
			return al_fail(err, AL_EINVAL, "'%s': 'require' must list role names", what);
		if (!find_role(t, name))
			return al_fail(err, AL_EINVAL, "'%s': required role '%s' is not defined in 'roles'", what, name);
		if (!(t->require[t->nrequire++] = strdup(name)))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

/* 'custody_keys' (optional): a non-empty list of public keys, into t->custody. */
static enum al_code parse_custody_keys(const json_t *root, const char *what, const char *base, struct al_trust *t,
				       struct al_err *err)
{
	const json_t *v = json_object_get(root, "custody_keys"), *k;
	enum al_code rc;
	char where[64];
	size_t i;
	if (!v)
		return AL_OK;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return al_fail(err, AL_EINVAL, "'%s': 'custody_keys' must list public keys", what);
	if (!(t->custody = calloc(json_array_size(v), sizeof(*t->custody))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	snprintf(where, sizeof(where), "'%s': custody_keys", what);
	json_array_foreach(v, i, k) {
		if (!json_is_string(k))
			return al_fail(err, AL_EINVAL, "%s[%zu] must be a string", where, i);
		if ((rc = parse_key(json_string_value(k), base, where, &t->custody[t->ncustody++], err)))
			return rc;
	}
	return AL_OK;
}

/* 'custody' (optional): exactly 'require_last: EVENT', into t->custody_last. */
static enum al_code parse_custody(const json_t *root, const char *what, struct al_trust *t, struct al_err *err)
{
	const json_t *v = json_object_get(root, "custody");
	const char *kk, *ev;
	json_t *x;
	if (!v)
		return AL_OK;
	if (!json_is_object(v) || !json_object_get(v, "require_last"))
		return al_fail(err, AL_EINVAL, "'%s': 'custody' must be a mapping with 'require_last: EVENT'", what);
	json_object_foreach((json_t *)v, kk, x) {
		if (strcmp(kk, "require_last"))
			return al_fail(err, AL_EINVAL, "'%s': custody: unknown key '%s'", what, kk);
	}
	ev = al_json_str(v, "require_last");
	if (!ev || al_custody_event_bad(ev))
		return al_fail(err, AL_EINVAL, "'%s': custody: 'require_last' must be an event: %s", what,
			       al_custody_event_bad(""));
	if (!(t->custody_last = strdup(ev)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

/* 'scan' (optional): exactly 'require: pass' or 'require: review', into t->scan_require. */
static enum al_code parse_scan(const json_t *root, const char *what, struct al_trust *t, struct al_err *err)
{
	const json_t *v = json_object_get(root, "scan");
	const char *req = al_json_str(v, "require");
	if (!v)
		return AL_OK;
	if (!json_is_object(v) || json_object_size(v) != 1 || !req || (strcmp(req, "pass") && strcmp(req, "review")))
		return al_fail(err, AL_EINVAL, "'%s': 'scan' must be a mapping with 'require: pass' or 'require: review'",
			       what);
	if (!(t->scan_require = strdup(req)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

/* An optional flag KEY, written as the string true or false; *out is left alone when absent. */
static enum al_code parse_flag(const json_t *root, const char *key, const char *what, int *out, struct al_err *err)
{
	const json_t *v = json_object_get(root, key);
	const char *b;
	if (!v)
		return AL_OK;
	b = json_string_value(v);
	if (!b || (strcmp(b, "true") && strcmp(b, "false")))
		return al_fail(err, AL_EINVAL, "'%s': '%s' is true or false", what, key);
	*out = !strcmp(b, "true");
	return AL_OK;
}

enum al_code al_trust_parse(const char *data, size_t n, const char *what, const char *base,
			    struct al_trust *t, struct al_err *err)
{
	json_t *root = NULL;
	const char *age;
	enum al_code rc;
	memset(t, 0, sizeof(*t));
	if ((rc = al_yaml_parse(data, n, what, &root, err)))
		return rc;
	if (!json_is_object(root))
		rc = al_fail(err, AL_EINVAL, "'%s': the top level must be a mapping", what);
	if (!rc)
		rc = check_top_keys(root, what, err);
	if (!rc)
		rc = parse_roles(root, what, base, t, err);
	if (!rc)
		rc = parse_require(root, what, t, err);
	if (!rc)
		rc = parse_custody_keys(root, what, base, t, err);
	if (!rc)
		rc = parse_custody(root, what, t, err);
	if (!rc)
		rc = parse_scan(root, what, t, err);
	if (!rc && (age = al_json_str(root, "max_age")) && al_duration_parse(age, &t->max_age) != 0)
		rc = al_fail(err, AL_EINVAL, "'%s': bad 'max_age' '%s' (use 36h, 120d or 2w)", what, age);
	if (!rc)
		rc = parse_flag(root, "allow_legacy_signatures", what, &t->allow_legacy, err);
	if (!rc)
		rc = parse_flag(root, "distinct_roles", what, &t->distinct_roles, err);
	json_decref(root);
	if (rc)
		al_trust_release(t);
	return rc;
}

enum al_code al_trust_load(const char *path, struct al_trust *t, struct al_err *err)
{
	struct al_buf b;
	char *base = al_dirname(path);
	enum al_code rc;
	memset(t, 0, sizeof(*t)); /* holds nothing on error, however early */
	al_buf_init(&b, 1u << 20);
	rc = base ? al_read_file(path, 0, &b, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		rc = al_trust_parse(b.data, b.len, path, base, t, err);
	al_buf_release(&b);
	free(base);
	return rc;
}

enum al_code al_trust_format(const struct al_trust *t, struct al_buf *out, struct al_err *err)
{
	enum al_code rc = al_buf_adds(out, "# airlock trust policy (keys inline)\nroles:\n", err);
	for (size_t i = 0; i < t->nroles && !rc; i++) {
		const struct al_trust_role *r = &t->roles[i];
		rc = al_buf_addf(out, err, "  \"%s\":\n    threshold: %u\n    keys:\n", r->name, r->threshold);
		for (size_t k = 0; k < r->nkeys && !rc; k++) {
			char b[64];
			al_pubkey_b64(&r->keys[k], b);
			if (r->expires[k]) {
				char when[32];
				al_time_fmt(r->expires[k], when);
				rc = al_buf_addf(out, err, "      - {key: %s, expires: \"%s\"}   # %s\n", b, when, r->keys[k].id);
			} else
				rc = al_buf_addf(out, err, "      - %s   # %s\n", b, r->keys[k].id);
		}
	}
	if (!rc)
		rc = al_buf_adds(out, "require:\n", err);
	for (size_t i = 0; i < t->nrequire && !rc; i++)
		rc = al_buf_addf(out, err, "  - \"%s\"\n", t->require[i]);
	if (!rc && t->max_age)
		rc = al_buf_addf(out, err, "max_age: %lldh\n", (long long)(t->max_age / 3600));
	if (!rc && t->allow_legacy)
		rc = al_buf_adds(out, "allow_legacy_signatures: true\n", err);
	if (!rc && t->ncustody)
		rc = al_buf_adds(out, "custody_keys:\n", err);
	for (size_t k = 0; k < t->ncustody && !rc; k++) {
		char b[64];
		al_pubkey_b64(&t->custody[k], b);
		rc = al_buf_addf(out, err, "  - %s   # %s\n", b, t->custody[k].id);
	}
	if (!rc && t->distinct_roles)
		rc = al_buf_adds(out, "distinct_roles: true\n", err);
	if (!rc && t->custody_last)
		rc = al_buf_addf(out, err, "custody:\n  require_last: \"%s\"\n", t->custody_last);
	if (!rc && t->scan_require)
		rc = al_buf_addf(out, err, "scan:\n  require: %s\n", t->scan_require);
	return rc;
}

enum al_code al_trusted_comment(const struct al_bundle_info *info, const char *role, char *out,
				size_t outlen, struct al_err *err)
{
	char expires[32];
	al_time_fmt(info->expires, expires);
	if ((size_t)snprintf(out, outlen, "airlock bundle=%s version=%lld role=%s expires=%s", info->name,
			     (long long)info->version, role, expires) >= outlen)
		return al_fail(err, AL_ELIMIT, "the trusted comment is too long");
	return AL_OK;
}

/* Parses "signatures/<role>.<KEYID>.minisig"; 0 on success. */
static int sig_name(const char *path, char role[40], char id[AL_KEYID])
{
	const char *base = path + 11, *dot1 = strchr(base, '.'), *dot2;
	if (!dot1 || (size_t)(dot1 - base) >= 40)
		return -1;
	dot2 = strchr(dot1 + 1, '.');
	if (!dot2 || dot2 - dot1 - 1 != 16 || strcmp(dot2, ".minisig") != 0)
		return -1;
	memcpy(role, base, (size_t)(dot1 - base));
	role[dot1 - base] = '\0';
	memcpy(id, dot1 + 1, 16);
	id[16] = '\0';
	return al_role_bad(role) ? -1 : 0;
}

/*
 * The policy's custody requirement: custody.log, read through the view, must be an intact
 * chain (by custody_keys, when listed) whose last record is t->custody_last. A broken
 * chain cannot show how it ends, so it fails too (its details are custody verify's).
 */
static enum al_code custody_last(struct al_bview *v, const struct al_bundle_info *info, const struct al_trust *t,
				 struct al_report *rep, struct al_err *err)
{
	const struct al_bfile *f = al_bview_find(v, "custody.log");
	struct al_report scratch = { 0 };
	json_t *records = NULL;
	struct al_buf b;
	enum al_code rc = AL_OK;
	if (!f) {
		al_custody_require_last(NULL, t->custody_last, rep);
		return AL_OK;
	}
	al_buf_init(&b, AL_MAX_SUMS);
	if (!(rc = v->read(v, f, &b, err)))
		rc = al_custody_check(b.data, b.len, info->sums_digest, t->custody, t->ncustody, &scratch, &records,
				      err);
	if (!rc && al_report_count(&scratch))
		al_report_add(rep, "the trust policy requires the custody chain to end with a '%s' record, and the chain is broken (%s)",
			      t->custody_last, scratch.msg[0]);
	else if (!rc)
		al_custody_require_last(records, t->custody_last, rep);
	json_decref(records);
	al_report_release(&scratch);
	al_buf_release(&b);
	return rc;
}

/* The signatures that count: one entry per (role, key), in the order first seen. */
struct tally {
	unsigned char (*keynum)[AL_KEYNUM];
	const struct al_pubkey **key; /* the policy's key, for its id and its Ed25519 key */
	size_t *role;                 /* index into t->roles */
	size_t n;
};

/*
 * Checks one file F under signatures/ against the policy: its name, its parse, its key
 * (one of its role's), its signature over SUMS (whose prehash is HASH) and its trusted
 * comment. Sets *role and *key when it counts; else reports why into REP and leaves
 * them NULL. SB is a scratch buffer. Fails only on an operational error.
 */
static enum al_code check_sig(struct al_bview *v, const struct al_bfile *f, const struct al_bundle_info *info,
			      const struct al_trust *t, int64_t now, const unsigned char hash[64], const struct al_buf *sums,
			      struct al_buf *sb, struct al_report *rep, const struct al_trust_role **role,
			      const struct al_pubkey **key, struct al_err *err)
{
	const struct al_trust_role *r;
	struct al_sig sig;
	struct al_err e = { 0 };
	char rname[40], id[AL_KEYID], want[AL_TC_MAX];
	enum al_code rc;
	*role = NULL;
	*key = NULL;
	if (sig_name(f->path, rname, id) != 0) {
		al_report_add(rep, "'%s' is not named signatures/<role>.<key id>.minisig", f->path);
		return AL_OK;
	}
	if (v->read(v, f, sb, &e) || al_sig_parse(sb->data, sb->len, &sig, &e)) {
		al_report_add(rep, "'%s': %s", f->path, e.msg);
		return AL_OK;
	}
	if (strcmp(sig.id, id) != 0) {
		al_report_add(rep, "'%s' is named for key %s but was made by key %s", f->path, id, sig.id);
		return AL_OK;
	}
	if (!(r = find_role(t, rname))) {
		al_report_add(rep, "'%s' is for role '%s', which the trust policy does not have", f->path, rname);
		return AL_OK;
	}
	for (size_t k = 0; k < r->nkeys; k++)
		if (!memcmp(r->keys[k].keynum, sig.keynum, AL_KEYNUM)) {
			*key = &r->keys[k];
			if (al_trust_key_expired(r, k, now)) {
				char when[32];
				al_time_fmt(r->expires[k], when);
				al_report_add(rep, "'%s': key %s of role '%s' expired at %s (trust policy): its signatures no longer count",
					      f->path, sig.id, rname, when);
				*key = NULL;
				return AL_OK;
			}
		}
	if (!*key) {
		al_report_add(rep, "'%s': key %s is not a key of role '%s' in the trust policy (unknown key)",
			      f->path, sig.id, rname);
		return AL_OK;
	}
	if (al_sig_verify(*key, &sig, hash, sums->data, sums->len, t->allow_legacy, &e)) {
		al_report_add(rep, "'%s': %s (SHA256SUMS was changed after signing, or the signature was made for another bundle)",
			      f->path, e.msg);
		*key = NULL;
		return AL_OK;
	}
	if ((rc = al_trusted_comment(info, rname, want, sizeof(want), err))) {
		*key = NULL;
		return rc;
	}
	if (strcmp(sig.trusted, want) != 0) {
		al_report_add(rep, "'%s': its trusted comment says \"%s\", expected \"%s\"", f->path, sig.trusted,
			      want);
		*key = NULL;
		return AL_OK;
	}
	*role = r;
	return AL_OK;
}

/* Counts KEY for role index R once, however many of its signatures there are. */
static void tally_add(struct tally *c, size_t r, const struct al_pubkey *key)
{
	for (size_t k = 0; k < c->n; k++)
		if (c->role[k] == r && !memcmp(c->keynum[k], key->keynum, AL_KEYNUM))
			return;
	memcpy(c->keynum[c->n], key->keynum, AL_KEYNUM);
	c->key[c->n] = key;
	c->role[c->n++] = r;
}

/* Separation of duties: one key (one person) counts for one role only; the same Ed25519
 * key under another key id is the same key. */
static void report_shared_keys(const struct tally *c, const struct al_trust *t, struct al_report *rep)
{
	for (size_t a = 0; a < c->n; a++)
		for (size_t b = a + 1; b < c->n; b++)
			if (c->role[a] != c->role[b] &&
			    (!memcmp(c->keynum[a], c->keynum[b], AL_KEYNUM) ||
			     !memcmp(c->key[a]->pk, c->key[b]->pk, AL_PK))) {
				char also[64] = "";
				if (strcmp(c->key[a]->id, c->key[b]->id))
					snprintf(also, sizeof(also), " (there as key id %s)", c->key[b]->id);
				al_report_add(rep, "key %s signed in both role '%s' and role '%s'%s: the trust policy requires distinct keys for distinct roles (distinct_roles: true), so one key cannot fill both",
					      c->key[a]->id, t->roles[c->role[a]].name, t->roles[c->role[b]].name, also);
			}
}

/* Each role's count against its threshold, reported when a required role falls short, and
 * summarized into ROLES (role name -> keys, threshold, of, required, satisfied). */
static void judge_roles(const struct tally *c, const struct al_trust *t, json_t *roles, struct al_report *rep)
{
	for (size_t i = 0; i < t->nroles; i++) {
		const struct al_trust_role *r = &t->roles[i];
		json_t *keys = json_array();
		unsigned have = 0;
		int required = 0;
		for (size_t k = 0; k < c->n; k++)
			if (c->role[k] == i) {
				json_array_append_new(keys, json_string(c->key[k]->id));
				have++;
			}
		for (size_t q = 0; q < t->nrequire; q++)
			required |= !strcmp(t->require[q], r->name);
		if (required && have < r->threshold)
			al_report_add(rep, "role '%s' needs signatures by %u distinct key%s of %zu, has %u", r->name,
				      r->threshold, r->threshold == 1 ? "" : "s", r->nkeys, have);
		json_object_set_new(roles, r->name,
				    json_pack("{s:o, s:i, s:i, s:b, s:b}", "keys", keys, "threshold",
					      (int)r->threshold, "of", (int)r->nkeys, "required", required,
					      "satisfied", have >= r->threshold));
	}
}

/* The bundle's own expiry, and the policy's max_age since it was made, against NOW. */
/* The policy's scan: {require}: an attached scan.json whose verdict is no worse. */
static void check_scan(const struct al_bundle_info *info, const struct al_trust *t, struct al_report *rep)
{
	if (!t->scan_require)
		return;
	if (!info->scan_verdict[0])
		al_report_add(rep, "the trust policy requires an attached scan (scan.json, 'airlock scan --attach' before "
				   "signing) with verdict %s%s, and bundle '%s' version %lld has none",
			      t->scan_require, strcmp(t->scan_require, "pass") ? " or pass" : "", info->name,
			      (long long)info->version);
	else if (!strcmp(info->scan_verdict, "fail") ||
		 (!strcmp(info->scan_verdict, "review") && !strcmp(t->scan_require, "pass")))
		al_report_add(rep, "the attached scan's verdict is %s; the trust policy requires %s%s", info->scan_verdict,
			      t->scan_require, strcmp(t->scan_require, "pass") ? " or pass" : "");
}

static void check_dates(const struct al_bundle_info *info, const struct al_trust *t, int64_t now,
			struct al_report *rep)
{
	char when[32];
	if (info->expires <= now) {
		al_time_fmt(info->expires, when);
		al_report_add(rep, "bundle '%s' version %lld expired on %s", info->name, (long long)info->version, when);
	}
	if (t->max_age && info->created + t->max_age < now) {
		al_time_fmt(info->created, when);
		al_report_add(rep, "bundle '%s' version %lld was made on %s, longer ago than the policy's max_age",
			      info->name, (long long)info->version, when);
	}
}

enum al_code al_trust_check(struct al_bview *v, const struct al_bundle_info *info,
			    const struct al_trust *t, int64_t now, struct al_report *rep, json_t **summary,
			    struct al_err *err)
{
	const struct al_bfile *sums = al_bview_find(v, "SHA256SUMS");
	unsigned char hash[64];
	struct tally c = { 0 };
	size_t nsig = 0;
	struct al_buf sumsb, sb;
	json_t *roles = json_object();
	enum al_code rc = AL_OK;
	*summary = NULL;
	if (!sums || !roles) {
		json_decref(roles);
		return al_fail(err, sums ? AL_ENOMEM : AL_EVERIFY, "no SHA256SUMS to check signatures over");
	}
	al_buf_init(&sumsb, AL_MAX_SUMS);
	al_buf_init(&sb, 16384);
	if ((rc = v->read(v, sums, &sumsb, err)))
		goto out;
	al_prehash_mem(sumsb.data, sumsb.len, hash);
	for (size_t i = 0; i < v->n; i++)
		nsig += !strncmp(v->files[i].path, "signatures/", 11);
	c.keynum = calloc(nsig + 1, sizeof(*c.keynum));
	c.role = calloc(nsig + 1, sizeof(*c.role));
	c.key = calloc(nsig + 1, sizeof(*c.key));
	if (!c.keynum || !c.role || !c.key) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->n && !rc; i++) {
		const struct al_trust_role *r;
		const struct al_pubkey *key;
		if (strncmp(v->files[i].path, "signatures/", 11) != 0)
			continue;
		rc = check_sig(v, &v->files[i], info, t, now, hash, &sumsb, &sb, rep, &r, &key, err);
		if (!rc && r)
			tally_add(&c, (size_t)(r - t->roles), key);
	}
	if (rc)
		goto out;
	if (t->distinct_roles)
		report_shared_keys(&c, t, rep);
	judge_roles(&c, t, roles, rep);
	check_dates(info, t, now, rep);
	check_scan(info, t, rep);
	if (t->custody_last && (rc = custody_last(v, info, t, rep, err)))
		goto out;
	*summary = json_incref(roles);
out:
	json_decref(roles);
	al_buf_release(&sumsb);
	al_buf_release(&sb);
	free(c.keynum);
	free(c.key);
	free(c.role);
	return rc;
}
