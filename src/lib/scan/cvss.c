/* SPDX-License-Identifier: Apache-2.0 */
/* cvss.c: the scores of CVSS v2, v3 and v4 vectors, computed from the vector (cvss.h). */
#include "cvss.h"

#include <math.h>
#include <string.h>

/* A metric of a vector: its key and its values, as space-separated tokens. */
struct metric {
	const char *key, *values;
};

/* The position of the N-byte TOK among the space-separated VALUES, or -1. */
static int token_index(const char *values, const char *tok, size_t n)
{
	int i = 0;
	for (const char *p = values; *p; i++) {
		size_t len = strcspn(p, " ");
		if (len == n && !memcmp(p, tok, n))
			return i;
		p += len;
		p += *p == ' ';
	}
	return -1;
}

/*
 * Reads the "KEY:VALUE/…" of VECTOR from BODY on into idx[] (each value's position among
 * its metric's values, -1 where the metric is absent): every metric of M at most once,
 * nothing else, and the first NBASE of M required.
 */
static enum al_code parse_metrics(const char *vector, const char *body, const struct metric *m, size_t n,
				  size_t nbase, int *idx, struct al_err *err)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = -1;
	for (const char *p = body; *p;) {
		size_t len = strcspn(p, "/"), kn, i = n;
		const char *colon = memchr(p, ':', len);
		if (colon) {
			kn = (size_t)(colon - p);
			for (i = 0; i < n && (strlen(m[i].key) != kn || memcmp(m[i].key, p, kn)); i++)
				;
		}
		if (i == n || idx[i] >= 0 || (idx[i] = token_index(m[i].values, colon + 1, len - kn - 1)) < 0)
			return al_fail(err, AL_EINVAL, "CVSS vector '%s': '%.*s' is not a metric it may hold once",
				       vector, (int)len, p);
		p += len;
		if (*p && !*++p)
			return al_fail(err, AL_EINVAL, "CVSS vector '%s' ends with '/'", vector);
	}
	for (size_t i = 0; i < nbase; i++)
		if (idx[i] < 0)
			return al_fail(err, AL_EINVAL, "CVSS vector '%s' lacks the base metric %s", vector, m[i].key);
	return AL_OK;
}

/* ---------------------------------------------------------------- v2 */

static const struct metric v2[] = {
	{ "AV", "L A N" }, { "AC", "H M L" }, { "Au", "M S N" }, { "C", "N P C" }, { "I", "N P C" }, { "A", "N P C" },
	{ "E", "U POC F H ND" }, { "RL", "OF TF W U ND" }, { "RC", "UC UR C ND" }, { "CDP", "N L LM MH H ND" },
	{ "TD", "N L M H ND" }, { "CR", "L M H ND" }, { "IR", "L M H ND" }, { "AR", "L M H ND" },
};
enum { NV2 = sizeof(v2) / sizeof(v2[0]) };
/* The weights of the six base metrics, in the order of their values above. */
static const double v2w[6][3] = { { 0.395, 0.646, 1.0 }, { 0.35, 0.61, 0.71 }, { 0.45, 0.56, 0.704 },
				  { 0, 0.275, 0.660 },   { 0, 0.275, 0.660 }, { 0, 0.275, 0.660 } };

enum al_code al_cvss2_base(const char *vector, double *score, struct al_err *err)
{
	int x[NV2];
	double impact, expl;
	enum al_code rc = parse_metrics(vector, vector, v2, NV2, 6, x, err);
	if (rc)
		return rc;
	impact = 10.41 * (1 - (1 - v2w[3][x[3]]) * (1 - v2w[4][x[4]]) * (1 - v2w[5][x[5]]));
	expl = 20 * v2w[0][x[0]] * v2w[1][x[1]] * v2w[2][x[2]];
	/* round_to_1_decimal; the epsilon keeps 4.35 computed as 4.34999… from rounding down */
	*score = impact == 0 ? 0 : floor(((0.6 * impact + 0.4 * expl - 1.5) * 1.176 + 1e-9) * 10 + 0.5) / 10;
	return AL_OK;
}

/* ---------------------------------------------------------------- v3 */

/* CVSS 3.1's Roundup: the smallest number with one decimal that is >= x, free of float error. */
static double roundup(double x)
{
	long long i = llround(x * 100000.0);
	return i % 10000 == 0 ? (double)i / 100000.0 : (double)(i / 10000 + 1) / 10.0;
}

