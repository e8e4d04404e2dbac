/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_media.c: what a volume hands `media check`, `join` and `import VOLUME…`: any bytes as
 * its MEDIA.json (media_layout_parse).
 *
 * Checks: the only errors are memory and a refusal with a reason; a layout taken is
 * consistent (k + m volumes of at most 255, the volume among them, the stripes cover the
 * tar exactly and its data rows add up to it) and survives a dump and a second parse
 * unchanged.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "media_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_layout l, again;
	struct al_err err = { 0 };
	struct al_buf b;
	uint64_t sum = 0;
	enum al_code rc;
	FUZZ_ON();
	rc = media_layout_parse((const char *)data, size, "MEDIA.json", &l, &err);
	FUZZ_OFF();
	if (rc) {
		if ((rc != AL_EVERIFY && rc != AL_ENOMEM) || !err.msg[0])
			AL_BUG("a refusal other than a verdict or memory, or without a reason");
		return 0;
	}
	if (!l.k || l.k + l.m > AL_MEDIA_MAX_VOLUMES || !l.volume || l.volume > l.k + l.m || !l.stripes)
		AL_BUG("a layout whose volumes do not add up");
	if (l.stripes > (uint64_t)64 << 20)
		return media_layout_release(&l), 0; /* (too many to sum here; the parse bounds it by the file) */
	for (uint64_t s = 0; s < l.stripes; s++)
		for (unsigned r = 0; r < l.k; r++)
			sum += media_chunk_len(&l, s, r);
	if (sum != l.tar_bytes)
		AL_BUG("data rows that do not add up to the tar");
	al_buf_init(&b, AL_MAX_SUMS);
	if (media_layout_dump(&l, l.volume, &b, &err))
		AL_BUG("a layout taken that cannot be written back");
	if (media_layout_parse(b.data, b.len, "dumped", &again, &err) || !media_layout_same(&l, &again) ||
	    again.volume != l.volume)
		AL_BUG("a layout that does not survive a dump and a parse");
	media_layout_release(&again);
	media_layout_release(&l);
	al_buf_release(&b);
	return 0;
}
