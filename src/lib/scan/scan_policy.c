/* SPDX-License-Identifier: Apache-2.0 */
/* scan_policy.c: policy.yaml, read and checked (scan.h, docs/cmd/scan.md "The policy"). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "scan.h"

int al_sev_parse(const char *s)
{
	static const char *const names[] = { "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
	if (!s)
		return -1;
	for (int i = 0; i < 5; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return !strcasecmp(s, "MODERATE") ? AL_SEV_MEDIUM : -1;
}

void al_scan_policy_default(struct al_scan_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->fail_on = AL_SEV_HIGH;
	p->unknown = AL_SEV_HIGH;
	p->remote_code = "review";
	p->telemetry = "review";
}

void al_scan_policy_release(struct al_scan_policy *p)
{
	json_decref(p->doc);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

static enum al_code bad(const struct al_scan_policy *p, const char *what, struct al_err *err)
{
	return al_fail(err, AL_EINVAL, "policy '%s': %s", p->path, what);
}

/* An optional list of strings under KEY of O into *out (borrowed from the document). */
static enum al_code strings(const struct al_scan_policy *p, const json_t *o, const char *key, json_t **out,
			    struct al_err *err)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	*out = NULL;
	if (!a)
		return AL_OK;
	if (!json_is_array(a))
		return al_fail(err, AL_EINVAL, "policy '%s': %s must be a list", p->path, key);
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return al_fail(err, AL_EINVAL, "policy '%s': %s holds something that is not a string", p->path, key);
	*out = a;
	return AL_OK;
}

/* One exception: an OpenVEX statement, plus the date it stops suppressing. */
static enum al_code check_exception(const struct al_scan_policy *p, size_t i, const json_t *s, struct al_err *err)
{
	static const char *const keys[] = { "vulnerability", "products", "status", "justification",
					    "impact_statement", "action_statement", "expires", "timestamp", NULL };
	const char *status = al_json_str(s, "status"), *k;
	const json_t *v;
	int64_t t;
	if (!json_is_object(s))
		return al_fail(err, AL_EINVAL, "policy '%s': exception %zu is not a mapping", p->path, i + 1);
	json_object_foreach((json_t *)s, k, v) {
		int known = 0;
		for (const char *const *kk = keys; *kk; kk++)
			known |= !strcmp(k, *kk);
		if (!known)
			return al_fail(err, AL_EINVAL, "policy '%s': exception %zu: unknown key '%s'", p->path, i + 1, k);
	}
	if (!al_json_str(json_object_get(s, "vulnerability"), "name"))
		return al_fail(err, AL_EINVAL, "policy '%s': exception %zu has no vulnerability.name", p->path, i + 1);
	if (!status || (strcmp(status, "not_affected") && strcmp(status, "fixed") && strcmp(status, "affected") &&
			strcmp(status, "under_investigation")))
		return al_fail(err, AL_EINVAL,
			       "policy '%s': exception %zu: status must be not_affected, fixed, affected or "
			       "under_investigation",
			       p->path, i + 1);
	if (!strcmp(status, "not_affected") && !al_json_str(s, "justification") && !al_json_str(s, "impact_statement"))
		return al_fail(err, AL_EINVAL, "policy '%s': exception %zu is not_affected without a justification",
			       p->path, i + 1);
	if (!al_json_str(s, "expires") || al_time_parse(al_json_str(s, "expires"), &t))
		return al_fail(err, AL_EINVAL,
			       "policy '%s': exception %zu needs expires: YYYY-MM-DD (an exception that never ends "
			       "is not allowed)",
			       p->path, i + 1);
	v = json_object_get(s, "products");
	for (size_t j = 0; v && j < json_array_size(v); j++)
		if (!al_json_str(json_array_get(v, j), "@id"))
			return al_fail(err, AL_EINVAL, "policy '%s': exception %zu: a product without an @id", p->path, i + 1);
	if (v && !json_is_array(v))
		return al_fail(err, AL_EINVAL, "policy '%s': exception %zu: products must be a list", p->path, i + 1);
	return AL_OK;
}

