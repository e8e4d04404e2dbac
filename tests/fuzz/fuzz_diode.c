/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_diode.c: what the diode's receiver reads from the network: any bytes as a datagram
 * (di_decode), and as a manifest (di_manifest_parse).
 *
 * Checks: a datagram taken is exactly its header, payload and CRC, and encodes back to the
 * same bytes; a manifest taken adds up (blocks cover the tar, a file-safe name, symbols and
 * blocks in range, every block's k and m within GF(2^8)) and survives a dump and a parse.
 */
#include <stdlib.h>
#include <string.h>

#include "diode_internal.h"
#include "fuzz.h"

static void datagram(const uint8_t *data, size_t size)
{
	struct di_hdr h;
	const unsigned char *p;
	unsigned char *out;
	if (di_decode(data, size, &h, &p))
		return;
	if (size != DI_HDR + (size_t)h.len + DI_CRC || p != data + DI_HDR)
		AL_BUG("a datagram taken whose length is not its header's");
	if (!(out = malloc(size)))
		return;
	if (di_encode(&h, p, out) != size || memcmp(out, data, size))
		AL_BUG("a datagram that does not encode back to its bytes");
	free(out);
}

static void manifest(const uint8_t *data, size_t size)
{
	struct di_manifest mf, again;
	char *text;
	if (di_manifest_parse((const char *)data, size, &mf))
		return;
	if (!mf.blocks || (mf.tar_bytes + (uint64_t)mf.kfull * mf.sbytes - 1) / ((uint64_t)mf.kfull * mf.sbytes) != mf.blocks)
		AL_BUG("a manifest whose blocks do not cover the tar");
	if (!mf.name[0] || mf.name[0] == '.' || strchr(mf.name, '/'))
		AL_BUG("a manifest whose name is not safe as a file name");
	for (uint64_t b = mf.blocks > 2 ? mf.blocks - 2 : 0; b < mf.blocks; b++) {
		unsigned k = di_block_k(&mf, b);
		if (!k || k > mf.kfull || k + di_repair_for(&mf, k) > 255)
			AL_BUG("a block whose symbols are out of range");
	}
	if (!(text = di_manifest_dump(&mf)))
		return;
	if (di_manifest_parse(text, strlen(text), &again) || memcmp(&mf, &again, sizeof(mf)))
		AL_BUG("a manifest that does not survive a dump and a parse");
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	datagram(data, size);
	manifest(data, size);
	return 0;
}
