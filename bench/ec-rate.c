/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec-rate K M CHUNK MIB: the rate of the erasure code alone (src/lib/xfer/rs.h, ISA-L's
 * Cauchy matrix), with nothing read, hashed or written: MIB MiB of data encoded as stripes
 * of K chunks of CHUNK bytes into M parity chunks, then decoded with min(K, M) data rows
 * lost (each rebuilt row is compared with the original).
 * Prints "encode MiB/s" and "decode MiB/s" of data. Benchmark only (bench/media.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long arg(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi) {
		fprintf(stderr, "ec-rate: '%s' is not a number from %lu to %lu\n", s, lo, hi);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ec-rate K M CHUNK MIB\n");
		return 64;
	}
	unsigned k = (unsigned)arg(argv[1], 1, 200), m = (unsigned)arg(argv[2], 1, 55);
	size_t chunk = arg(argv[3], 64, 1ul << 30), mib = arg(argv[4], 1, 1ul << 20);
	unsigned char **row = calloc(k + m, sizeof(*row)), **out = calloc(m, sizeof(*out));
	unsigned surv[AL_RS_MAX], lost[AL_RS_MAX];
	struct al_err err = { 0 };
	if (!row || !out)
		return 1;
	for (unsigned r = 0; r < k + m; r++) {
		if (!(row[r] = malloc(chunk)))
			return 1;
		for (size_t i = 0; i < chunk; i++)
			row[r][i] = (unsigned char)(i * 31 + r * 7 + (i >> 9));
	}
	for (unsigned x = 0; x < m; x++)
		if (!(out[x] = malloc(chunk)))
			return 1;
	size_t stripes = (mib << 20) / (k * chunk) + 1;
	double t0 = now();
	for (size_t s = 0; s < stripes; s++)
		if (al_rs_encode(k, m, row, row + k, chunk, &err))
			return fprintf(stderr, "ec-rate: %s\n", err.msg), 1;
	double t1 = now();
	unsigned nl = m < k ? m : k; /* lose data rows 0..nl-1, keep the rest and nl parity rows */
	for (unsigned i = 0; i < k; i++)
		surv[i] = i + nl;
	for (unsigned x = 0; x < nl; x++)
		lost[x] = x;
	for (size_t s = 0; s < stripes; s++)
		if (al_rs_decode(k, m, surv, row + nl, lost, nl, out, chunk, &err))
			return fprintf(stderr, "ec-rate: %s\n", err.msg), 1;
	double t2 = now();
	for (unsigned x = 0; x < nl; x++)
		if (memcmp(out[x], row[x], chunk))
			return fprintf(stderr, "ec-rate: row %u was not rebuilt\n", x), 1;
	double data = (double)stripes * k * chunk / 1048576.0;
	printf("encode %.0f MiB/s\ndecode %.0f MiB/s\n", data / (t1 - t0), data / (t2 - t1));
	for (unsigned r = 0; r < k + m; r++)
		free(row[r]);
	for (unsigned x = 0; x < m; x++)
		free(out[x]);
	free(row);
	free(out);
	return 0;
}