static enum al_code read_sev(struct al_scan_policy *p, const char *key, enum al_sev *out, struct al_err *err)
{
	const json_t *v = json_object_get(p->doc, key);
	int s;
	if (!v)
		return AL_OK;
	if (json_is_string(v) && !strcasecmp(json_string_value(v), "never") && !strcmp(key, "fail_on")) {
		*out = AL_SEV_NEVER;
		return AL_OK;
	}
	if (!json_is_string(v) || (s = al_sev_parse(json_string_value(v))) < AL_SEV_LOW)
		return al_fail(err, AL_EINVAL, "policy '%s': %s must be low, medium, high or critical%s", p->path, key,
			       strcmp(key, "fail_on") ? "" : " (or never)");
	*out = (enum al_sev)s;
	return AL_OK;
}

/* review, fail or allow under KEY, when given. */
static enum al_code read_mode(struct al_scan_policy *p, const char *key, const char **out, struct al_err *err)
{
	const char *m = al_json_str(p->doc, key);
	if (!json_object_get(p->doc, key))
		return AL_OK;
	if (!m || (strcmp(m, "review") && strcmp(m, "fail") && strcmp(m, "allow")))
		return al_fail(err, AL_EINVAL, "policy '%s': %s must be review, fail or allow", p->path, key);
	*out = m;
	return AL_OK;
}

/* The keys of the document, each checked. */
static enum al_code read_keys(struct al_scan_policy *p, struct al_err *err)
{
	static const char *const keys[] = { "fail_on", "unknown_severity", "remote_code", "telemetry", "licenses",
					    "origins", "exceptions", NULL };
	const json_t *lic = json_object_get(p->doc, "licenses"), *org = json_object_get(p->doc, "origins"), *v;
	const char *k;
	enum al_code rc;
	json_object_foreach(p->doc, k, v) {
		int known = 0;
		for (const char *const *kk = keys; *kk; kk++)
			known |= !strcmp(k, *kk);
		if (!known)
			return al_fail(err, AL_EINVAL, "policy '%s': unknown key '%s'", p->path, k);
	}
	if ((rc = read_sev(p, "fail_on", &p->fail_on, err)) || (rc = read_sev(p, "unknown_severity", &p->unknown, err)))
		return rc;
	if ((rc = read_mode(p, "remote_code", &p->remote_code, err)) || (rc = read_mode(p, "telemetry", &p->telemetry, err)))
		return rc;
	if ((lic && !json_is_object(lic)) || (org && !json_is_object(org)))
		return bad(p, "licenses and origins must be mappings", err);
	if ((rc = strings(p, lic, "allow", &p->licenses_allow, err)) ||
	    (rc = strings(p, lic, "review", &p->licenses_review, err)) ||
	    (rc = strings(p, org, "deny", &p->origins_deny, err)))
		return rc;
	if (lic && json_object_size(lic) != (size_t)(!!p->licenses_allow + !!p->licenses_review))
		return bad(p, "licenses holds a key other than allow and review", err);
	if (org && json_object_size(org) != (size_t)!!p->origins_deny)
		return bad(p, "origins holds a key other than deny", err);
	p->exceptions = json_object_get(p->doc, "exceptions");
	if (p->exceptions && !json_is_array(p->exceptions))
		return bad(p, "exceptions must be a list of OpenVEX statements", err);
	for (size_t i = 0; i < json_array_size(p->exceptions); i++)
		if ((rc = check_exception(p, i, json_array_get(p->exceptions, i), err)))
			return rc;
	return AL_OK;
}

enum al_code al_scan_policy_load(const char *path, struct al_scan_policy *p, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	al_scan_policy_default(p);
	if (!(p->path = strdup(path)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_SPEC);
	rc = al_read_file(path, 0, &b, err);
	if (!rc)
		rc = al_yaml_parse(b.data ? b.data : "", b.len, path, &p->doc, err);
	al_buf_release(&b);
	if (!rc && !json_is_object(p->doc))
		rc = bad(p, "not a mapping", err);
	if (!rc)
		rc = read_keys(p, err);
	if (rc) {
		char *keep = p->path;
		p->path = NULL;
		al_scan_policy_release(p);
		free(keep);
	}
	return rc;
}
