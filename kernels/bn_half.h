/* IEEE 754 binary16 <-> binary32, round to nearest even, in plain C (no F16C needed). */
#ifndef BN_HALF_H
#define BN_HALF_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline float bn_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
	uint32_t bits;
	if (exp == 0x1F) {
		bits = sign | 0x7F800000u | (man << 13); /* inf, NaN */
	} else if (exp) {
		bits = sign | ((exp + 112) << 23) | (man << 13);
	} else if (man) { /* subnormal: normalise */
		int e = -1;
		do {
			e++;
			man <<= 1;
		} while (!(man & 0x400));
		bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FF) << 13);
	} else {
		bits = sign;
	}
	float f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

static inline uint16_t bn_f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, sizeof(x));
	uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xFF, man = x & 0x7FFFFF;
	if (exp == 0xFF) /* inf, NaN (kept quiet) */
		return (uint16_t)(sign | 0x7C00 | (man ? 0x200 | (man >> 13) : 0));
	int e = (int)exp - 127 + 15;
	if (e >= 0x1F)
		return (uint16_t)(sign | 0x7C00); /* overflow: infinity */
	if (e <= 0) {                             /* subnormal or zero */
		if (e < -10)
			return (uint16_t)sign;
		man |= 0x800000;
		int shift = 14 - e;
		uint32_t h = man >> shift, rest = man & ((1u << shift) - 1), half = 1u << (shift - 1);
		if (rest > half || (rest == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = ((uint32_t)e << 10) | (man >> 13), rest = man & 0x1FFF;
	if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
		h++; /* a carry into the exponent is right, up to infinity */
	return (uint16_t)(sign | h);
}

#ifdef __cplusplus
}
#endif

#endif
