/* Calibration of a gate only: BITNET_BENCH_SLOWDOWN="REGEX:PERCENT" makes every benchmark
 * whose name matches take PERCENT% longer per iteration, by spinning on the clock for that
 * share of its own calibrated iteration time. Real work in the timed region, so a gate can
 * be shown to catch a slowdown of known size; the JSON context says it was on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int bench_slowdown_init(struct bench_slowdown *sd, const char *spec)
{
	memset(sd, 0, sizeof(*sd));
	if (!spec || !*spec)
		return 0;
	const char *colon = strrchr(spec, ':');
	char *end;
	if (!colon)
		return -1;
	double pct = strtod(colon + 1, &end);
	if (*end || !(pct > 0 && pct <= 1000))
		return -1;
	char re[256];
	snprintf(re, sizeof(re), "%.*s", (int)(colon - spec), spec);
	if (regcomp(&sd->re, re, REG_EXTENDED | REG_NOSUB))
		return -1;
	sd->pct = pct;
	sd->spec = spec;
	return 0;
}

double bench_slowdown_extra(const struct bench_slowdown *sd, const char *name, double per)
{
	if (sd->pct > 0 && !regexec(&sd->re, name, 0, NULL, 0))
		return per * sd->pct / 100;
	return 0;
}

void bench_slowdown_free(struct bench_slowdown *sd)
{
	if (sd->pct > 0)
		regfree(&sd->re);
	memset(sd, 0, sizeof(*sd));
}
