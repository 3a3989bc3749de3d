/* libFuzzer harness: bitgate.json read whole, as a command reads it: the top level and its
 * steps (harness/config.c), every step's argv expanded, the "gates" section
 * (harness/gate_config.c, with its strict-mode filter regex compiled) and then used to look
 * up thresholds (gates/rules.c), and "nightly" with "acknowledge" (harness/nightly_config.c). */
#include <stddef.h>
#include <stdint.h>

#include "bg_config.h"
#include "bg_error.h"
#include "bg_gate_config.h"
#include "bg_nightly_config.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Expands a step's argv and working directory with every placeholder set. */
static void expand_step(const struct bg_step *s)
{
	static const struct bg_vars vars = {
		.src = "/src", .build = "/build", .out = "/out", .jobs = 2, .filter = "gemv"};
	char **argv = NULL;
	if (bg_config_expand_argv(&argv, s->argv, &vars) == 0)
		bg_strv_free(argv);
	char *cwd = NULL;
	if (s->cwd && bg_config_expand_str(&cwd, s->cwd, &vars) == 0)
		free(cwd);
}

/* The gates section, and the lookups gates/rules.c makes with it. */
static void read_gates(const struct bg_config *cfg)
{
	static const char *const names[] = {"BM_A", "gemv/avx2/2560x6912", "e2e/tiny/decode", ""};
	struct bg_gate_config g;
	if (bg_gate_config_read(cfg, &g) < 0) {
		FUZZ_CHECK(bg_error_last()[0] != '\0', "gates: an error without a message");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)bg_gate_threshold_for(&g, names[i]);
	bg_gate_config_clear(&g);
}

static void read_nightly(const struct bg_config *cfg)
{
	struct bg_nightly_config nc;
	if (bg_nightly_config_read(cfg, &nc) < 0) {
		FUZZ_CHECK(bg_error_last()[0] != '\0', "nightly: an error without a message");
		FUZZ_CHECK(nc.acks == NULL, "nightly: acknowledgements kept after an error");
		return;
	}
	bg_nightly_config_clear(&nc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct bg_config *cfg = (struct bg_config *)&cfg; /* must be reset */
	int rc = bg_config_parse(&cfg, text, size, "fuzz input");
	if (rc < 0) {
		FUZZ_CHECK(cfg == NULL, "a config came back with an error");
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
	} else {
		FUZZ_CHECK(cfg != NULL, "success without a config");
		for (size_t i = 0; i < cfg->n_build; i++)
			expand_step(&cfg->build[i]);
		expand_step(&cfg->bench);
		for (size_t i = 0; i < cfg->n_tests; i++)
			expand_step(&cfg->tests[i].step);
		read_gates(cfg);
		read_nightly(cfg);
		bg_config_free(cfg);
	}
	free(text);
	bg_error_clear();
	return 0;
}
