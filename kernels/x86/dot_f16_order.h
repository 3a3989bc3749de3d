/* The lm_head's fixed reduction, shared by the F16C and AVX-512 dot products so both end as
 * the scalar bn_ref_dot_f16 does, bit for bit. Included only by files built with AVX. */
#ifndef BN_DOT_F16_ORDER_H
#define BN_DOT_F16_ORDER_H

#include <immintrin.h>

/* The four 8-lane accumulators a0..a3 to one float: (a0 + a1) + (a2 + a3) lane-wise, then
 * lanes (l0 + l4, l1 + l5, l2 + l6, l3 + l7) = v, then (v0 + v2) + (v1 + v3). */
static inline __attribute__((always_inline)) float bn_dot_f16_finish(__m256 a0, __m256 a1,
								     __m256 a2, __m256 a3)
{
	__m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
	__m128 v = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
	__m128 w = _mm_add_ps(v, _mm_movehl_ps(v, v));
	return _mm_cvtss_f32(_mm_add_ss(w, _mm_shuffle_ps(w, w, 1)));
}

#endif
