/* AMX kernels: ternary x int8 GEMM/GEMV on the int8 tile unit (tdpbssd); quantization is the
 * AVX-512 one, since AMX adds nothing there.
 *
 * A tile multiply C[m][n] += sum over k of A[m][k] * B[k/4][4n + k%4] takes A as plain
 * rows, so the activations are the A side and are read where they lie (16 rows x 64
 * columns per tile), and the weights are the B side in the VNNI layout (4 consecutive codes
 * of 16 weight rows per 64-byte tile row): exactly what bn_avx512_decode_vnni16 writes,
 * once per panel of 32 weight rows, into per-thread scratch. C then has activation rows as
 * rows and weight rows as columns, the layout of y, so results need no transpose. The
 * codes c = w + 1 (at most 3) are valid signed bytes, so tdpbssd computes sum(c * x) exactly
 * (int32, no saturation) and sum(w * x) = sum(c * x) - sum(x): each C tile starts from
 * -sum(x) of its rows (a tile the prep hook builds), so results go straight to y. */
#include <immintrin.h>
#include <string.h>

#include "../bn_dispatch.h"
#include "../bn_error.h"
#include "../kernels_int.h"

#define INLINE static inline __attribute__((always_inline))

#define TILE 16                /* rows (and int32 columns) of a tile */
#define PANEL_ROWS (2 * TILE)  /* weight rows decoded at once: two B tiles */
#define TILE_BYTES (TILE * 64) /* one 16 x 64-byte tile */

/* Tile numbers: the intrinsics paste them into the instruction, so they must be literals.
 * C[a][b] = activation group a x weight half b; A[a] = activations; B[b] = weights. */
#define C00 0
#define C01 1
#define C10 2
#define C11 3
#define A0 4
#define A1 5
#define B0 6
#define B1 7

/* The 64-byte LDTILECFG operand, palette 1. */
struct tile_config {
	uint8_t palette;
	uint8_t start_row;
	uint8_t reserved[14];
	uint16_t colsb[16]; /* bytes per row of each tile */
	uint8_t rows[16];
};
_Static_assert(sizeof(struct tile_config) == 64, "LDTILECFG reads 64 bytes");

/* The tile intrinsics are asm statements that do not tell the compiler they read memory
 * (ldtilecfg names only 8 of its 64 bytes): this keeps every store to p and to other
 * memory (the decoded panel, the config) ahead of the tile instructions after it. */
INLINE void keep_stores(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* gemm: every tile 16 x 64 bytes. gemv: one activation row, so A and C have one row and
 * the tile unit does 1/16 of the work of a full tile per weight panel. */
static void load_config(int act_rows)
{
	struct tile_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.palette = 1;
	for (int t = 0; t < 8; t++) {
		cfg.colsb[t] = 64;
		cfg.rows[t] = (t == B0 || t == B1) ? TILE : (uint8_t)act_rows;
	}
	keep_stores(&cfg);
	_tile_loadconfig(&cfg);
}

/* The prep buffer: the activation rows of the ragged last group, padded with zero rows to 16
 * so tile loads never read past x->q (zero activations add nothing; full groups are read
 * in place), then for each group of 16 rows a C tile holding -rowsum of each row in all 16
 * columns (0 for padding rows), which the accumulators start from. */
static size_t tail_bytes(int k_pad)
{
	return (size_t)TILE * (size_t)k_pad;
}

static size_t amx_prep_size(int m, int k_pad)
{
	return tail_bytes(k_pad) + (size_t)((m + TILE - 1) / TILE) * TILE_BYTES;
}

static void amx_prep(void *prep, const struct bn_qact *x)
{
	const int full = x->m / TILE * TILE;
	const size_t ld = (size_t)x->k_pad;
	if (full < x->m) {
		memcpy(prep, x->q + (size_t)full * ld, (size_t)(x->m - full) * ld);
		memset((int8_t *)prep + (size_t)(x->m - full) * ld, 0,
		       (size_t)(TILE - (x->m - full)) * ld);
	}
	int32_t *bias = (int32_t *)((uint8_t *)prep + tail_bytes(x->k_pad));
	for (int i = 0; i < (x->m + TILE - 1) / TILE * TILE; i++)
		_mm512_store_si512((__m512i *)(bias + 16 * (size_t)i),
				   _mm512_set1_epi32(i < x->m ? -x->rowsum[i] : 0));
}

/* C[r][c] for r < mrows, c < ncols to y (row stride ldy): a full tile (tile_rows rows as
 * configured, 16 columns) is stored in place, a ragged one through tmp so that nothing
 * outside those rows and columns is written. */
#define STORE_C(C, y, ldy, tmp, tile_rows, mrows, ncols)                                           \
	do {                                                                                       \
		if ((mrows) == (tile_rows) && (ncols) == TILE) {                                   \
			_tile_stored(C, y, (long)((ldy) * sizeof(int32_t)));                       \
		} else {                                                                           \
			_tile_stored(C, tmp, 64);                                                  \
			store_ragged(tmp, y, ldy, mrows, ncols);                                   \
		}                                                                                  \
	} while (0)

static void store_ragged(const int32_t *tmp, int32_t *y, size_t ldy, int mrows, int ncols)
{
	const __mmask16 cols = ncols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << ncols) - 1);
	for (int r = 0; r < mrows; r++)
		_mm512_mask_storeu_epi32(y + (size_t)r * ldy, cols,
					 _mm512_load_si512((const __m512i *)(tmp + 16 * r)));
}

