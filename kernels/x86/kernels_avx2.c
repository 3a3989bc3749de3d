/* AVX2 kernels: ternary x int8 GEMM/GEMV with vpmaddubsw, and absmax int8 quantization.
 *
 * The weights stay in I2_S: one 32-byte load holds 128 weights as four runs of 32, each
 * pulled out with a shift and a mask as codes c = w + 1 in {0, 1, 2}. vpmaddubsw multiplies
 * the unsigned codes with the signed activations and adds pairs into int16, so
 * sum(w * x) = sum(c * x) - sum(x), where sum(x) is the row sum the quantizer stored.
 * A pair is at most 2 * 3 * 128 = 768 in magnitude (even for the invalid code 3), so 32
 * pairs accumulate in int16 without overflow before widening to int32. There is no
 * saturation anywhere: the result is exact, equal to the reference for every input.
 * GEMM decodes 16 weight rows at a time into a panel and reuses it for every activation
 * row; GEMV, with no reuse, decodes in registers. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "../bn_cpu.h"
#include "../bn_dispatch.h"
#include "../bn_error.h"
#include "../kernels_int.h"

#define INLINE static inline __attribute__((always_inline))

INLINE int32_t hsum_epi32(__m256i v)
{
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
	return _mm_cvtsi128_si32(s);
}

/* ---- GEMM on a decoded panel ----
 * A panel holds 16 weight rows in the VNNI layout: for each group of 4 columns kg, 64 bytes
 * = 4 codes (one byte each, column order) for each of the 16 rows. One activation dword
 * (4 columns) broadcast to all lanes against a panel vector gives, after vpmaddubsw and a
 * final vpmaddwd with ones, one int32 output per lane: no horizontal sums, so small K
 * costs little, and the panel is decoded once per call for every activation row. Pairs
 * are at most 2 * 3 * 128 = 768, so 32 groups accumulate in int16 before widening. */
#define PANEL_ROWS 16
#define PANEL_LD 64    /* bytes per group of 4 columns */
#define PANEL_WIDEN 32 /* column groups accumulated in int16 */

/* Decodes rows j0 .. j0 + rows - 1 (rows <= 16) of w into a panel; missing rows get code 0
 * (they add nothing and are never stored). Dword d of a row holds, for run g, the codes of
 * columns 128 (d / 8) + 32 g + 4 (d % 8) + i at bits 7-2g .. 6-2g of its byte i. Each
 * 32-byte block of eight rows is loaded whole and transposed as an 8 x 8 matrix of dwords
 * (24 shuffles), which gives the same vectors as eight gathers at a fraction of the cost. */
static void decode_panel(uint8_t *panel, const struct bn_tmat *w, int j0, int rows)
{
	const uint8_t *base = w->codes + (size_t)j0 * w->row_bytes;
	const __m256i mask3 = _mm256_set1_epi8(3);
	const size_t nblk = w->row_bytes / BN_I2S_BLOCK_BYTES;
	for (int h = 0; h < 2; h++) {
		int live = rows - 8 * h;
		if (live <= 0) {
			for (size_t kg = 0; kg < nblk * 32; kg++)
				_mm256_store_si256((__m256i *)(panel + kg * PANEL_LD + 32 * h),
						   _mm256_setzero_si256());
			continue;
		}
		const uint8_t *rp[8];
		for (int r = 0; r < 8; r++)
			rp[r] = r < live ? base + (size_t)(8 * h + r) * w->row_bytes : NULL;
		for (size_t b = 0; b < nblk; b++) {
			__m256i r[8], t[8], u[8];
			for (int i = 0; i < 8; i++)
				r[i] = rp[i] ? _mm256_loadu_si256((const __m256i *)(rp[i] + 32 * b))
					     : _mm256_setzero_si256();
			for (int i = 0; i < 8; i += 2) {
				t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
				t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
			}
			for (int q = 0; q < 8; q += 4) {
				u[q] = _mm256_unpacklo_epi64(t[q], t[q + 2]);
				u[q + 1] = _mm256_unpackhi_epi64(t[q], t[q + 2]);
				u[q + 2] = _mm256_unpacklo_epi64(t[q + 1], t[q + 3]);
				u[q + 3] = _mm256_unpackhi_epi64(t[q + 1], t[q + 3]);
			}
			for (int d = 0; d < 8; d++) {
				/* dword d of rows 0-3 sits in lane d / 4 of u[d % 4], of rows 4-7
				 * in the same lane of u[4 + d % 4] */
				__m256i v = d < 4 ? _mm256_permute2x128_si256(u[d], u[d + 4], 0x20)
						  : _mm256_permute2x128_si256(u[d - 4], u[d], 0x31);
				uint8_t *o = panel + (b * 32 + (size_t)d) * PANEL_LD + 32 * h;
				_mm256_store_si256((__m256i *)o,
						   _mm256_and_si256(_mm256_srli_epi32(v, 6), mask3));
				_mm256_store_si256((__m256i *)(o + 8 * PANEL_LD),
						   _mm256_and_si256(_mm256_srli_epi32(v, 4), mask3));
				_mm256_store_si256((__m256i *)(o + 16 * PANEL_LD),
						   _mm256_and_si256(_mm256_srli_epi32(v, 2), mask3));
				_mm256_store_si256((__m256i *)(o + 24 * PANEL_LD),
						   _mm256_and_si256(v, mask3));
			}
		}
	}
}

