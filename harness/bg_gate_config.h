/* The "gates" section of bitgate.json, read into gates/' configuration with every mistake
 * named by its JSON path (gates.perf.threshold: expected a number in [0, 1]). */
#ifndef BG_GATE_CONFIG_H
#define BG_GATE_CONFIG_H

#include "bg_config.h"
#include "bg_rules.h"

/* Patterns in one of thresholds, floors, suites or required. */
#define BG_GATE_MAX_PATTERNS 1000

/* Fills out from cfg->root's "gates" (defaults where absent). BG_EINPUT with the origin and
 * path on a bad value. */
int bg_gate_config_read(const struct bg_config *cfg, struct bg_gate_config *out);

#endif
