/* The lm_head's F16 x F32 dot products with AVX2, FMA and F16C, each row in exactly the
 * order of bn_ref_dot_f16 (four 8-lane FMA accumulators over blocks of 32, then a fixed
 * reduction), so every kernel gives the same logits bit for bit. Four rows at a time share
 * each load of x; the four rows are one contiguous run, prefetched ahead as it is read. */
#include <immintrin.h>
#include <stdint.h>

#include "../kernels_int.h"
#include "dot_f16_order.h"

#define INLINE static inline __attribute__((always_inline))
#define ROWS 4

INLINE __m256 f16x8(const uint16_t *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/* nr (constant) consecutive rows starting at e; pf: bytes ahead to prefetch, 0 for none. */
INLINE void dot_rows(int nr, float *y, const uint16_t *e, const float *x, int k, int pf)
{
	__m256 a[ROWS][4];
	for (int r = 0; r < nr; r++)
		a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm256_setzero_ps();
	for (int i = 0; i < k; i += 32) {
		if (pf)
			for (int l = 0; l < nr; l++)
				_mm_prefetch((const char *)e + pf + (size_t)i * 2 * nr + 64 * l,
					     _MM_HINT_T0);
		const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
		const __m256 x2 = _mm256_loadu_ps(x + i + 16), x3 = _mm256_loadu_ps(x + i + 24);
		for (int r = 0; r < nr; r++) {
			const uint16_t *er = e + (size_t)r * (size_t)k + i;
			a[r][0] = _mm256_fmadd_ps(f16x8(er), x0, a[r][0]);
			a[r][1] = _mm256_fmadd_ps(f16x8(er + 8), x1, a[r][1]);
			a[r][2] = _mm256_fmadd_ps(f16x8(er + 16), x2, a[r][2]);
			a[r][3] = _mm256_fmadd_ps(f16x8(er + 24), x3, a[r][3]);
		}
	}
	for (int r = 0; r < nr; r++)
		y[r] = bn_dot_f16_finish(a[r][0], a[r][1], a[r][2], a[r][3]);
}

void bn_f16c_dot_f16(float *y, const uint16_t *e, const float *x, int k, int n0, int n1)
{
	const int pf = bn_tune_get()->avx2_prefetch;
	int j = n0;
	for (; j + ROWS <= n1; j += ROWS)
		dot_rows(ROWS, y + (j - n0), e + (size_t)j * (size_t)k, x, k, pf);
	for (; j < n1; j++)
		dot_rows(1, y + (j - n0), e + (size_t)j * (size_t)k, x, k, 0);
}
