/* Strict mode: the BITNET_STRICT_MODE variable, read once per process. */
#include "bn_strict.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bn_error.h"

static int bn_strict_state; /* 0 off, 1 on, -1 unusable value */
static char bn_strict_bad[160];
static pthread_once_t bn_strict_once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
	static const char *on[] = {"1", "true", "yes", "on"};
	static const char *off[] = {"", "0", "false", "no", "off"};
	const char *v = getenv("BITNET_STRICT_MODE");
	if (!v)
		return;
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (!strcasecmp(v, on[i])) {
			bn_strict_state = 1;
			return;
		}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (!strcasecmp(v, off[i]))
			return;
	bn_strict_state = -1;
	snprintf(
		bn_strict_bad, sizeof(bn_strict_bad),
		"BITNET_STRICT_MODE=%.64s: expected 1, true, yes, on (strict) or 0, false, no, off",
		v);
}

int bn_strict_mode(void)
{
	pthread_once(&bn_strict_once, read_env);
	return bn_strict_state;
}

const char *bn_strict_env_error(void)
{
	return bn_strict_mode() < 0 ? bn_strict_bad : "";
}

int bn_strict_refuse(const char *op, const char *shape, const char *asked, const char *available)
{
	return bn_error_set(BN_ESTRICT,
			    "%s %s: fallback refused by BITNET_STRICT_MODE: kernel asked for: %s; "
			    "available: %s (unset BITNET_STRICT_MODE to allow it)",
			    op, shape, asked, available);
}

int bn_strict_check_fallback(const char *op, const char *shape, const char *asked,
			     const char *available)
{
	int st = bn_strict_mode();
	if (st == 0)
		return 0;
	if (st < 0)
		return bn_error_set(BN_EINVAL, "%s", bn_strict_bad);
	return bn_strict_refuse(op, shape, asked, available);
}