INLINE __m256i bcast4(const int8_t *p)
{
	int32_t v;
	memcpy(&v, p, sizeof(v));
	return _mm256_set1_epi32(v);
}

/* One mr x 16 tile: activation rows x[0..mr) against a panel over k4 column groups; the
 * first ncols panel rows are stored. Constant mr, so the accumulators live in registers. */
INLINE void panel_tile(int mr, int32_t *y, size_t ldy, const int8_t *x, size_t ldx,
		       const int32_t *rowsum, const uint8_t *panel, size_t k4, int ncols)
{
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i acc[4][2];
	for (int m = 0; m < mr; m++)
		acc[m][0] = acc[m][1] = _mm256_setzero_si256();
	for (size_t k0 = 0; k0 < k4; k0 += PANEL_WIDEN) {
		size_t k1 = k0 + PANEL_WIDEN < k4 ? k0 + PANEL_WIDEN : k4;
		__asm__ volatile("" : : "r"(acc) : "memory");
		__m256i a16[4][2];
		for (int m = 0; m < mr; m++)
			a16[m][0] = a16[m][1] = _mm256_setzero_si256();
		for (size_t kg = k0; kg < k1; kg++) {
			const __m256i c0 =
				_mm256_load_si256((const __m256i *)(panel + kg * PANEL_LD));
			const __m256i c1 =
				_mm256_load_si256((const __m256i *)(panel + kg * PANEL_LD + 32));
			for (int m = 0; m < mr; m++) {
				const __m256i xb = bcast4(x + m * ldx + 4 * kg);
				a16[m][0] =
					_mm256_add_epi16(a16[m][0], _mm256_maddubs_epi16(c0, xb));
				a16[m][1] =
					_mm256_add_epi16(a16[m][1], _mm256_maddubs_epi16(c1, xb));
			}
			for (int m = 0; m < mr; m++)
				__asm__("" : "+x"(a16[m][0]), "+x"(a16[m][1]));
		}
		for (int m = 0; m < mr; m++)
			for (int v = 0; v < 2; v++)
				acc[m][v] = _mm256_add_epi32(acc[m][v],
							     _mm256_madd_epi16(a16[m][v], ones));
	}
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256i keep0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols), lanes);
	const __m256i keep1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols - 8), lanes);
	for (int m = 0; m < mr; m++) {
		const __m256i rs = _mm256_set1_epi32(rowsum[m]);
		_mm256_maskstore_epi32(y + m * ldy, keep0, _mm256_sub_epi32(acc[m][0], rs));
		_mm256_maskstore_epi32(y + m * ldy + 8, keep1, _mm256_sub_epi32(acc[m][1], rs));
	}
}

static __attribute__((noinline)) void panel_tile_any(int mr, int32_t *y, size_t ldy,
						     const int8_t *x, size_t ldx,
						     const int32_t *rowsum, const uint8_t *panel,
						     size_t k4, int ncols)
{
	switch (mr) {
	case 4: panel_tile(4, y, ldy, x, ldx, rowsum, panel, k4, ncols); return;
	case 3: panel_tile(3, y, ldy, x, ldx, rowsum, panel, k4, ncols); return;
	case 2: panel_tile(2, y, ldy, x, ldx, rowsum, panel, k4, ncols); return;
	default: panel_tile(1, y, ldy, x, ldx, rowsum, panel, k4, ncols); return;
	}
}

