/* The packed 2-bit format: bitnet.cpp's I2_S layout byte for byte, round trips, padding
 * and the errors for values and codes that are not ternary. */
#include <string.h>

#include "bn_error.h"
#include "bn_pack.h"
#include "tf.h"

static void random_ternary(int8_t *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		t[i] = (int8_t)((int)(tf_rand() % 3) - 1);
}

/* Fixture written from the layout rule, not from the packer: weight j of a block is in
 * byte j % 32 at bits 7-6, 5-4, 3-2, 1-0 for j / 32 = 0, 1, 2, 3; code = w + 1. */
TF_TEST(pack__i2s_layout_fixture)
{
	int8_t w[128] = {0};
	uint8_t out[32];
	TF_CHECK_EQ(bn_i2s_pack(out, w, 128), 0);
	for (int b = 0; b < 32; b++)
		TF_CHECK(out[b] == 0x55, "all-zero block byte %d is 0x%02x, want 0x55", b, out[b]);
	w[0] = 1;    /* byte 0, bits 7-6 = 10 */
	w[33] = -1;  /* byte 1, bits 5-4 = 00 */
	w[66] = 1;   /* byte 2, bits 3-2 = 10 */
	w[127] = -1; /* byte 31, bits 1-0 = 00 */
	TF_CHECK_EQ(bn_i2s_pack(out, w, 128), 0);
	TF_CHECK_EQ(out[0], 0x95);
	TF_CHECK_EQ(out[1], 0x45);
	TF_CHECK_EQ(out[2], 0x59);
	TF_CHECK_EQ(out[31], 0x54);
	TF_CHECK_EQ(out[3], 0x55);
}

TF_TEST(pack__flat_roundtrip)
{
	size_t n = 128 * 37;
	int8_t *t = malloc(n), *back = malloc(n);
	uint8_t *p = malloc(n / 4);
	random_ternary(t, n);
	TF_CHECK_EQ(bn_i2s_pack(p, t, n), 0);
	TF_CHECK_EQ(bn_i2s_unpack(back, p, n), 0);
	TF_CHECK(memcmp(t, back, n) == 0, "flat I2_S round trip differs");
	free(t);
	free(back);
	free(p);
}

TF_TEST(pack__matrix_roundtrip_shapes)
{
	static const int shapes[][2] = {{1, 1},   {1, 127}, {3, 128},   {5, 129}, {17, 255},
					{2, 256}, {7, 300}, {64, 2560}, {3, 6912}};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int n = shapes[s][0], k = shapes[s][1];
		struct bn_tmat *w;
		int8_t *t = malloc((size_t)n * k), *back = malloc((size_t)n * k);
		random_ternary(t, (size_t)n * k);
		TF_CHECK_EQ(bn_tmat_new(&w, n, k), 0);
		TF_CHECK_EQ(w->k_pad % BN_I2S_BLOCK, 0);
		TF_CHECK(w->k_pad >= k && w->k_pad - k < BN_I2S_BLOCK, "k_pad %d for k %d",
			 w->k_pad, k);
		TF_CHECK_EQ(w->row_bytes, (size_t)w->k_pad / 4);
		TF_CHECK_EQ(bn_tmat_pack(w, t, 0.75f), 0);
		TF_CHECK_EQ(bn_tmat_validate(w), 0);
		TF_CHECK_EQ(bn_tmat_unpack(back, w), 0);
		TF_CHECK(memcmp(t, back, (size_t)n * k) == 0, "round trip differs for %dx%d", n, k);
		TF_CHECK(w->scale == 0.75f, "scale not kept");
		bn_tmat_free(w);
		free(t);
		free(back);
	}
}

/* With k a multiple of 128 the matrix is the flat I2_S packing of the whole tensor. */
TF_TEST(pack__matrix_is_flat_i2s)
{
	int n = 6, k = 384;
	int8_t *t = malloc((size_t)n * k);
	uint8_t *flat = malloc((size_t)n * k / 4);
	random_ternary(t, (size_t)n * k);
	struct bn_tmat *w;
	TF_CHECK_EQ(bn_tmat_new(&w, n, k), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 1.0f), 0);
	TF_CHECK_EQ(bn_i2s_pack(flat, t, (size_t)n * k), 0);
	TF_CHECK(memcmp(flat, w->codes, (size_t)n * k / 4) == 0,
		 "matrix rows differ from flat I2_S");
	bn_tmat_free(w);
	free(t);
	free(flat);
}