/* The base metrics first, with their values in the order of the weights of v3w. */
static const struct metric v3[] = {
	{ "AV", "N A L P" },     { "AC", "L H" },         { "PR", "N L H" },       { "UI", "N R" },
	{ "S", "U C" },          { "C", "H L N" },        { "I", "H L N" },        { "A", "H L N" },
	{ "E", "X U P F H" },    { "RL", "X O T W U" },   { "RC", "X U R C" },     { "CR", "X L M H" },
	{ "IR", "X L M H" },     { "AR", "X L M H" },     { "MAV", "X N A L P" },  { "MAC", "X L H" },
	{ "MPR", "X N L H" },    { "MUI", "X N R" },      { "MS", "X U C" },       { "MC", "X N L H" },
	{ "MI", "X N L H" },     { "MA", "X N L H" },
};
enum { NV3 = sizeof(v3) / sizeof(v3[0]) };
static const double v3w[8][4] = { { 0.85, 0.62, 0.55, 0.2 }, { 0.77, 0.44 }, { 0.85, 0.62, 0.27 }, { 0.85, 0.62 },
				  { 0, 1 }, { 0.56, 0.22, 0 }, { 0.56, 0.22, 0 }, { 0.56, 0.22, 0 } };
/* PR's weights when the scope is changed. */
static const double pr_changed[] = { 0.85, 0.68, 0.5 };

enum al_code al_cvss3_base(const char *vector, double *score, struct al_err *err)
{
	int x[NV3], changed;
	double iss, impact, expl;
	enum al_code rc;
	if (strncmp(vector, "CVSS:3.0/", 9) && strncmp(vector, "CVSS:3.1/", 9))
		return al_fail(err, AL_EINVAL, "'%s' is not a CVSS v3 vector (it must start CVSS:3.0/ or CVSS:3.1/)",
			       vector);
	if ((rc = parse_metrics(vector, vector + 9, v3, NV3, 8, x, err)))
		return rc;
	changed = x[4] == 1;
	iss = 1 - (1 - v3w[5][x[5]]) * (1 - v3w[6][x[6]]) * (1 - v3w[7][x[7]]);
	impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
	expl = 8.22 * v3w[0][x[0]] * v3w[1][x[1]] * (changed ? pr_changed : v3w[2])[x[2]] * v3w[3][x[3]];
	if (impact <= 0)
		*score = 0;
	else
		*score = roundup(fmin(changed ? 1.08 * (impact + expl) : impact + expl, 10));
	return AL_OK;
}

/* ---------------------------------------------------------------- v4 */

enum v4m {
	AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA,            /* base */
	E,                                                      /* threat */
	CR, IR, AR, MAV, MAC, MAT, MPR, MUI, MVC, MVI, MVA, MSC, MSI, MSA, /* environmental */
	SUPP_S, SUPP_AU, SUPP_R, SUPP_V, SUPP_RE, SUPP_U,       /* supplemental: no effect on the score */
	NV4
};
static const struct metric v4[NV4] = {
	{ "AV", "N A L P" }, { "AC", "L H" },     { "AT", "N P" },         { "PR", "N L H" },     { "UI", "N P A" },
	{ "VC", "H L N" },   { "VI", "H L N" },   { "VA", "H L N" },       { "SC", "H L N" },     { "SI", "H L N" },
	{ "SA", "H L N" },   { "E", "X A P U" },  { "CR", "X H M L" },     { "IR", "X H M L" },   { "AR", "X H M L" },
	{ "MAV", "X N A L P" }, { "MAC", "X L H" }, { "MAT", "X N P" },    { "MPR", "X N L H" },  { "MUI", "X N P A" },
	{ "MVC", "X H L N" }, { "MVI", "X H L N" }, { "MVA", "X H L N" },  { "MSC", "X H L N" },  { "MSI", "X S H L N" },
	{ "MSA", "X S H L N" }, { "S", "X N P" },  { "AU", "X N Y" },      { "R", "X A U I" },    { "V", "X D C" },
	{ "RE", "X L M H" },  { "U", "X Clear Green Amber Red" },
};

/*
 * The score of each MacroVector, in tenths, as the CVSS v4.0 specification publishes it
 * (FIRST's lookup table): [(EQ1 * 2 + EQ2) * 3 + EQ3][(EQ4 * 3 + EQ5) * 2 + EQ6]; -1 where
 * EQ3 is 2 and EQ6 0, which cannot occur together.
 */
static const signed char macro_score[18][18] = {
	{ 100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68 },
	{ 98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48 },
	{ -1, 92, -1, 82, -1, 72, -1, 79, -1, 69, -1, 50, -1, 69, -1, 55, -1, 27 },
	{ 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53 },
	{ 95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30 },
	{ -1, 86, -1, 75, -1, 52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17 },
	{ 98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49 },
	{ 94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25 },
	{ -1, 83, -1, 70, -1, 54, -1, 65, -1, 58, -1, 26, -1, 53, -1, 21, -1, 13 },
	{ 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30 },
	{ 89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16 },
	{ -1, 71, -1, 59, -1, 30, -1, 58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6 },
	{ 93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22 },
	{ 85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8 },
	{ -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11, -1, 24, -1, 9, -1, 4 },
	{ 88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11 },
	{ 75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2 },
	{ -1, 53, -1, 24, -1, 14, -1, 24, -1, 12, -1, 5, -1, 10, -1, 3, -1, 1 },
};

