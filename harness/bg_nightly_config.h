/* What bitgate.json says to the nightly: the "acknowledge" list (regressions reviewed as
 * intended) and the "nightly" section (commit links, threshold). Every mistake is named by
 * its JSON path. */
#ifndef BG_NIGHTLY_CONFIG_H
#define BG_NIGHTLY_CONFIG_H

#include <stddef.h>

#include "bg_config.h"
#include "bg_trend.h"

struct bg_nightly_config {
	struct bg_trend_ack *acks; /* strings borrowed from the bitgate.json document */
	size_t n_acks;
	const char *commit_url; /* "nightly.commit_url": a template with {sha}; NULL: none */
	double threshold;       /* "nightly.threshold": smallest slowdown called a regression
				   (default: gates.perf.threshold, else 0.03) */
};

/* Entries of "acknowledge" (every series is matched against each). */
#define BG_NIGHTLY_MAX_ACKS 1000

/* Reads cfg (which must outlive out):
 *   "acknowledge": [{"series": GLOB, "commit": SHA-PREFIX (7+ hex), "reason": TEXT}, ...]
 *   "nightly": {"commit_url": "https://.../commit/{sha}", "threshold": 0.03}
 * BG_EINPUT naming the path on a bad value; BG_ENOMEM. */
int bg_nightly_config_read(const struct bg_config *cfg, struct bg_nightly_config *out);
void bg_nightly_config_clear(struct bg_nightly_config *c);

#endif
