/* A scratch directory for the tests/common programs: mktmp() makes a new one (tmp) and
 * in_tmp(name) names a path in it; four such names may be in use at once. */
#ifndef COMMON_TMP_H
#define COMMON_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"

static char tmp[256];

static void mktmp(void)
{
	tf_tmpdir_in(tmp, sizeof(tmp), "bitgate-common");
}

static char *in_tmp(const char *name)
{
	static char p[4][400];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmp, name);
	return p[k];
}

#endif
