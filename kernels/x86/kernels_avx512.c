/* AVX-512 VNNI kernels: ternary x int8 GEMM/GEMV with vpdpbusd, and absmax int8 quantization.
 * Also exports the weight decoder (I2_S to the VNNI code layout) and quant_row that the AMX
 * kernel set reuses.
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes and adds each group of four products
 * straight into an int32 lane, without saturation, so the codes c = w + 1 in {0, 1, 2} (3
 * for an invalid code) go in as the unsigned side, the activations as the signed side, and
 * sum(w * x) = sum(c * x) - sum(x): exact, equal to the reference for every input.
 *
 * GEMM works in the VNNI layout: each 64-byte vector holds 4 consecutive codes of 16
 * weight rows, and one activation dword (4 consecutive x) is broadcast to every lane, so
 * each lane accumulates one output and no horizontal sums are needed. A panel of weight
 * rows is decoded into that layout once (gather + shift + mask) and then reused by every
 * activation row. GEMV has no such reuse, so it decodes each I2_S run in registers. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "../bn_dispatch.h"
#include "../bn_error.h"
#include "../kernels_int.h"
#include "dot_f16_order.h"

#define INLINE static inline __attribute__((always_inline))

/* GEMM register tile: MR activation rows x NV vectors of 16 weight rows, MR * NV = 24
 * accumulators plus NV code vectors and one broadcast in the 32 zmm registers. */
#define MR 8
#define NV 3
#define PANEL_ROWS (16 * NV) /* weight rows decoded at once */
#define PANEL_LD (64 * NV)   /* bytes per group of 4 columns in a decoded panel */

#define GEMV_ROWS 8 /* weight rows sharing each activation load in GEMV */
#define DOT_ROWS 4  /* lm_head rows sharing each load of x */

/* The 4 activations at p as one dword in every lane (memcpy: x is int8, not int32). */
INLINE __m512i bcast4(const int8_t *p)
{
	int32_t v;
	memcpy(&v, p, sizeof(v));
	return _mm512_set1_epi32(v);
}