/* One block of ng (1-2) activation groups x nh (1-2) weight halves over every 64-column
 * chunk, with constant ng/nh so the unused tiles fold away. a0/a1 point at the activation
 * groups (row stride lda), c0/c1 at their -rowsum tiles, b at the decoded panel (half h at
 * b + h * half_bytes). */
INLINE void block(int ng, int nh, const int8_t *a0, const int8_t *a1, size_t lda, const int32_t *c0,
		  const int32_t *c1, const uint8_t *b, size_t half_bytes, size_t nchunks)
{
	_tile_loadd(C00, c0, 64);
	if (nh == 2)
		_tile_loadd(C01, c0, 64);
	if (ng == 2) {
		_tile_loadd(C10, c1, 64);
		if (nh == 2)
			_tile_loadd(C11, c1, 64);
	}
	for (size_t t = 0; t < nchunks; t++) {
		_tile_loadd(B0, b + t * TILE_BYTES, 64);
		if (nh == 2)
			_tile_loadd(B1, b + half_bytes + t * TILE_BYTES, 64);
		_tile_loadd(A0, a0 + t * 64, lda);
		if (ng == 2)
			_tile_loadd(A1, a1 + t * 64, lda);
		_tile_dpbssd(C00, A0, B0);
		if (nh == 2)
			_tile_dpbssd(C01, A0, B1);
		if (ng == 2) {
			_tile_dpbssd(C10, A1, B0);
			if (nh == 2)
				_tile_dpbssd(C11, A1, B1);
		}
	}
}

