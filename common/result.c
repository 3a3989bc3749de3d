/* Freeing and naming for the result model. */
#include "bg_result.h"

#include <stdlib.h>
#include <string.h>

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bg_bench_set_free(struct bg_bench_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct bg_bench *b = &set->v[i];
		free(b->name);
		free(b->unit);
		free(b->samples);
		free(b->kernel);
		free(b->skipped);
	}
	free(set->v);
	struct bg_bench_ctx *c = &set->ctx;
	free(c->program);
	free(c->version);
	free(c->cpu);
	free(c->build_type);
	free_strv(c->isa, c->n_isa);
	free_strv(c->kernels, c->n_kernels);
	free(c->dispatch);
	free(c->json);
	free(set->format);
	free(set);
}

static const char *const outcome_names[] = {"passed", "failed", "skipped", "errored"};

const char *bg_outcome_name(enum bg_outcome o)
{
	return (unsigned)o < 4 ? outcome_names[o] : "unknown";
}

int bg_outcome_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, outcome_names[i]))
			return i;
	return -1;
}

void bg_test_suite_free(struct bg_test_suite *suite)
{
	if (!suite)
		return;
	for (size_t i = 0; i < suite->n; i++) {
		free(suite->cases[i].name);
		free(suite->cases[i].classname);
		free(suite->cases[i].message);
	}
	free(suite->cases);
	free(suite->suite);
	free(suite);
}