TF_TEST(pack__padding_is_zero_weight)
{
	struct bn_tmat *w;
	int8_t t[130];
	for (int i = 0; i < 130; i++)
		t[i] = -1;
	TF_CHECK_EQ(bn_tmat_new(&w, 1, 130), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 1.0f), 0);
	TF_CHECK_EQ(w->k_pad, 256);
	/* Block 1 holds weights 128, 129 (-1, code 0) then padding (code 1). */
	const uint8_t *b1 = w->codes + 32;
	TF_CHECK_EQ(b1[0], 0x15);
	TF_CHECK_EQ(b1[1], 0x15);
	TF_CHECK_EQ(b1[2], 0x55);
	bn_tmat_free(w);
}

TF_TEST(pack__rejects_non_ternary)
{
	struct bn_tmat *w;
	int8_t t[2 * 5] = {0, 1, -1, 0, 1, 0, 0, 2, 0, 0};
	TF_CHECK_EQ(bn_tmat_new(&w, 2, 5), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 1.0f), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "row 1, column 2"), "message: %s", bn_error_last());
	TF_CHECK_EQ(w->codes[0], 0x55); /* left unchanged */
	int8_t flat[128] = {0};
	flat[100] = -3;
	uint8_t out[32];
	TF_CHECK_EQ(bn_i2s_pack(out, flat, 128), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "index 100"), "message: %s", bn_error_last());
	TF_CHECK_EQ(bn_i2s_pack(out, flat, 100), BN_EINVAL);
	bn_tmat_free(w);
}

TF_TEST(pack__rejects_code_3)
{
	uint8_t p[32];
	int8_t out[128];
	memset(p, 0x55, sizeof(p));
	p[5] = 0x57; /* byte 5 bits 1-0 = 11: weight 96 + 5 */
	TF_CHECK_EQ(bn_i2s_unpack(out, p, 128), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "index 101"), "message: %s", bn_error_last());
	struct bn_tmat *w;
	TF_CHECK_EQ(bn_tmat_new(&w, 2, 40), 0);
	w->codes[32 + 1] = 0xd5; /* row 1, byte 1, bits 7-6 = 11: column 1 */
	int8_t t[80];
	TF_CHECK_EQ(bn_tmat_unpack(t, w), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "row 1, column 1"), "message: %s", bn_error_last());
	TF_CHECK_EQ(bn_tmat_validate(w), BN_EFORMAT);
	w->codes[32 + 1] = 0x55;
	w->codes[32 + 20] = 0x56; /* padding column 96 + 20 set to code 2 */
	TF_CHECK_EQ(bn_tmat_validate(w), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "padding"), "message: %s", bn_error_last());
	bn_tmat_free(w);
}

TF_TEST(pack__rejects_bad_shapes)
{
	struct bn_tmat *w = (void *)1;
	TF_CHECK_EQ(bn_tmat_new(&w, 0, 10), BN_EINVAL);
	TF_CHECK(w == NULL, "out not cleared");
	TF_CHECK_EQ(bn_tmat_new(&w, 10, 0), BN_EINVAL);
	TF_CHECK_EQ(bn_tmat_new(&w, 1, BN_MAX_K + 1), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "columns"), "message: %s", bn_error_last());
	TF_CHECK_EQ(bn_i2s_k_pad(0), 0);
	TF_CHECK_EQ(bn_i2s_k_pad(1), 128);
	TF_CHECK_EQ(bn_i2s_k_pad(2560), 2560);
}

TF_TEST(pack__dequantize_default_mode)
{
	struct bn_tmat *w;
	int8_t t[3] = {-1, 0, 1};
	float f[3];
	TF_CHECK_EQ(bn_tmat_new(&w, 1, 3), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 0.5f), 0);
	TF_CHECK_EQ(bn_tmat_dequantize(f, w), 0);
	TF_CHECK(f[0] == -0.5f && f[1] == 0.0f && f[2] == 0.5f, "dequantized %g %g %g", f[0], f[1],
		 f[2]);
	bn_tmat_free(w);
}
