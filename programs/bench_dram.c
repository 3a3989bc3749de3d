/* bitnet-bench's DRAM stack: the weights of a gemv/.../dram benchmark, copied into layers
 * over DRAM_STACK_BYTES so that a GEMV walking them reads from DRAM, not from a cache. The
 * caller owns the stack (struct bench_dram); it is kept for the next kernel of one shape. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "bn_pack.h"

void bench_dram_release(struct bench_dram *dram)
{
	free(dram->mem);
	free(dram->mats);
	memset(dram, 0, sizeof(*dram));
}

void bench_dram_prepare(struct bench_dram *dram, int n, int k)
{
	if (dram->mem && dram->n == n && dram->k == k)
		return;
	bench_dram_release(dram);
	int k_pad = bn_i2s_k_pad(k);
	size_t layer = (size_t)n * (size_t)k_pad / 4;
	int layers = (int)((DRAM_STACK_BYTES + layer - 1) / layer) + 1;
	size_t total = layer * (size_t)layers;
	dram->mem = bench_xalloc(total);
	madvise(dram->mem, (total + 4095) / 4096 * 4096, MADV_HUGEPAGE);
	bench_fill_codes(dram->mem, n, k, k_pad);
	for (int l = 1; l < layers; l++)
		memcpy(dram->mem + layer * (size_t)l, dram->mem, layer);
	dram->mats = bench_xcalloc((size_t)layers, sizeof(*dram->mats));
	for (int l = 0; l < layers; l++)
		dram->mats[l] = (struct bn_tmat){.codes = dram->mem + layer * (size_t)l,
						 .scale = 1.0f,
						 .n = n,
						 .k = k,
						 .k_pad = k_pad,
						 .row_bytes = layer / n};
	dram->n = n;
	dram->k = k;
	dram->layers = layers;
}
