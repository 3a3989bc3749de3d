/* Names and freeing for decisions (see bg_decision.h). */
#include "bg_decision.h"

#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"

static const char *const verdict_names[] = {"no change", "faster", "slower", "noisy", "missing"};
static const char *const status_names[] = {"pass", "fail", "skipped"};
static const char *const conclusion_names[] = {"success", "failure", "neutral"};

/* names[v], or "unknown" outside the table. */
static const char *name_in(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "unknown";
}

/* The index of s in names; -1 when it is not there. */
static int parse_in(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

const char *bg_verdict_name(enum bg_verdict v)
{
	return name_in(verdict_names, BG_COUNTOF(verdict_names), (unsigned)v);
}

int bg_verdict_parse(const char *s)
{
	return parse_in(verdict_names, BG_COUNTOF(verdict_names), s);
}

const char *bg_gate_status_name(enum bg_gate_status s)
{
	return name_in(status_names, BG_COUNTOF(status_names), (unsigned)s);
}

int bg_gate_status_parse(const char *s)
{
	return parse_in(status_names, BG_COUNTOF(status_names), s);
}

const char *bg_conclusion_name(int c)
{
	return name_in(conclusion_names, BG_COUNTOF(conclusion_names), (unsigned)c);
}

int bg_conclusion_parse(const char *s)
{
	return parse_in(conclusion_names, BG_COUNTOF(conclusion_names), s);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void side_clear(struct bg_side *s)
{
	free(s->sha);
	free(s->subject);
	free(s->binary_hash);
	free(s->kernels);
	free(s->dispatch);
}

void bg_decision_free(struct bg_decision *d)
{
	if (!d)
		return;
	free(d->kind);
	side_clear(&d->base);
	side_clear(&d->head);
	free(d->machine);
	free(d->fingerprint);
	free_strv(d->commands, d->n_commands);
	for (size_t i = 0; i < d->n_gates; i++) {
		free(d->gates[i].name);
		free(d->gates[i].evidence);
	}
	free(d->gates);
	for (size_t i = 0; i < d->n_rows; i++) {
		struct bg_row *r = &d->rows[i];
		free(r->benchmark);
		free(r->params);
		free(r->mode);
		free(r->kernel_base);
		free(r->kernel_head);
	}
	free(d->rows);
	for (size_t i = 0; i < d->n_suites; i++) {
		struct bg_suite_cmp *s = &d->suites[i];
		free(s->suite);
		free_strv(s->new_failures, s->n_new_failures);
		free(s->skipped);
	}
	free(d->suites);
	for (size_t i = 0; i < d->n_modes; i++) {
		free(d->modes[i].name);
		free(d->modes[i].env);
		free(d->modes[i].skipped);
	}
	free(d->modes);
	free_strv(d->findings, d->n_findings);
	free(d->method);
	free(d);
}
