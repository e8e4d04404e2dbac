/* SPDX-License-Identifier: Apache-2.0 */
/* diode_wire.c: the datagrams and the manifest of the diode (diode_internal.h). */
#include "diode_internal.h"

#include <isa-l/crc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const unsigned char magic[4] = { 'A', 'L', 'D', '1' };

uint32_t di_crc32c(const void *p, size_t n)
{
	return crc32_iscsi((unsigned char *)p, (int)n, 0xffffffffu) ^ 0xffffffffu;
}

static void put16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v; }
static void put32(unsigned char *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }
static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const unsigned char *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

size_t di_encode(const struct di_hdr *h, const void *payload, unsigned char *out)
{
	memcpy(out, magic, 4);
	out[4] = h->type;
	out[5] = DI_FORMAT;
	put16(out + 6, h->len);
	put32(out + 8, (uint32_t)(h->session >> 32));
	put32(out + 12, (uint32_t)h->session);
	put32(out + 16, h->block);
	put16(out + 20, h->symbol);
	put16(out + 22, h->k);
	put16(out + 24, h->m);
	put16(out + 26, h->sbytes);
	put16(out + 28, h->kfull);
	put16(out + 30, 0);
	put32(out + 32, h->pass);
	if (h->len)
		memcpy(out + DI_HDR, payload, h->len);
	put32(out + DI_HDR + h->len, di_crc32c(out, DI_HDR + (size_t)h->len));
	return DI_HDR + (size_t)h->len + DI_CRC;
}

int di_decode(const unsigned char *p, size_t n, struct di_hdr *h, const unsigned char **payload)
{
	if (n < DI_HDR + DI_CRC || memcmp(p, magic, 4) || p[5] != DI_FORMAT ||
	    n != DI_HDR + (size_t)get16(p + 6) + DI_CRC)
		return -1;
	if (get32(p + n - DI_CRC) != di_crc32c(p, n - DI_CRC))
		return -2;
	h->type = p[4];
	h->len = get16(p + 6);
	h->session = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
	h->block = get32(p + 16);
	h->symbol = get16(p + 20);
	h->k = get16(p + 22);
	h->m = get16(p + 24);
	h->sbytes = get16(p + 26);
	h->kfull = get16(p + 28);
	h->pass = get32(p + 32);
	*payload = p + DI_HDR;
	return 0;
}

unsigned di_block_k(const struct di_manifest *mf, uint64_t b)
{
	uint64_t full = (uint64_t)mf->kfull * mf->sbytes, off = b * full;
	if (b >= mf->blocks)
		return 0;
	if (mf->tar_bytes - off >= full)
		return mf->kfull;
	return (unsigned)((mf->tar_bytes - off + mf->sbytes - 1) / mf->sbytes);
}

unsigned di_repair_for(const struct di_manifest *mf, unsigned k)
{
	unsigned m = mf->kfull ? (unsigned)(((uint64_t)k * mf->mfull + mf->kfull - 1) / mf->kfull) : 0;
	return k + m > 255 ? 255 - k : m;
}

char *di_manifest_dump(const struct di_manifest *mf)
{
	char sess[17];
	json_t *j;
	char *s;
	snprintf(sess, sizeof(sess), "%016llx", (unsigned long long)mf->session);
	j = json_pack("{s:i, s:s, s:o, s:I, s:s, s:I, s:s, s:i, s:i, s:i, s:I, s:i}", "airlock_diode", DI_FORMAT,
		      "session", sess, "name", al_json_text(mf->name), "version", (json_int_t)mf->version,
		      "sums_digest", mf->sums_digest, "tar_bytes", (json_int_t)mf->tar_bytes, "tar_digest",
		      mf->tar_digest, "symbol_bytes", (int)mf->sbytes, "block_symbols", (int)mf->kfull,
		      "repair_symbols", (int)mf->mfull, "blocks", (json_int_t)mf->blocks, "passes", (int)mf->passes);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

/* Is NAME safe as part of a file name? */
static int safe_name(const char *n)
{
	if (!*n || *n == '.' || strlen(n) > 200)
		return 0;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
		      strchr("._-+", *n)))
			return 0;
	return 1;
}

const char *di_manifest_parse(const char *text, size_t n, struct di_manifest *mf)
{
	json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
	int64_t fmt, sb, kf, mfull, passes, blocks, bytes;
	const char *name = al_json_str(j, "name"), *sums = al_json_str(j, "sums_digest"),
		   *td = al_json_str(j, "tar_digest"), *sess = al_json_str(j, "session");
	const char *why = NULL;
	char *end = NULL;
	memset(mf, 0, sizeof(*mf));
	if (!j)
		return "the manifest is not JSON";
	if (al_json_int(j, "airlock_diode", &fmt) || fmt != DI_FORMAT)
		why = "it is not format 1 of airlock's diode";
	else if (!name || !safe_name(name) || !sums || !al_digest_valid(sums) || !td || !al_digest_valid(td) ||
		 !sess || strlen(sess) != 16 || al_json_int(j, "version", &mf->version))
		why = "\"name\" (letters, digits, . _ - +), \"version\", \"sums_digest\", \"tar_digest\", \"session\" are needed";
	else if (al_json_int(j, "symbol_bytes", &sb) || al_json_int(j, "block_symbols", &kf) ||
		 al_json_int(j, "repair_symbols", &mfull) || al_json_int(j, "passes", &passes) ||
		 al_json_int(j, "blocks", &blocks) || al_json_int(j, "tar_bytes", &bytes))
		why = "the layout (symbol_bytes, block_symbols, repair_symbols, blocks, tar_bytes, passes) is incomplete";
	else if (sb < DI_MIN_SYMBOL || sb > DI_MAX_SYMBOL || kf < 1 || mfull < 0 || kf + mfull > 255 || bytes < 1 ||
		 passes < 1 || blocks != (bytes + kf * sb - 1) / (kf * sb))
		why = "the layout does not add up";
	if (!why) {
		mf->session = strtoull(sess, &end, 16);
		if (*end)
			why = "\"session\" is not 16 hex digits";
		mf->sbytes = (unsigned)sb, mf->kfull = (unsigned)kf, mf->mfull = (unsigned)mfull;
		mf->passes = (unsigned)passes, mf->blocks = (uint64_t)blocks, mf->tar_bytes = (uint64_t)bytes;
		snprintf(mf->name, sizeof(mf->name), "%s", name);
		snprintf(mf->sums_digest, sizeof(mf->sums_digest), "%s", sums);
		snprintf(mf->tar_digest, sizeof(mf->tar_digest), "%s", td);
	}
	json_decref(j);
	return why;
}