static int avx2_gemm(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		     const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const size_t k4 = (size_t)w->k_pad / 4;
	const size_t ldx = (size_t)x->k_pad;
	uint8_t *panel = bn_scratch_get(s, (size_t)PANEL_ROWS * (size_t)w->k_pad);
	if (!panel)
		return BN_ENOMEM;
	for (int j = n0; j < n1; j += PANEL_ROWS) {
		int ncols = n1 - j < PANEL_ROWS ? n1 - j : PANEL_ROWS;
		decode_panel(panel, w, j, ncols);
		for (int i = 0; i < x->m; i += 4) {
			int mr = x->m - i < 4 ? x->m - i : 4;
			panel_tile_any(mr, y + (size_t)i * ldy + j, ldy, x->q + (size_t)i * ldx,
				       ldx, x->rowsum + i, panel, k4, ncols);
		}
	}
	return 0;
}

/* GEMV: four weight rows at a time share each activation load. With one activation row the
 * decode is the largest cost, so it takes one shift instead of three: with t = v >> 4
 * (16-bit lanes), runs 1 and 3 are t & 3 and v & 3, and runs 0 and 2 are taken unshifted
 * as t & 12 and v & 12, that is 4 * code, into an accumulator of four-fold sums. Pairs
 * there reach 2 * 12 * 128 = 3072, so that accumulator widens every 4 blocks. */
INLINE void gemv_rows(int nr, int32_t *y, const int8_t *x, int32_t rowsum, const uint8_t *w,
		      size_t ldw, int nblocks, int pf_ahead)
{
	const __m256i mask3 = _mm256_set1_epi8(3);
	const __m256i mask12 = _mm256_set1_epi8(12);
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i acc[4];
	for (int n = 0; n < nr; n++)
		acc[n] = _mm256_setzero_si256();
	for (int b0 = 0; b0 < nblocks; b0 += 4) {
		int b1 = b0 + 4 < nblocks ? b0 + 4 : nblocks;
		__m256i a1[4], a4[4];
		for (int n = 0; n < nr; n++)
			a1[n] = a4[n] = _mm256_setzero_si256();
		for (int b = b0; b < b1; b++) {
			/* These nr rows are one contiguous run of nr * ldw bytes, read as nr short
			 * interleaved streams that hardware prefetchers do not pick up: fetch the
			 * run ahead ourselves, at the rate it is consumed. */
			const char *pf = (const char *)w + pf_ahead + (size_t)b * nr * 32;
			for (int l = 0; l < nr * 32; l += 64)
				_mm_prefetch(pf + l, _MM_HINT_T0);
			const int8_t *xb = x + (size_t)b * 128;
			const __m256i x0 = _mm256_load_si256((const __m256i *)xb);
			const __m256i x1 = _mm256_load_si256((const __m256i *)(xb + 32));
			const __m256i x2 = _mm256_load_si256((const __m256i *)(xb + 64));
			const __m256i x3 = _mm256_load_si256((const __m256i *)(xb + 96));
			for (int n = 0; n < nr; n++) {
				__m256i v = _mm256_load_si256(
					(const __m256i *)(w + n * ldw + (size_t)b * 32));
				__m256i t = _mm256_srli_epi16(v, 4);
				__m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(t, mask12), x0);
				__m256i p1 = _mm256_maddubs_epi16(_mm256_and_si256(t, mask3), x1);
				__m256i p2 = _mm256_maddubs_epi16(_mm256_and_si256(v, mask12), x2);
				__m256i p3 = _mm256_maddubs_epi16(_mm256_and_si256(v, mask3), x3);
				a4[n] = _mm256_add_epi16(a4[n], _mm256_add_epi16(p0, p2));
				a1[n] = _mm256_add_epi16(a1[n], _mm256_add_epi16(p1, p3));
			}
		}
		/* a4 holds multiples of 4: the shift is exact. Both halves stay below
		 * 8 * 768 = 6144 in magnitude, so their int16 sum cannot overflow. */
		for (int n = 0; n < nr; n++)
			acc[n] = _mm256_add_epi32(
				acc[n],
				_mm256_madd_epi16(
					_mm256_add_epi16(a1[n], _mm256_srai_epi16(a4[n], 2)),
					ones));
	}
	for (int n = 0; n < nr; n++)
		y[n] = hsum_epi32(acc[n]) - rowsum;
}