/* The first letter of metric M's value in X: 'X' where it is absent (Not Defined). */
static char letter(const int *x, enum v4m m)
{
	const char *p = v4[m].values;
	if (x[m] < 0)
		return 'X';
	for (int i = 0; i < x[m]; i++)
		p += strcspn(p, " ") + 1;
	return *p;
}

/* The value that counts: a base metric's Modified value where there is one; E defaults to A
 * (Attacked) and CR, IR, AR to H, as the specification says for Not Defined. */
static char eff(const int *x, enum v4m m)
{
	char c;
	if (m <= SA && (c = letter(x, (enum v4m)(m + MAV - AV))) != 'X')
		return c;
	c = letter(x, m);
	if (c == 'X')
		return m == E ? 'A' : 'H';
	return c;
}

/* Where value C of metric M stands in its order of severity, highest first. */
static int level(enum v4m m, char c)
{
	static const char *const order[] = { [AV] = "NALP", [AC] = "LH", [AT] = "NP",  [PR] = "NLH", [UI] = "NPA",
					     [VC] = "HLN",  [VI] = "HLN", [VA] = "HLN", [SC] = "HLN", [SI] = "SHLN",
					     [SA] = "SHLN", [CR] = "HML", [IR] = "HML", [AR] = "HML" };
	return (int)(strchr(order[m], c) - order[m]);
}

/* The score of a MacroVector in tenths, or -1 where there is none. */
static int lookup(int e1, int e2, int e3, int e4, int e5, int e6)
{
	if (e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1)
		return -1;
	return macro_score[(e1 * 2 + e2) * 3 + e3][(e4 * 3 + e5) * 2 + e6];
}

/*
 * The highest-severity vectors of each equivalence level, as letters of the metrics
 * named in grp[]: EQ1, EQ2, EQ3 with EQ6 (by EQ3 * 2 + EQ6), EQ4.
 */
static const enum v4m grp[4][6] = { { AV, PR, UI }, { AC, AT }, { VC, VI, VA, CR, IR, AR }, { SC, SI, SA } };
static const int grp_len[4] = { 3, 2, 6, 3 };
static const char *const max_eq1[3][4] = { { "NNN" }, { "ANN", "NLN", "NNP" }, { "PNN", "ALP" } };
static const char *const max_eq2[2][4] = { { "LN" }, { "HN", "LP" } };
static const char *const max_eq36[6][6] = {
	{ "HHHHHH" }, { "HHLMMH", "HHHMMM" }, { "LHHHHH", "HLHHHH" },
	{ "LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM" }, { NULL }, { "LLLHHH" },
};
static const char *const max_eq4[3][4] = { { "HSS" }, { "HHH" }, { "LLL" } };

/* The distances of X from the highest vector MAX of group G into d[G]; 0 when one is negative. */
static int distance(const int *x, int g, const char *max, int d[4])
{
	d[g] = 0;
	for (int i = 0; i < grp_len[g]; i++) {
		int s = level(grp[g][i], eff(x, grp[g][i])) - level(grp[g][i], max[i]);
		if (s < 0)
			return 0;
		d[g] += s;
	}
	return 1;
}

/*
 * The severity distances of X from the first highest-severity vector of its MacroVector
 * that it is nowhere more severe than, in the specification's order (EQ1's outermost).
 */
static void distances(const int *x, const int eq[6], int d[4])
{
	const char *const *m1 = max_eq1[eq[0]], *const *m2 = max_eq2[eq[1]];
	const char *const *m36 = max_eq36[eq[2] * 2 + eq[5]], *const *m4 = max_eq4[eq[3]];
	for (int a = 0; a < 4 && m1[a]; a++)
		for (int b = 0; b < 4 && m2[b]; b++)
			for (int c = 0; c < 6 && m36[c]; c++)
				for (int e = 0; e < 4 && m4[e]; e++)
					if (distance(x, 0, m1[a], d) && distance(x, 1, m2[b], d) &&
					    distance(x, 2, m36[c], d) && distance(x, 3, m4[e], d))
						return;
	memset(d, 0, 4 * sizeof(*d)); /* cannot happen: the MacroVector's highest is then its score */
}

