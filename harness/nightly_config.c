/* bitgate.json's acknowledge list and nightly section (bg_nightly_config.h); a key given
 * twice in an object it reads is an error, as everywhere in bitgate.json. */
#include <cjson/cJSON.h>
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

static int read_ack(struct bg_trend_ack *a, const cJSON *o, const struct bg_json_at *at)
{
	int rc = bg_json_want_object(at, o);
	if (rc == 0)
		rc = bg_json_unique_keys(at, o);
	if (rc < 0)
		return rc;
	for (const cJSON *m = o->child; m; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		const char **dst = !strcmp(m->string, "series")   ? &a->series
				   : !strcmp(m->string, "commit") ? &a->commit
				   : !strcmp(m->string, "reason") ? &a->reason
								  : NULL;
		if (!dst)
			return bg_json_at_fail(&mat,
					       "unknown key (expected series, commit, reason)");
		if (!cJSON_IsString(m) || !m->valuestring[0])
			return bg_json_at_fail(&mat, "expected a non-empty string");
		*dst = m->valuestring;
	}
	if (!a->series || !a->commit || !a->reason)
		return bg_json_at_fail(at, "needs series, commit and reason");
	if (!is_hex_prefix(a->commit))
		return bg_json_at_fail(at, "commit '%.40s': expected 7 to 40 lower-case hex digits",
				       a->commit);
	return 0;
}

/* The "nightly" object: commit_url and threshold. */
static int read_nightly(struct bg_nightly_config *out, const cJSON *n, const struct bg_json_at *at)
{
	int rc = bg_json_want_object(at, n);
	if (rc == 0)
		rc = bg_json_unique_keys(at, n);
	for (const cJSON *m = n->child; m && !rc; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		if (!strcmp(m->string, "commit_url")) {
			if (!cJSON_IsString(m) || !strstr(m->valuestring, "{sha}") ||
			    (strncmp(m->valuestring, "https://", 8) &&
			     strncmp(m->valuestring, "http://", 7)))
				return bg_json_at_fail(&mat,
						       "expected an http(s) URL containing {sha}");
			out->commit_url = m->valuestring;
		} else if (!strcmp(m->string, "threshold")) {
			if (!cJSON_IsNumber(m) || !(m->valuedouble >= 0 && m->valuedouble < 1))
				return bg_json_at_fail(&mat, "expected a number in [0, 1)");
			out->threshold = m->valuedouble;
		} else {
			return bg_json_at_fail(&mat,
					       "unknown key (expected commit_url, threshold)");
		}
	}
	return rc;
}

/* The acknowledge list; config.c has checked it is an array. */
static int read_acks(struct bg_nightly_config *out, const cJSON *acks, const struct bg_json_at *at)
{
	size_t count = acks ? (size_t)cJSON_GetArraySize(acks) : 0;
	if (!count)
		return 0;
	/* each series of the dashboard is matched against every entry */
	if (count > BG_NIGHTLY_MAX_ACKS)
		return bg_json_at_fail(at, "%zu entries, more than the %d bitgate reads", count,
				       BG_NIGHTLY_MAX_ACKS);
	out->acks = calloc(count, sizeof(*out->acks));
	if (!out->acks)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *a = acks->child; a; a = a->next, i++) {
		struct bg_json_at aat;
		bg_json_at_index(&aat, at, i);
		int rc = read_ack(&out->acks[i], a, &aat);
		if (rc < 0)
			return rc;
	}
	out->n_acks = count;
	return 0;
}

int bg_nightly_config_read(const struct bg_config *cfg, struct bg_nightly_config *out)
{
	memset(out, 0, sizeof(*out));
	out->threshold = 0.03;
	struct bg_json_at root, at, pat;
	bg_json_at_root(&root, cfg->origin ? cfg->origin : "bitgate.json");
	const cJSON *gates = bg_json_member(cfg->root, "gates");
	const cJSON *perf = bg_json_member(gates, "perf");
	/* gates.perf.threshold is the default: read it only where it is given once */
	bg_json_at_key(&at, &root, "gates");
	bg_json_at_key(&pat, &at, "perf");
	int rc = bg_json_unique_keys(&at, gates);
	if (rc == 0)
		rc = bg_json_unique_keys(&pat, perf);
	if (rc < 0)
		return rc;
	const cJSON *thr = bg_json_member(perf, "threshold");
	if (cJSON_IsNumber(thr))
		out->threshold = thr->valuedouble;
	const cJSON *n = bg_json_member(cfg->root, "nightly");
	bg_json_at_key(&at, &root, "nightly");
	rc = n ? read_nightly(out, n, &at) : 0;
	if (rc < 0)
		return rc;
	bg_json_at_key(&at, &root, "acknowledge");
	rc = read_acks(out, bg_json_member(cfg->root, "acknowledge"), &at);
	if (rc < 0)
		bg_nightly_config_clear(out);
	return rc;
}

void bg_nightly_config_clear(struct bg_nightly_config *c)
{
	free(c->acks);
	memset(c, 0, sizeof(*c));
}
