/* libFuzzer harness: GGUF (kernels/gguf.c) parsed from memory, with every tensor checked to
 * lie inside the input and the typed lookups bn_model_open makes; then the same bytes as a
 * model file (kernels/model.c bn_model_open), whose weights must be where the kernels can
 * read them (I2_S codes on a 32-byte boundary, norms on a float's). The file is one per
 * process, created on the first input and rewritten for each. */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "bn_error.h"
#include "bn_gguf.h"
#include "bn_model.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char model_path[64];

static void remove_model_file(void)
{
	unlink(model_path);
}

/* Rewrites the per-process model file with the input. */
static void write_model_file(const uint8_t *data, size_t size)
{
	if (!model_path[0]) {
		snprintf(model_path, sizeof(model_path), "/tmp/fuzz_gguf.%ld.gguf", (long)getpid());
		atexit(remove_model_file);
	}
	FILE *f = fopen(model_path, "wb");
	FUZZ_CHECK(f != NULL, "cannot create the model file in /tmp");
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0,
		   "cannot write the model file in /tmp");
}

/* The header read from memory: every tensor inside the buffer, the lookups answered. */
static void parse_from_memory(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	struct bn_gguf *g = (struct bn_gguf *)&g; /* must be reset */
	if (bn_gguf_parse(&g, buf, size, "fuzz input") < 0) {
		FUZZ_CHECK(g == NULL, "a GGUF came back with an error");
		FUZZ_CHECK(bn_error_last()[0] != '\0', "an error without a message");
		free(buf);
		return;
	}
	for (size_t i = 0; i < g->n_tensors; i++) {
		const struct bn_gguf_tensor *t = &g->tensors[i];
		const char *p = t->data;
		FUZZ_CHECK(p >= buf && t->n_bytes <= size && (size_t)(p - buf) <= size - t->n_bytes,
			   "a tensor outside the file");
		FUZZ_CHECK(bn_gguf_tensor(g, t->name) != NULL, "a tensor not found by its name");
	}
	uint32_t u;
	float f;
	char *s = NULL;
	(void)bn_gguf_get_u32(g, "bitnet-25.block_count", &u);
	(void)bn_gguf_get_f32(g, "bitnet-25.rope.freq_base", &f);
	if (bn_gguf_get_str(g, "general.architecture", &s) == 0)
		free(s);
	bn_gguf_close(g);
	free(buf);
}

/* Reads every norm the forward pass reads; checks the I2_S codes' alignment. */
static void check_model(const struct bn_model *m)
{
	volatile float sum = 0;
	for (int i = 0; i < m->cfg.hidden; i++)
		sum += m->output_norm[i];
	for (int l = 0; l < m->cfg.layers; l++) {
		const struct bn_layer_weights *w = &m->layer[l];
		const struct bn_tmat *mats[] = {&w->wq,     &w->wk,   &w->wv,    &w->wo,
						&w->w_gate, &w->w_up, &w->w_down};
		for (size_t i = 0; i < sizeof(mats) / sizeof(mats[0]); i++)
			FUZZ_CHECK((uintptr_t)mats[i]->codes % BN_I2S_BLOCK_BYTES == 0,
				   "I2_S codes not on a 32-byte boundary");
		for (int i = 0; i < m->cfg.hidden; i++)
			sum += w->attn_norm[i] + w->attn_sub_norm[i] + w->ffn_norm[i];
		for (int i = 0; i < m->cfg.ffn; i++)
			sum += w->ffn_sub_norm[i];
	}
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_from_memory(data, size);
	write_model_file(data, size);
	struct bn_model *m = (struct bn_model *)&m; /* must be reset */
	if (bn_model_open(&m, model_path) < 0) {
		FUZZ_CHECK(m == NULL, "a model came back with an error");
		FUZZ_CHECK(bn_error_last()[0] != '\0', "an error without a message");
	} else {
		check_model(m);
		bn_model_close(m);
	}
	bn_error_clear();
	return 0;
}