static int avx2_gemv(int32_t *y, const struct bn_qact *x, const void *prep, const struct bn_tmat *w,
		     int n0, int n1, struct bn_scratch *s)
{
	const int nblocks = w->k_pad / BN_I2S_BLOCK;
	const int pf = bn_tune_get()->avx2_prefetch;
	int j = n0;
	for (; j + 4 <= n1; j += 4)
		gemv_rows(4, y + j, x->q, x->rowsum[0], w->codes + (size_t)j * w->row_bytes,
			  w->row_bytes, nblocks, pf);
	for (; j < n1; j++)
		gemv_rows(1, y + j, x->q, x->rowsum[0], w->codes + (size_t)j * w->row_bytes,
			  w->row_bytes, nblocks, pf);
	return 0;
}

/* Absmax quantization of one row, bit-identical to bn_ref_quant_row: max is exact in any
 * order, and each element is one multiply and one round-half-even, as in the scalar code. */
static int avx2_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad)
{
	const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 vmax = _mm256_setzero_ps();
	__m256 bad = _mm256_setzero_ps();
	const __m256 inf = _mm256_set1_ps(INFINITY);
	int c = 0;
	for (; c + 8 <= k; c += 8) {
		__m256 a = _mm256_and_ps(_mm256_loadu_ps(x + c), absmask);
		bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ)); /* NaN or inf */
		vmax = _mm256_max_ps(vmax, a);
	}
	if (_mm256_movemask_ps(bad))
		return 1;
	float lanes[8];
	_mm256_storeu_ps(lanes, vmax);
	float amax = 0.0f;
	for (int i = 0; i < 8; i++)
		amax = lanes[i] > amax ? lanes[i] : amax;
	for (int t = c; t < k; t++) {
		if (!isfinite(x[t]))
			return 1;
		float a = fabsf(x[t]);
		amax = a > amax ? a : amax;
	}
	const float sc = bn_act_scale(amax);
	const __m256 vs = _mm256_set1_ps(sc);
	const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-128.0f);
	__m256i vsum = _mm256_setzero_si256();
	c = 0;
	for (; c + 32 <= k; c += 32) {
		__m256i i32[4];
		for (int u = 0; u < 4; u++) {
			__m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + c + 8 * u), vs);
			v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
			v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
			i32[u] = _mm256_cvtps_epi32(v);
			vsum = _mm256_add_epi32(vsum, i32[u]);
		}
		/* packs works within 128-bit lanes: fix the order with one permute. */
		__m256i p16a = _mm256_packs_epi32(i32[0], i32[1]);
		__m256i p16b = _mm256_packs_epi32(i32[2], i32[3]);
		__m256i p8 = _mm256_packs_epi16(p16a, p16b);
		p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
		_mm256_storeu_si256((__m256i *)(q + c), p8);
	}
	int32_t total = hsum_epi32(vsum);
	for (; c < k; c++) {
		float v = nearbyintf(x[c] * sc);
		v = v > 127.0f ? 127.0f : (v < -128.0f ? -128.0f : v);
		q[c] = (int8_t)v;
		total += q[c];
	}
	memset(q + k, 0, (size_t)(k_pad - k));
	*scale = sc;
	*sum = total;
	return 0;
}

const struct bn_kernel_impl bn_kernel_avx2 = {
	.id = BN_KERNEL_AVX2,
	.name = "avx2",
	.n_align = PANEL_ROWS,
	.gemm = avx2_gemm,
	.gemv = avx2_gemv,
	.quant_row = avx2_quant_row,
	.quant_id = BN_KERNEL_AVX2,
	.dot_f16 = bn_f16c_dot_f16,
	.dot_f16_id = BN_KERNEL_AVX2,
	.dot_f16_needs = BN_CPU_FMA | BN_CPU_F16C,
};
