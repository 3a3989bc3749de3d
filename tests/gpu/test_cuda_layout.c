/* The CUDA kernels' weight layout and inner step, checked on the host: no GPU needed, so
 * this runs in every build. The repack (bn_w16_repack_row), the code extraction and the
 * dp4a step (bn_w16_dot16) are the very functions the kernels call; the loops below walk
 * the words exactly as cuda_gemv.cu and cuda_gemm.cu do, and must give bn_gemv's integers. */
#include <string.h>

#include "bn_cuda_layout.h"
#include "bn_dispatch.h"
#include "tf.h"

static struct bn_tmat *random_matrix(int n, int k, int8_t **t_out)
{
	int8_t *t = malloc((size_t)n * (size_t)k);
	for (size_t i = 0; i < (size_t)n * (size_t)k; i++)
		t[i] = (int8_t)((int)(tf_rand() % 3) - 1);
	struct bn_tmat *w;
	TF_CHECK_EQ(bn_tmat_new(&w, n, k), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 1.0f), 0);
	*t_out = t;
	return w;
}

static uint32_t *repack(const struct bn_tmat *w)
{
	size_t rw = bn_w16_row_words(w->k_pad);
	uint32_t *d = malloc((size_t)w->n * rw * sizeof(uint32_t));
	for (int j = 0; j < w->n; j++)
		bn_w16_repack_row(d + (size_t)j * rw, w->codes + (size_t)j * w->row_bytes, w->k_pad);
	return d;
}

static const int ks[] = {1, 31, 100, 128, 129, 255, 384, 1000, 2560};

/* Every weight comes back from W16 where the layout says: word c / 16, byte c % 4, bits
 * 2 ((c % 16) / 4); padding is code 1 (weight 0). */
TF_TEST(gpu_layout__repack_keeps_every_weight)
{
	tf_seed(11);
	for (size_t s = 0; s < sizeof(ks) / sizeof(ks[0]); s++) {
		int n = 7, k = ks[s];
		int8_t *t;
		struct bn_tmat *w = random_matrix(n, k, &t);
		uint32_t *d = repack(w);
		size_t rw = bn_w16_row_words(w->k_pad);
		TF_CHECK_EQ(rw * 16, (size_t)w->k_pad);
		for (int j = 0; j < n; j++)
			for (int c = 0; c < w->k_pad; c++) {
				uint32_t codes = bn_w16_codes(d[(size_t)j * rw + (size_t)c / 16],
							      (c % 16) / 4);
				int got = (int)((codes >> (8 * (c % 4))) & 0xff) - 1;
				int want = c < k ? t[(size_t)j * k + c] : 0;
				TF_CHECK(got == want, "k %d: row %d col %d: W16 holds %d, want %d",
					 k, j, c, got, want);
			}
		free(d);
		free(t);
		bn_tmat_free(w);
	}
}

/* The dp4a step treats bytes as signed, extremes included. */
TF_TEST(gpu_layout__dp4a_is_signed)
{
	TF_CHECK_EQ(bn_w16_dp4a(0x80808080u, 0x80808080u, 0), 4 * 128 * 128);
	TF_CHECK_EQ(bn_w16_dp4a(0x7f7f7f7fu, 0x80808080u, 5), 5 - 4 * 127 * 128);
	TF_CHECK_EQ(bn_w16_dp4a(0x00000002u, 0xffffff81u, 0), 2 * -127);
	TF_CHECK_EQ(bn_w16_dp4a(0x01020300u, 0x04050607u, 1), 1 + 0 * 7 + 3 * 6 + 2 * 5 + 1 * 4);
}

/* The kernels' walk over a row: cuda_gemv.cu takes 16-byte chunks (4 words, 64 activation
 * bytes); cuda_gemm.cu takes 128-weight slices, word by word; both end with - sum(x). */
static int32_t walk_gemv(const uint32_t *row, size_t rw, const int8_t *x, int32_t xsum)
{
	int32_t acc = 0;
	for (size_t i = 0; i < rw / 4; i++) {
		uint32_t a[16];
		memcpy(a, x + 64 * i, sizeof(a));
		for (int j = 0; j < 4; j++)
			acc = bn_w16_dot16(row[4 * i + (size_t)j], a[4 * j], a[4 * j + 1],
					   a[4 * j + 2], a[4 * j + 3], acc);
	}
	return acc - xsum;
}

static int32_t walk_gemm(const uint32_t *row, int k_pad, const int8_t *x, int32_t xsum)
{
	int32_t acc = 0;
	for (int k0 = 0; k0 < k_pad; k0 += 128) {
		uint32_t as[32], ws[8];
		memcpy(as, x + k0, sizeof(as));
		for (int h = 0; h < 2; h++)
			for (int c = 0; c < 4; c++)
				ws[4 * h + c] = row[k0 / 16 + 4 * h + c];
		for (int wd = 0; wd < 8; wd++)
			acc = bn_w16_dot16(ws[wd], as[4 * wd], as[4 * wd + 1], as[4 * wd + 2],
					   as[4 * wd + 3], acc);
	}
	return acc - xsum;
}

TF_TEST(gpu_layout__kernel_walks_match_ref_gemv)
{
	tf_seed(12);
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	for (size_t s = 0; s < sizeof(ks) / sizeof(ks[0]); s++)
		for (int fill = 0; fill < 3; fill++) {
			int n = 33, k = ks[s];
			int8_t *t;
			struct bn_tmat *w = random_matrix(n, k, &t);
			uint32_t *d = repack(w);
			size_t rw = bn_w16_row_words(w->k_pad);
			struct bn_qact *x;
			TF_CHECK_EQ(bn_qact_new(&x, 1, k), 0);
			for (int c = 0; c < k; c++)
				x->q[c] = fill == 0 ? (int8_t)(tf_rand() & 0xff)
						    : (fill == 1 ? -128 : 127);
			bn_qact_finish(x);
			int32_t *want = malloc((size_t)n * sizeof(int32_t));
			TF_CHECK_EQ(bn_gemv(ctx, want, x, w), 0);
			for (int j = 0; j < n; j++) {
				const uint32_t *row = d + (size_t)j * rw;
				int32_t g1 = walk_gemv(row, rw, x->q, x->rowsum[0]);
				int32_t g2 = walk_gemm(row, w->k_pad, x->q, x->rowsum[0]);
				TF_CHECK(g1 == want[j] && g2 == want[j],
					 "k %d fill %d row %d: gemv walk %d, gemm walk %d, ref %d",
					 k, fill, j, g1, g2, want[j]);
			}
			free(want);
			bn_qact_free(x);
			free(d);
			free(t);
			bn_tmat_free(w);
		}
	bn_ctx_free(ctx);
}
