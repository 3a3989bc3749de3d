/* CPU feature detection, done once per process (CPUID + XGETBV, and for AMX the Linux
 * permission request for XTILEDATA). Kernels are chosen from these bits, never assumed. */
#ifndef BN_CPU_H
#define BN_CPU_H

enum bn_cpu_feature {
	BN_CPU_AVX2 = 1u << 0,    /* AVX2 with OS support for YMM state */
	BN_CPU_AVX512F = 1u << 1, /* AVX-512 F with OS support for ZMM/opmask state */
	BN_CPU_AVX512BW = 1u << 2,
	BN_CPU_AVX512VL = 1u << 3,
	BN_CPU_AVX512VNNI = 1u << 4,
	BN_CPU_AMX_TILE = 1u << 5, /* CPUID says AMX-TILE and XCR0 enables tile state */
	BN_CPU_AMX_INT8 = 1u << 6,
	BN_CPU_FMA = 1u << 7,
	BN_CPU_F16C = 1u << 8,
};

enum bn_cpu_vendor { BN_CPU_VENDOR_OTHER, BN_CPU_VENDOR_INTEL, BN_CPU_VENDOR_AMD };

struct bn_cpu {
	char model[64];        /* brand string from CPUID, trimmed */
	int vendor;            /* BN_CPU_VENDOR_* from CPUID leaf 0 */
	int family;            /* display family (base + extended), e.g. 0x19 Zen 3/4, 0x1a Zen 5 */
	int model_id;          /* display model (with the extended bits) */
	unsigned features;     /* BN_CPU_* bits */
	int amx_permitted;     /* 1: the kernel granted XTILEDATA to this process */
	char amx_refusal[128]; /* why AMX cannot be used when the CPU has it ("" otherwise) */
};

/* Detected once (thread-safe); borrowed, lives for the process. */
const struct bn_cpu *bn_cpu_get(void);

/* Feature names in /proc/cpuinfo spelling for the bits set, e.g. "avx2", "avx512_vnni",
 * "amx_int8"; writes up to max names and returns how many were set. */
int bn_cpu_feature_names(const char **names, int max);

#endif