/* Lanes below n, for any n: none when n <= 0, all when n >= 16. */
INLINE __mmask16 lanes_below(int n)
{
	return n <= 0 ? 0 : n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

/* r[j] becomes dword j of the 16 rows r[0..15] (a 16 x 16 transpose of dwords): within each
 * 128-bit lane, two unpack stages gather rows 4q..4q+3 of one dword position; two stages of
 * 128-bit lane shuffles then put the four row quads of each dword side by side. */
INLINE void transpose16x16_epi32(__m512i r[16])
{
	__m512i t[16], u[16];
	for (int q = 0; q < 4; q++) {
		t[4 * q + 0] = _mm512_unpacklo_epi32(r[4 * q], r[4 * q + 1]);
		t[4 * q + 1] = _mm512_unpackhi_epi32(r[4 * q], r[4 * q + 1]);
		t[4 * q + 2] = _mm512_unpacklo_epi32(r[4 * q + 2], r[4 * q + 3]);
		t[4 * q + 3] = _mm512_unpackhi_epi32(r[4 * q + 2], r[4 * q + 3]);
	}
	/* u[4c + q]: lane L holds rows 4q..4q+3 of dword 4L + c */
	for (int q = 0; q < 4; q++) {
		u[0 + q] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
		u[4 + q] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
		u[8 + q] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
		u[12 + q] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
	}
	for (int c = 0; c < 4; c++) {
		const __m512i *v = &u[4 * c];
		__m512i v01lo = _mm512_shuffle_i32x4(v[0], v[1], 0x44);
		__m512i v01hi = _mm512_shuffle_i32x4(v[0], v[1], 0xee);
		__m512i v23lo = _mm512_shuffle_i32x4(v[2], v[3], 0x44);
		__m512i v23hi = _mm512_shuffle_i32x4(v[2], v[3], 0xee);
		r[0 + c] = _mm512_shuffle_i32x4(v01lo, v23lo, 0x88);
		r[4 + c] = _mm512_shuffle_i32x4(v01lo, v23lo, 0xdd);
		r[8 + c] = _mm512_shuffle_i32x4(v01hi, v23hi, 0x88);
		r[12 + c] = _mm512_shuffle_i32x4(v01hi, v23hi, 0xdd);
	}
}

/* Decodes weight rows j0 .. j0 + rows - 1 (rows <= 16) of w into the VNNI layout: for each
 * group of 4 columns kg (columns 4kg .. 4kg + 3), 64 bytes at dst + kg * ld holding 4 codes
 * (one byte each, in column order) for each of the 16 rows; rows past `rows` get code 0 so
 * they add nothing, and are never read.
 *
 * Packed dword d of a row holds bytes 4(d%8) .. +3 of block d/8, that is columns
 * 128(d/8) + 32g + 4(d%8) + i of run g at bits 7-2g .. 6-2g of byte i. Sixteen dwords of the
 * 16 rows are loaded as 16 vectors and transposed, which gives dword d of every row in one
 * vector (what a gather would, without its cost: the gather was most of the decode), and one
 * shift + mask per run gives four 64-byte VNNI groups. */
void bn_avx512_decode_vnni16(uint8_t *dst, size_t ld, const struct bn_tmat *w, int j0, int rows)
{
	const uint8_t *base = w->codes + (size_t)j0 * w->row_bytes;
	const __m512i mask3 = _mm512_set1_epi8(3);
	const size_t ndw = w->row_bytes / 4;
	for (size_t d0 = 0; d0 < ndw; d0 += 16) {
		const int nd = ndw - d0 < 16 ? (int)(ndw - d0) : 16;
		const __mmask16 cols = lanes_below(nd);
		__m512i r[16];
		for (int i = 0; i < 16; i++)
			r[i] = i < rows ? _mm512_maskz_loadu_epi32(
						  cols, base + (size_t)i * w->row_bytes + 4 * d0)
					: _mm512_setzero_si512();
		transpose16x16_epi32(r);
		for (int j = 0; j < nd; j++) {
			const size_t d = d0 + (size_t)j;
			uint8_t *o = dst + ((d >> 3) * 32 + (d & 7)) * ld;
			const __m512i v = r[j];
			_mm512_store_si512((__m512i *)o,
					   _mm512_and_si512(_mm512_srli_epi32(v, 6), mask3));
			_mm512_store_si512((__m512i *)(o + 8 * ld),
					   _mm512_and_si512(_mm512_srli_epi32(v, 4), mask3));
			_mm512_store_si512((__m512i *)(o + 16 * ld),
					   _mm512_and_si512(_mm512_srli_epi32(v, 2), mask3));
			_mm512_store_si512((__m512i *)(o + 24 * ld), _mm512_and_si512(v, mask3));
		}
	}
}

/* *acc += vpdpbusd(u, s), as asm: with the intrinsic, GCC 12 copies each accumulator to a
 * spare register and back around every vpdpbusd of the tile (and spills some) once the
 * loop's results feed the rowsum subtraction; a "+v" operand keeps it in one register. */
INLINE void dpbusd_acc(__m512i *acc, __m512i u, __m512i s)
{
	__asm__("vpdpbusd {%2, %1, %0|%0, %1, %2}" : "+v"(*acc) : "v"(u), "v"(s));
}

/* The tile's accumulators are named variables, not an array: GCC keeps an array of 24 zmm
 * in memory and round-trips it through the stack every step; named ones stay in registers.
 * Row m of the tile uses acc m0 .. m2 (weight rows 0-15, 16-31, 32-47 of the panel). */
#define TILE_ACC(m)                                                                                \
	__m512i acc##m##0 = _mm512_setzero_si512(), acc##m##1 = _mm512_setzero_si512(),            \
		acc##m##2 = _mm512_setzero_si512();                                                \
	const int8_t *x##m = x + (size_t)(mr > m ? m : 0) * ldx
#define TILE_STEP(m)                                                                               \
	if (mr > m) {                                                                              \
		__m512i xb = bcast4(x##m + 4 * kg);                                                \
		dpbusd_acc(&acc##m##0, c0, xb);                                                    \
		if (nv > 1)                                                                        \
			dpbusd_acc(&acc##m##1, c1, xb);                                            \
		if (nv > 2)                                                                        \
			dpbusd_acc(&acc##m##2, c2, xb);                                            \
	}
#define TILE_STORE(m)                                                                              \
	if (mr > m) {                                                                              \
		__m512i rs = _mm512_set1_epi32(rowsum[m]);                                         \
		int32_t *yr = y + (size_t)m * ldy;                                                 \
		_mm512_mask_storeu_epi32(yr, k0, _mm512_sub_epi32(acc##m##0, rs));                 \
		if (nv > 1)                                                                        \
			_mm512_mask_storeu_epi32(yr + 16, k1, _mm512_sub_epi32(acc##m##1, rs));    \
		if (nv > 2)                                                                        \
			_mm512_mask_storeu_epi32(yr + 32, k2, _mm512_sub_epi32(acc##m##2, rs));    \
	}

/* One mr x (16 nv) tile of y: activation rows x[0..mr) against a decoded panel, all k4
 * groups of 4 columns; the first ncols (<= 16 nv) panel rows are real and stored. Called
 * with constant mr/nv, so the unused accumulators and branches fold away. */
INLINE void tile(int mr, int nv, int32_t *y, size_t ldy, const int8_t *x, size_t ldx,
		 const int32_t *rowsum, const uint8_t *panel, size_t k4, int ncols)
{
	_Static_assert(MR == 8 && NV == 3, "tile() names MR x NV accumulators");
	TILE_ACC(0);
	TILE_ACC(1);
	TILE_ACC(2);
	TILE_ACC(3);
	TILE_ACC(4);
	TILE_ACC(5);
	TILE_ACC(6);
	TILE_ACC(7);
	for (size_t kg = 0; kg < k4; kg++) {
		const uint8_t *cp = panel + kg * PANEL_LD;
		__m512i c0 = _mm512_load_si512((const __m512i *)cp);
		__m512i c1 = nv > 1 ? _mm512_load_si512((const __m512i *)(cp + 64))
				    : _mm512_setzero_si512();
		__m512i c2 = nv > 2 ? _mm512_load_si512((const __m512i *)(cp + 128))
				    : _mm512_setzero_si512();
		TILE_STEP(0)
		TILE_STEP(1)
		TILE_STEP(2)
		TILE_STEP(3)
		TILE_STEP(4)
		TILE_STEP(5)
		TILE_STEP(6)
		TILE_STEP(7)
	}
	const __mmask16 k0 = lanes_below(ncols), k1 = lanes_below(ncols - 16),
			k2 = lanes_below(ncols - 32);
	TILE_STORE(0)
	TILE_STORE(1)
	TILE_STORE(2)
	TILE_STORE(3)
	TILE_STORE(4)
	TILE_STORE(5)
	TILE_STORE(6)
	TILE_STORE(7)
}
#undef TILE_ACC
#undef TILE_STEP
#undef TILE_STORE

/* One out-of-line copy per tile size: each then gets the register allocator to itself
 * (inlined side by side into one function, GCC spills the accumulators inside the loop). */
#define TILE_FN(M, N)                                                                              \
	static __attribute__((noinline)) void tile_##M##x##N(                                      \
		int32_t *y, size_t ldy, const int8_t *x, size_t ldx, const int32_t *rowsum,        \
		const uint8_t *panel, size_t k4, int ncols)                                        \
	{                                                                                          \
		tile(M, N, y, ldy, x, ldx, rowsum, panel, k4, ncols);                              \
	}
#define TILE_FNS(N)                                                                                \
	TILE_FN(1, N)                                                                              \
	TILE_FN(2, N)                                                                              \
	TILE_FN(3, N)                                                                              \
	TILE_FN(4, N)                                                                              \
	TILE_FN(5, N)                                                                              \
	TILE_FN(6, N)                                                                              \
	TILE_FN(7, N)                                                                              \
	TILE_FN(8, N)
TILE_FNS(1)
TILE_FNS(2)
TILE_FNS(3)

typedef void (*tile_fn)(int32_t *, size_t, const int8_t *, size_t, const int32_t *, const uint8_t *,
			size_t, int);

/* tiles[nv - 1][mr - 1]: every tile size up to MR x NV. */
static const tile_fn tiles[NV][MR] = {
#define TILE_ROW(N)                                                                                \
	{                                                                                          \
		tile_1x##N, tile_2x##N, tile_3x##N, tile_4x##N, tile_5x##N, tile_6x##N,            \
			tile_7x##N, tile_8x##N                                                     \
	}
	TILE_ROW(1),
	TILE_ROW(2),
	TILE_ROW(3),
#undef TILE_ROW
};
#undef TILE_FNS
#undef TILE_FN

static int avx512_gemm(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		       const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const size_t k4 = (size_t)w->k_pad / 4;
	const size_t ldx = (size_t)x->k_pad;
	uint8_t *panel = bn_scratch_get(s, (size_t)PANEL_ROWS * (size_t)w->k_pad);
	if (!panel)
		return BN_ENOMEM;
	for (int j = n0; j < n1; j += PANEL_ROWS) {
		int ncols = n1 - j < PANEL_ROWS ? n1 - j : PANEL_ROWS;
		int nv = (ncols + 15) / 16;
		for (int v = 0; v < nv; v++)
			bn_avx512_decode_vnni16(panel + 64 * v, PANEL_LD, w, j + 16 * v,
						ncols - 16 * v < 16 ? ncols - 16 * v : 16);
		/* The panel (PANEL_ROWS * k_pad bytes) stays in cache while every activation
		 * row streams past it. */
		for (int i = 0; i < x->m; i += MR) {
			int mr = x->m - i < MR ? x->m - i : MR;
			tiles[nv - 1][mr - 1](y + (size_t)i * ldy + j, ldy, x->q + (size_t)i * ldx,
					      ldx, x->rowsum + i, panel, k4, ncols);
		}
	}
	return 0;
}

/* Codes of run g of both 32-byte blocks in v: bits 7-2g .. 6-2g of each byte. */
INLINE __m512i run_codes(__m512i v, int g, __m512i mask3)
{
	switch (g) {
	case 0: return _mm512_and_si512(_mm512_srli_epi16(v, 6), mask3);
	case 1: return _mm512_and_si512(_mm512_srli_epi16(v, 4), mask3);
	case 2: return _mm512_and_si512(_mm512_srli_epi16(v, 2), mask3);
	default: return _mm512_and_si512(v, mask3);
	}
}

/* GEMV over nr weight rows (constant): a 64-byte load covers blocks b and b + 1, so run g
 * of it pairs with x[128b + 32g ..] in the low half and x[128(b+1) + 32g ..] in the high
 * half; that activation vector is built once per run and shared by the nr rows. An odd last
 * block is loaded into the low half with zeros above (zero codes add nothing). */
#define GEMV_ROW(n, load_w)                                                                        \
	if (nr > n) {                                                                              \
		const uint8_t *wp = w + (size_t)n * ldw + (size_t)b * BN_I2S_BLOCK_BYTES;          \
		__m512i wv = load_w(wp);                                                           \
		for (int g = 0; g < 4; g++)                                                        \
			dpbusd_acc(&acc##n, run_codes(wv, g, mask3), xv[g]);                       \
	}
#define GEMV_STEP(load_w)                                                                          \
	GEMV_ROW(0, load_w)                                                                        \
	GEMV_ROW(1, load_w)                                                                        \
	GEMV_ROW(2, load_w)                                                                        \
	GEMV_ROW(3, load_w)                                                                        \
	GEMV_ROW(4, load_w)                                                                        \
	GEMV_ROW(5, load_w)                                                                        \
	GEMV_ROW(6, load_w)                                                                        \
	GEMV_ROW(7, load_w)

/* The nr rows are one contiguous run of nr * ldw bytes read as nr short interleaved
 * streams, which hardware prefetchers follow badly: each step consumes 64 bytes of every
 * row, so nr lines of the run are fetched pf bytes ahead of where the step is on average. */
INLINE void prefetch_run(const uint8_t *w, int nr, size_t consumed, int pf)
{
	const char *p = (const char *)w + pf + consumed;
	for (int l = 0; l < nr; l++)
		_mm_prefetch(p + 64 * l, _MM_HINT_T0);
}

/* Two blocks of weights, or one block with zeros above. */
INLINE __m512i load_w2(const uint8_t *p)
{
	return _mm512_loadu_si512((const void *)p);
}
INLINE __m512i load_w1(const uint8_t *p)
{
	return _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)p));
}

INLINE void gemv_rows(int nr, int32_t *y, const int8_t *x, int32_t rowsum, const uint8_t *w,
		      size_t ldw, int nblocks, int pf)
{
	_Static_assert(GEMV_ROWS == 8, "gemv_rows() names GEMV_ROWS accumulators");
	const __m512i mask3 = _mm512_set1_epi8(3);
	__m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0, acc4 = acc0,
		acc5 = acc0, acc6 = acc0, acc7 = acc0;
	int b = 0;
	for (; b + 2 <= nblocks; b += 2) {
		const int8_t *xb = x + (size_t)b * BN_I2S_BLOCK;
		__m512i xv[4];
		for (int g = 0; g < 4; g++)
			xv[g] = _mm512_inserti64x4(
				_mm512_castsi256_si512(
					_mm256_loadu_si256((const __m256i *)(xb + 32 * g))),
				_mm256_loadu_si256((const __m256i *)(xb + 128 + 32 * g)), 1);
		if (pf)
			prefetch_run(w, nr, (size_t)b * (size_t)nr * BN_I2S_BLOCK_BYTES, pf);
		GEMV_STEP(load_w2)
	}
	if (b < nblocks) {
		const int8_t *xb = x + (size_t)b * BN_I2S_BLOCK;
		__m512i xv[4];
		for (int g = 0; g < 4; g++)
			xv[g] = _mm512_zextsi256_si512(
				_mm256_loadu_si256((const __m256i *)(xb + 32 * g)));
		GEMV_STEP(load_w1)
	}
	const __m512i sums[GEMV_ROWS] = {acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7};
	for (int n = 0; n < nr; n++)
		y[n] = _mm512_reduce_add_epi32(sums[n]) - rowsum;
}
#undef GEMV_STEP
#undef GEMV_ROW

static int avx512_gemv(int32_t *y, const struct bn_qact *x, const void *prep,
		       const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const int nblocks = w->k_pad / BN_I2S_BLOCK;
	const int32_t rs = x->rowsum[0];
	const int pf = bn_tune_get()->avx512_prefetch;
	int j = n0;
	for (; j + GEMV_ROWS <= n1; j += GEMV_ROWS)
		gemv_rows(GEMV_ROWS, y + j, x->q, rs, w->codes + (size_t)j * w->row_bytes,
			  w->row_bytes, nblocks, pf);
	const uint8_t *wr = w->codes + (size_t)j * w->row_bytes;
	_Static_assert(GEMV_ROWS == 8, "the remainder switch lists every row count");
	switch (n1 - j) {
	case 7: gemv_rows(7, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 6: gemv_rows(6, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 5: gemv_rows(5, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 4: gemv_rows(4, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 3: gemv_rows(3, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 2: gemv_rows(2, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	case 1: gemv_rows(1, y + j, x->q, rs, wr, w->row_bytes, nblocks, 0); break;
	default: break;
	}
	return 0;
}

/* Absmax quantization of one row, bit-identical to bn_ref_quant_row: max is exact in any
 * order, and each element is one float multiply and one round-half-even (roundscale with
 * the rounding in the immediate), as in the scalar code. The tail uses masked loads, which
 * read zeros past k: they neither raise the max nor add to the sum. */
int bn_avx512_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad)
{
	const __m512 inf = _mm512_set1_ps(INFINITY);
	__m512 vmax = _mm512_setzero_ps();
	__mmask16 bad = 0;
	int c = 0;
	for (; c + 16 <= k; c += 16) {
		__m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + c));
		bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ); /* NaN or inf */
		vmax = _mm512_max_ps(vmax, a);
	}
	if (c < k) {
		__m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes_below(k - c), x + c));
		bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);
		vmax = _mm512_max_ps(vmax, a);
	}
	if (bad)
		return 1;
	const float sc = bn_act_scale(_mm512_reduce_max_ps(vmax));
	const __m512 vs = _mm512_set1_ps(sc);
	const __m512 hi = _mm512_set1_ps(127.0f), lo = _mm512_set1_ps(-128.0f);
	__m512i vsum = _mm512_setzero_si512();
	for (c = 0; c < k; c += 16) {
		__mmask16 live = lanes_below(k - c);
		__m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(live, x + c), vs);
		v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
		v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
		__m512i i32 = _mm512_cvtps_epi32(v);
		vsum = _mm512_add_epi32(vsum, i32);
		_mm512_mask_cvtsepi32_storeu_epi8(q + c, live, i32);
	}
	memset(q + k, 0, (size_t)(k_pad - k));
	*scale = sc;
	*sum = _mm512_reduce_add_epi32(vsum);
	return 0;
}

/* Lanes 8-15 (AVX-512F only: extractf32x8 would need DQ, which the dispatch does not ask). */
INLINE __m256 upper8(__m512 v)
{
	return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* The lm_head rows, each in exactly the order of bn_ref_dot_f16: a zmm holds two of its
 * 8-lane accumulators side by side (a0 | a1 and a2 | a3), so a 16-half load converted and
 * multiplied into it does per lane what the scalar and F16C code do. nr (constant) rows
 * share each load of x; they are one contiguous run, prefetched pf bytes ahead. */
INLINE void dot_f16_rows(int nr, float *y, const uint16_t *e, const float *x, int k, int pf)
{
	__m512 lo[DOT_ROWS], hi[DOT_ROWS];
	for (int r = 0; r < nr; r++)
		lo[r] = hi[r] = _mm512_setzero_ps();
	for (int i = 0; i < k; i += 32) {
		if (pf)
			prefetch_run((const uint8_t *)e, nr, (size_t)i * 2 * (size_t)nr, pf);
		const __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
		for (int r = 0; r < nr; r++) {
			const uint16_t *er = e + (size_t)r * (size_t)k + i;
			lo[r] = _mm512_fmadd_ps(
				_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)er)), x0,
				lo[r]);
			hi[r] = _mm512_fmadd_ps(
				_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(er + 16))), x1,
				hi[r]);
		}
	}
	for (int r = 0; r < nr; r++)
		y[r] = bn_dot_f16_finish(_mm512_castps512_ps256(lo[r]), upper8(lo[r]),
					 _mm512_castps512_ps256(hi[r]), upper8(hi[r]));
}

void bn_avx512_dot_f16(float *y, const uint16_t *e, const float *x, int k, int n0, int n1)
{
	const int pf = bn_tune_get()->avx512_prefetch;
	int j = n0;
	for (; j + DOT_ROWS <= n1; j += DOT_ROWS)
		dot_f16_rows(DOT_ROWS, y + (j - n0), e + (size_t)j * (size_t)k, x, k, pf);
	for (; j < n1; j++)
		dot_f16_rows(1, y + (j - n0), e + (size_t)j * (size_t)k, x, k, 0);
}

const struct bn_kernel_impl bn_kernel_avx512 = {
	.id = BN_KERNEL_AVX512,
	.name = "avx512",
	.n_align = PANEL_ROWS,
	.gemm = avx512_gemm,
	.gemv = avx512_gemv,
	.quant_row = bn_avx512_quant_row,
	.quant_id = BN_KERNEL_AVX512,
	.dot_f16 = bn_avx512_dot_f16,
	.dot_f16_id = BN_KERNEL_AVX512,
};
