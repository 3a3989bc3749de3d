/* What the db/ test programs share: a check that a call returned 0, naming the call, its
 * code and the error message when it did not. */
#ifndef DB_FIXTURE_H
#define DB_FIXTURE_H

#include "bg_error.h"
#include "tf.h"

#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		TF_CHECK(rc_ == 0, "%s: %d %s", #expr, rc_, bg_error_last());                      \
	} while (0)

#endif