/* The MacroVector of X: EQ1 … EQ6. */
static void macro_vector(const int *x, int eq[6])
{
	char av = eff(x, AV), pr = eff(x, PR), ui = eff(x, UI), vc = eff(x, VC), vi = eff(x, VI), va = eff(x, VA);
	char sc = eff(x, SC), si = eff(x, SI), sa = eff(x, SA), e = eff(x, E);
	eq[0] = av == 'N' && pr == 'N' && ui == 'N' ? 0 : (av == 'N' || pr == 'N' || ui == 'N') && av != 'P' ? 1 : 2;
	eq[1] = eff(x, AC) == 'L' && eff(x, AT) == 'N' ? 0 : 1;
	eq[2] = vc == 'H' && vi == 'H' ? 0 : vc == 'H' || vi == 'H' || va == 'H' ? 1 : 2;
	eq[3] = si == 'S' || sa == 'S' ? 0 : sc == 'H' || si == 'H' || sa == 'H' ? 1 : 2;
	eq[4] = e == 'A' ? 0 : e == 'P' ? 1 : 2;
	eq[5] = (eff(x, CR) == 'H' && vc == 'H') || (eff(x, IR) == 'H' && vi == 'H') || (eff(x, AR) == 'H' && va == 'H')
			? 0 : 1;
}

enum al_code al_cvss4_score(const char *vector, double *score, struct al_err *err)
{
	/* the maximal severity distance within each level, in steps: EQ1, EQ2, EQ3+EQ6, EQ4 */
	static const int depth1[3] = { 1, 4, 5 }, depth2[2] = { 1, 2 }, depth36[6] = { 7, 6, 8, 8, 0, 10 },
			 depth4[3] = { 6, 5, 4 };
	int x[NV4], eq[6], d[4], lower[5], n = 0, top;
	double value, sum = 0, s;
	enum al_code rc;
	if (strncmp(vector, "CVSS:4.0/", 9))
		return al_fail(err, AL_EINVAL, "'%s' is not a CVSS v4 vector (it must start CVSS:4.0/)", vector);
	if ((rc = parse_metrics(vector, vector + 9, v4, NV4, SA + 1, x, err)))
		return rc;
	if (eff(x, VC) == 'N' && eff(x, VI) == 'N' && eff(x, VA) == 'N' && eff(x, SC) == 'N' &&
	    eff(x, SI) == 'N' && eff(x, SA) == 'N') {
		*score = 0;
		return AL_OK;
	}
	macro_vector(x, eq);
	top = lookup(eq[0], eq[1], eq[2], eq[3], eq[4], eq[5]);
	value = top / 10.0;
	/* the score of the next lower MacroVector of each EQ; for EQ3 with EQ6 the higher of two */
	lower[0] = lookup(eq[0] + 1, eq[1], eq[2], eq[3], eq[4], eq[5]);
	lower[1] = lookup(eq[0], eq[1] + 1, eq[2], eq[3], eq[4], eq[5]);
	lower[2] = eq[2] == 0 && eq[5] == 0 ? fmax(lookup(eq[0], eq[1], 1, eq[3], eq[4], 0),
						   lookup(eq[0], eq[1], 0, eq[3], eq[4], 1))
		   : eq[2] == 1 && eq[5] == 0 ? lookup(eq[0], eq[1], 1, eq[3], eq[4], 1)
		   : eq[2] < 2		      ? lookup(eq[0], eq[1], eq[2] + 1, eq[3], eq[4], 1)
					      : -1;
	lower[3] = lookup(eq[0], eq[1], eq[2], eq[3] + 1, eq[4], eq[5]);
	lower[4] = lookup(eq[0], eq[1], eq[2], eq[3], eq[4] + 1, eq[5]);
	distances(x, eq, d);
	/* each EQ with a lower MacroVector moves the score toward it by the vector's share of
	 * the distance to it (EQ5 has one value per level: its share is 0) */
	const double share[5] = { (double)d[0] / depth1[eq[0]], (double)d[1] / depth2[eq[1]],
				  (double)d[2] / depth36[eq[2] * 2 + eq[5]], (double)d[3] / depth4[eq[3]], 0 };
	for (int i = 0; i < 5; i++)
		if (lower[i] >= 0) {
			sum += (value - lower[i] / 10.0) * share[i];
			n++;
		}
	s = n ? value - sum / n : value;
	s = fmin(fmax(s, 0), 10);
	*score = floor((s + 1e-6) * 10 + 0.5) / 10;
	return AL_OK;
}

/* ---------------------------------------------------------------- any */

enum al_code al_cvss_score(const char *type, const char *vector, double *score, struct al_err *err)
{
	if (!strcmp(type, "CVSS_V2"))
		return al_cvss2_base(vector, score, err);
	if (!strcmp(type, "CVSS_V3"))
		return al_cvss3_base(vector, score, err);
	if (!strcmp(type, "CVSS_V4"))
		return al_cvss4_score(vector, score, err);
	return al_fail(err, AL_ENOENT, "'%s' is not a CVSS severity type", type);
}

const char *al_cvss_rating(double s)
{
	return s >= 9.0 ? "CRITICAL" : s >= 7.0 ? "HIGH" : s >= 4.0 ? "MEDIUM" : s > 0 ? "LOW" : "NONE";
}