static int amx_gemm(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		    const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const size_t lda = (size_t)x->k_pad;
	const size_t half_bytes = (size_t)TILE * (size_t)w->k_pad; /* one decoded B half */
	const size_t nchunks = (size_t)w->k_pad / 64;
	const int groups = (x->m + TILE - 1) / TILE;
	const int8_t *tail = prep;
	const int32_t *bias = (const int32_t *)((const uint8_t *)prep + tail_bytes(x->k_pad));
	uint8_t *panel = bn_scratch_get(s, 2 * half_bytes + TILE_BYTES);
	if (!panel)
		return BN_ENOMEM;
	int32_t *tmp = (int32_t *)(panel + 2 * half_bytes);
	load_config(TILE);
	for (int j = n0; j < n1; j += PANEL_ROWS) {
		const int ncols = n1 - j < PANEL_ROWS ? n1 - j : PANEL_ROWS;
		const int nh = ncols > TILE ? 2 : 1;
		const int nc1 = ncols - TILE; /* columns of the second half, when nh == 2 */
		keep_stores(panel);
		for (int h = 0; h < nh; h++)
			bn_avx512_decode_vnni16(panel + h * half_bytes, 64, w, j + TILE * h,
						h ? nc1 : (ncols < TILE ? ncols : TILE));
		keep_stores(panel);
		for (int g = 0; g < groups; g += 2) {
			const int ng = groups - g >= 2 ? 2 : 1;
			/* Only the last group can be ragged; it is read from the padded copy. */
			const int8_t *a0 =
				(g + 1) * TILE <= x->m ? x->q + (size_t)g * TILE * lda : tail;
			const int8_t *a1 =
				(g + 2) * TILE <= x->m ? x->q + (size_t)(g + 1) * TILE * lda : tail;
			const int32_t *c0 = bias + (size_t)g * TILE * 16;
			const int32_t *c1 = c0 + TILE * 16;
			if (ng == 2 && nh == 2)
				block(2, 2, a0, a1, lda, c0, c1, panel, half_bytes, nchunks);
			else if (ng == 2)
				block(2, 1, a0, a1, lda, c0, c1, panel, half_bytes, nchunks);
			else if (nh == 2)
				block(1, 2, a0, a1, lda, c0, c1, panel, half_bytes, nchunks);
			else
				block(1, 1, a0, a1, lda, c0, c1, panel, half_bytes, nchunks);
			const int i0 = g * TILE;
			const int m0 = x->m - i0 < TILE ? x->m - i0 : TILE;
			int32_t *y0 = y + (size_t)i0 * ldy + j;
			STORE_C(C00, y0, ldy, tmp, TILE, m0, nh == 2 ? TILE : ncols);
			if (nh == 2)
				STORE_C(C01, y0 + TILE, ldy, tmp, TILE, m0, nc1);
			if (ng == 2) {
				const int i1 = i0 + TILE;
				const int m1 = x->m - i1 < TILE ? x->m - i1 : TILE;
				int32_t *y1 = y + (size_t)i1 * ldy + j;
				STORE_C(C10, y1, ldy, tmp, TILE, m1, nh == 2 ? TILE : ncols);
				if (nh == 2)
					STORE_C(C11, y1 + TILE, ldy, tmp, TILE, m1, nc1);
			}
		}
	}
	_tile_release();
	return 0;
}

/* GEMV on the tiles: A and C are one row (the activation row and its 16 outputs per half,
 * C starting from -rowsum); the weight panel is decoded exactly as for GEMM. */
static int amx_gemv(int32_t *y, const struct bn_qact *x, const void *prep, const struct bn_tmat *w,
		    int n0, int n1, struct bn_scratch *s)
{
	const size_t half_bytes = (size_t)TILE * (size_t)w->k_pad;
	const size_t nchunks = (size_t)w->k_pad / 64;
	const int32_t *bias = (const int32_t *)((const uint8_t *)prep + tail_bytes(x->k_pad));
	uint8_t *panel = bn_scratch_get(s, 2 * half_bytes + TILE_BYTES);
	if (!panel)
		return BN_ENOMEM;
	int32_t *tmp = (int32_t *)(panel + 2 * half_bytes);
	load_config(1);
	for (int j = n0; j < n1; j += PANEL_ROWS) {
		const int ncols = n1 - j < PANEL_ROWS ? n1 - j : PANEL_ROWS;
		const int nh = ncols > TILE ? 2 : 1;
		const int nc1 = ncols - TILE;
		keep_stores(panel);
		for (int h = 0; h < nh; h++)
			bn_avx512_decode_vnni16(panel + h * half_bytes, 64, w, j + TILE * h,
						h ? nc1 : (ncols < TILE ? ncols : TILE));
		keep_stores(panel);
		/* With one row per A tile the stride is never used. */
		if (nh == 2)
			block(1, 2, x->q, x->q, 64, bias, bias, panel, half_bytes, nchunks);
		else
			block(1, 1, x->q, x->q, 64, bias, bias, panel, half_bytes, nchunks);
		STORE_C(C00, y + j, 0, tmp, 1, 1, nh == 2 ? TILE : ncols);
		if (nh == 2)
			STORE_C(C01, y + j + TILE, 0, tmp, 1, 1, nc1);
	}
	_tile_release();
	return 0;
}

const struct bn_kernel_impl bn_kernel_amx = {
	.id = BN_KERNEL_AMX,
	.name = "amx",
	.n_align = PANEL_ROWS,
	.prep_size = amx_prep_size,
	.prep = amx_prep,
	.gemm = amx_gemm,
	.gemv = amx_gemv,
	.quant_row = bn_avx512_quant_row,
	.quant_id = BN_KERNEL_AVX512,
	.dot_f16 = bn_avx512_dot_f16,
	.dot_f16_id = BN_KERNEL_AVX512,
};
