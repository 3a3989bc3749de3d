/* hyperfine's --export-json: {"results": [{"command", "times", "exit_codes", ...}]}. Each
 * command is a benchmark; each of its runs, in seconds, a sample. hyperfine prints no
 * context of its own. */
#include <stdlib.h>
#include <string.h>

#include "bench_parse_int.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_strmap.h"

/* A run that did not exit 0 (hyperfine keeps those with -i): *why says which, and the
 * benchmark is not measured. exit_codes is optional; an entry is an integer, or null when a
 * signal ended the run. */
static int read_exit_codes(char **why, const struct bg_json_at *at, const cJSON *o)
{
	const cJSON *codes;
	struct bg_json_at cat;
	int rc = bg_json_get_array(at, o, "exit_codes", BG_JSON_OPTIONAL, &codes, &cat);
	if (rc <= 0)
		return rc;
	size_t i = 0;
	for (const cJSON *e = codes->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		bg_json_at_index(&eat, &cat, i);
		if (!cJSON_IsNull(e) && !cJSON_IsNumber(e))
			return bg_json_at_fail(&eat, "expected an exit code or null, got %s",
					       bg_json_type_name(e));
		if (cJSON_IsNumber(e) && e->valuedouble == 0)
			continue;
		struct bg_buf msg = BG_BUF_INIT;
		if (cJSON_IsNull(e))
			bg_buf_printf(&msg, "run %zu was ended by a signal", i + 1);
		else
			bg_buf_printf(&msg, "run %zu exited with %g", i + 1, e->valuedouble);
		return (*why = bg_buf_detach(&msg)) ? 0 : BG_ENOMEM;
	}
	return 0;
}

static int read_result(struct bgp_list *l, size_t idx, const struct bg_json_at *at, const cJSON *o)
{
	struct bg_bench *b = &l->set->v[idx];
	struct bg_json_at tat;
	int rc = bgp_take_name(l, idx, at, o, "command", "command", "; name them apart with -n");
	if (rc < 0)
		return rc;
	if (!(b->unit = bg_strdup("ns")))
		return BG_ENOMEM;
	bg_json_at_key(&tat, at, "times");
	const cJSON *times = bg_json_member(o, "times");
	if (!times)
		return bg_json_at_fail(&tat, "required");
	char *failed = NULL;
	if ((rc = bgp_seconds_samples(b, &tat, times,
				      "hyperfine measured no time: the command is shorter than the "
				      "shell start-up it subtracts (run hyperfine with -N)")) < 0 ||
	    (rc = read_exit_codes(&failed, at, o)) < 0 || !failed)
		return rc;
	/* a failed run, whatever else: none of the times is kept */
	free(b->skipped);
	free(b->samples);
	b->skipped = failed;
	b->samples = NULL;
	b->n_samples = 0;
	return 0;
}

int bgp_read_hyperfine(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc)
{
	int rc = bgp_keep_json(&set->ctx.json, NULL);
	return rc < 0 ? rc : bgp_read_each(set, root, doc, "results", read_result);
}
