/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custody.h: the chain-of-custody log (custody.log, docs/FORMAT.md "Custody"):
 * one record a line, each hash-chained to the previous line and to the
 * bundle's SHA256SUMS, each signed by its actor's minisign-compatible key:
 *
 *   <record JSON>\t<key id>\t<base64 public key>\t<base64 Ed25519 signature>\n
 *
 * The signature covers the BLAKE2b-512 of the record JSON's exact bytes, so
 * nothing is ever re-serialized to be checked.
 */
#ifndef AL_CUSTODY_H
#define AL_CUSTODY_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "bundle.h"
#include "minisign.h"

struct al_custody_event {
	const char *event;  /* packed, sealed, handed-over, received, verified */
	const char *actor;
	const char *medium; /* may be NULL */
	const char *seal;   /* may be NULL */
	const char *note;   /* may be NULL */
	int64_t time;
};

/* Known event names; NULL if fine, else what is wrong. */
const char *al_custody_event_bad(const char *event);

/*
 * Checks a custody log's text: sequence, hash chain, bundle digest, each
 * signature, the fields of each record (version 1 only: no unknown field, the
 * right types, a known event, RFC 3339 times that never go backwards), and
 * (when keys is set) that every actor's key is one of keys.
 * Problems go to rep (one per record at fault); *records (new reference, caller
 * json_decref) lists the records as JSON objects with their key ids. On error
 * *records is untouched.
 */
enum al_code al_custody_check(const char *text, size_t n, const char *sums_digest,
			      const struct al_pubkey *keys, size_t nkeys, struct al_report *rep,
			      json_t **records, struct al_err *err);
/*
 * The policy's `custody: {require_last: EVENT}`: the records of a chain that
 * al_custody_check found intact must end with an EVENT record, so a chain cut
 * short of it (its tail removed) fails. A problem goes to rep.
 */
void al_custody_require_last(const json_t *records, const char *event, struct al_report *rep);
/* Appends one signed record to the log text in log (which holds the current, checked log).
 * On error log may end with a newline added and part of the record (see buf.h): it is to
 * be thrown away, never written. */
enum al_code al_custody_append(struct al_buf *log, const char *sums_digest,
			       const struct al_custody_event *ev, const struct al_seckey *sk,
			       struct al_err *err);

#endif
