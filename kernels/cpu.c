/* CPU feature detection with CPUID and XGETBV, once per process. AMX needs one more step on
 * Linux: the process must ask the kernel for the XTILEDATA state with arch_prctl before it
 * may touch tile registers; a refusal is recorded so the dispatch can fall back and say why. */
#include "bn_cpu.h"

#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static struct bn_cpu bn_cpu_info;
static pthread_once_t bn_cpu_once = PTHREAD_ONCE_INIT;

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void read_brand(char *out, size_t cap)
{
	unsigned r[12];
	char brand[49] = "";
	char *b = brand;
	if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) {
		for (unsigned i = 0; i < 3; i++)
			__get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2],
				    &r[4 * i + 3]);
		memcpy(brand, r, 48);
		brand[48] = '\0';
	}
	while (*b == ' ')
		b++;
	size_t len = strlen(b);
	while (len > 0 && b[len - 1] == ' ')
		b[--len] = '\0';
	snprintf(out, cap, "%s", len ? b : "unknown x86-64");
}

/* Vendor from leaf 0 and the display family and model from leaf 1 (Intel SDM vol. 2A,
 * CPUID: the extended fields count only for family 0xf, and the extended model for 6 too). */
static void read_identity(struct bn_cpu *c, unsigned leaf1_eax)
{
	unsigned a = 0, b = 0, cx = 0, d = 0;
	__get_cpuid(0, &a, &b, &cx, &d);
	if (b == 0x756e6547u && d == 0x49656e69u && cx == 0x6c65746eu) /* GenuineIntel */
		c->vendor = BN_CPU_VENDOR_INTEL;
	else if (b == 0x68747541u && d == 0x69746e65u && cx == 0x444d4163u) /* AuthenticAMD */
		c->vendor = BN_CPU_VENDOR_AMD;
	const int base = (int)((leaf1_eax >> 8) & 0xf);
	int family = base, model = (int)((leaf1_eax >> 4) & 0xf);
	if (base == 0xf)
		family += (int)((leaf1_eax >> 20) & 0xff);
	if (base == 0xf || base == 6)
		model |= (int)((leaf1_eax >> 16) & 0xf) << 4;
	c->family = family;
	c->model_id = model;
}

static void detect(void)
{
	struct bn_cpu *c = &bn_cpu_info;
	unsigned a, b, cx, d;
	read_brand(c->model, sizeof(c->model));
	if (!__get_cpuid(1, &a, &b, &cx, &d))
		return;
	read_identity(c, a);
	int osxsave = (cx >> 27) & 1;
	uint64_t xcr0 = osxsave ? xgetbv0() : 0;
	int os_ymm = (xcr0 & 0x6) == 0x6;
	int os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
	int os_tile = (xcr0 & 0x60000) == 0x60000;
	if (os_ymm && ((cx >> 12) & 1))
		c->features |= BN_CPU_FMA;
	if (os_ymm && ((cx >> 29) & 1))
		c->features |= BN_CPU_F16C;
	if (__get_cpuid_max(0, NULL) < 7)
		return;
	__cpuid_count(7, 0, a, b, cx, d);
	if (os_ymm && ((b >> 5) & 1))
		c->features |= BN_CPU_AVX2;
	if (os_zmm && ((b >> 16) & 1)) {
		c->features |= BN_CPU_AVX512F;
		if ((b >> 30) & 1)
			c->features |= BN_CPU_AVX512BW;
		if ((b >> 31) & 1)
			c->features |= BN_CPU_AVX512VL;
		if ((cx >> 11) & 1)
			c->features |= BN_CPU_AVX512VNNI;
	}
	if (os_tile && ((d >> 24) & 1))
		c->features |= BN_CPU_AMX_TILE;
	if (os_tile && ((d >> 25) & 1))
		c->features |= BN_CPU_AMX_INT8;
	if (c->features & BN_CPU_AMX_TILE) {
		if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0) {
			c->amx_permitted = 1;
		} else {
			int err = errno;
			snprintf(c->amx_refusal, sizeof(c->amx_refusal),
				 "the kernel refused XTILEDATA (arch_prctl: %s)", strerror(err));
		}
	}
}

const struct bn_cpu *bn_cpu_get(void)
{
	pthread_once(&bn_cpu_once, detect);
	return &bn_cpu_info;
}

int bn_cpu_feature_names(const char **names, int max)
{
	static const struct {
		unsigned bit;
		const char *name;
	} table[] = {
		{BN_CPU_AVX2, "avx2"},
		{BN_CPU_FMA, "fma"},
		{BN_CPU_F16C, "f16c"},
		{BN_CPU_AVX512F, "avx512f"},
		{BN_CPU_AVX512BW, "avx512bw"},
		{BN_CPU_AVX512VL, "avx512vl"},
		{BN_CPU_AVX512VNNI, "avx512_vnni"},
		{BN_CPU_AMX_TILE, "amx_tile"},
		{BN_CPU_AMX_INT8, "amx_int8"},
	};
	const struct bn_cpu *c = bn_cpu_get();
	int n = 0;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((c->features & table[i].bit) && n < max)
			names[n++] = table[i].name;
	return n;
}
