/* The F16 x F32 dot product of the tied lm_head with AVX2, FMA and F16C, in exactly the
 * order of bn_dot_f16 in infer.c (four 8-lane FMA accumulators over blocks of 32, then a
 * fixed reduction), so every kernel gives the same logits bit for bit. */
#include <immintrin.h>
#include <stdint.h>

float bn_dot_f16_f16c(const uint16_t *e, const float *x, int n);

float bn_dot_f16_f16c(const uint16_t *e, const float *x, int n)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	for (int i = 0; i < n; i += 32) {
		a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(e + i))),
				     _mm256_loadu_ps(x + i), a0);
		a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(e + i + 8))),
				     _mm256_loadu_ps(x + i + 8), a1);
		a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(e + i + 16))),
				     _mm256_loadu_ps(x + i + 16), a2);
		a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(e + i + 24))),
				     _mm256_loadu_ps(x + i + 24), a3);
	}
	__m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
	__m128 v = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
	__m128 w = _mm_add_ps(v, _mm_movehl_ps(v, v));
	return _mm_cvtss_f32(_mm_add_ss(w, _mm_shuffle_ps(w, w, 1)));
}
