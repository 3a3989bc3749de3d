/* bitgate.json's acknowledge list and nightly section (bg_nightly_config.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "bg_json.h"
#include "bg_nightly_config.h"

static int is_hex_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n < 7 || n > 40)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int read_ack(struct bg_trend_ack *a, const cJSON *o, size_t i, const char *origin)
{
	char path[64];
	snprintf(path, sizeof(path), "acknowledge[%zu]", i);
	if (!cJSON_IsObject(o))
		return bg_json_fail(origin, path, "expected an object, got %s",
				    bg_json_type_name(o));
	for (const cJSON *m = o->child; m; m = m->next) {
		char mpath[96];
		snprintf(mpath, sizeof(mpath), "%s.%s", path, m->string);
		const char **dst = !strcmp(m->string, "series")   ? &a->series
				   : !strcmp(m->string, "commit") ? &a->commit
				   : !strcmp(m->string, "reason") ? &a->reason
								  : NULL;
		if (!dst)
			return bg_json_fail(origin, mpath, "unknown key (expected series, commit, "
							   "reason)");
		if (!cJSON_IsString(m) || !m->valuestring[0])
			return bg_json_fail(origin, mpath, "expected a non-empty string");
		*dst = m->valuestring;
	}
	if (!a->series || !a->commit || !a->reason)
		return bg_json_fail(origin, path, "needs series, commit and reason");
	if (!is_hex_prefix(a->commit))
		return bg_json_fail(origin, path, "commit '%.40s': expected 7 to 40 lower-case "
						  "hex digits", a->commit);
	return 0;
}

int bg_nightly_config_read(const struct bg_config *cfg, struct bg_nightly_config *out)
{
	memset(out, 0, sizeof(*out));
	out->threshold = 0.03;
	const char *origin = cfg->origin ? cfg->origin : "bitgate.json";
	const cJSON *gates = cJSON_GetObjectItemCaseSensitive(cfg->root, "gates");
	const cJSON *perf = gates ? cJSON_GetObjectItemCaseSensitive(gates, "perf") : NULL;
	const cJSON *thr = perf ? cJSON_GetObjectItemCaseSensitive(perf, "threshold") : NULL;
	if (cJSON_IsNumber(thr))
		out->threshold = thr->valuedouble;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(cfg->root, "nightly");
	if (n) {
		if (!cJSON_IsObject(n))
			return bg_json_fail(origin, "nightly", "expected an object, got %s",
					    bg_json_type_name(n));
		for (const cJSON *m = n->child; m; m = m->next) {
			char path[64];
			snprintf(path, sizeof(path), "nightly.%s", m->string);
			if (!strcmp(m->string, "commit_url")) {
				if (!cJSON_IsString(m) || !strstr(m->valuestring, "{sha}") ||
				    (strncmp(m->valuestring, "https://", 8) &&
				     strncmp(m->valuestring, "http://", 7)))
					return bg_json_fail(origin, path,
							    "expected an http(s) URL containing {sha}");
				out->commit_url = m->valuestring;
			} else if (!strcmp(m->string, "threshold")) {
				if (!cJSON_IsNumber(m) || !(m->valuedouble >= 0 && m->valuedouble < 1))
					return bg_json_fail(origin, path,
							    "expected a number in [0, 1)");
				out->threshold = m->valuedouble;
			} else {
				return bg_json_fail(origin, path,
						    "unknown key (expected commit_url, threshold)");
			}
		}
	}
	const cJSON *acks = cJSON_GetObjectItemCaseSensitive(cfg->root, "acknowledge");
	size_t count = acks ? (size_t)cJSON_GetArraySize(acks) : 0;
	if (count) {
		out->acks = calloc(count, sizeof(*out->acks));
		if (!out->acks)
			return bg_error_oom();
		size_t i = 0;
		for (const cJSON *a = acks->child; a; a = a->next, i++) {
			int rc = read_ack(&out->acks[i], a, i, origin);
			if (rc < 0) {
				bg_nightly_config_clear(out);
				return rc;
			}
		}
		out->n_acks = count;
	}
	return 0;
}

void bg_nightly_config_clear(struct bg_nightly_config *c)
{
	free(c->acks);
	memset(c, 0, sizeof(*c));
}
