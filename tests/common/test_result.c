/* common/result.c: outcome names both ways, and freeing what the parsers build (a half-filled
 * set or suite included). */
#include <stdlib.h>
#include <string.h>

#include "bg_result.h"
#include "tf.h"

TF_TEST(result__outcome_names_round_trip)
{
	static const char *const names[] = {"passed", "failed", "skipped", "errored"};
	for (int o = BG_TEST_PASSED; o <= BG_TEST_ERRORED; o++) {
		TF_CHECK(!strcmp(bg_outcome_name((enum bg_outcome)o), names[o]), "%d: %s", o,
			 bg_outcome_name((enum bg_outcome)o));
		TF_CHECK_EQ(bg_outcome_parse(names[o]), o);
	}
	TF_CHECK_EQ(bg_outcome_parse("Passed"), -1);
	TF_CHECK_EQ(bg_outcome_parse(""), -1);
}

TF_TEST(result__free_takes_half_filled_and_null)
{
	struct bg_bench_set *set = calloc(1, sizeof(*set));
	TF_CHECK(set != NULL, "oom");
	set->v = calloc(2, sizeof(*set->v));
	set->n = 2; /* the second left zeroed, as a parser stopped half-way leaves it */
	set->v[0].name = strdup("a");
	set->v[0].samples = malloc(3 * sizeof(double));
	set->ctx.isa = calloc(1, sizeof(char *));
	set->ctx.isa[0] = strdup("avx2");
	set->ctx.n_isa = 1;
	bg_bench_set_free(set); /* the sanitizer builds check nothing leaks or double-frees */
	bg_bench_set_free(NULL);
	struct bg_test_suite *suite = calloc(1, sizeof(*suite));
	TF_CHECK(suite != NULL, "oom");
	suite->cases = calloc(2, sizeof(*suite->cases));
	suite->n = 2;
	suite->cases[0].name = strdup("t");
	bg_test_suite_free(suite);
	bg_test_suite_free(NULL);
}
