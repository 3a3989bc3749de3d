/* Strict mode: BITNET_STRICT_MODE=1 turns every fallback (ref forced where a SIMD kernel
 * exists, a kernel refused by the OS, any dequantize-to-float path, a GPU request served
 * on the CPU) into an error. Read once per process; nothing is checked on the hot path:
 * the dispatch swaps refusing entry points in when a context is created. */
#ifndef BN_STRICT_H
#define BN_STRICT_H

/* 1 when BITNET_STRICT_MODE is 1/true/yes/on, 0 when unset, empty or 0/false/no/off.
 * Any other value is an error: bn_strict_mode() returns -1 and bn_strict_env_error()
 * says which value was refused. Cached after the first call. */
int bn_strict_mode(void);
const char *bn_strict_env_error(void);

/* Sets the strict-mode error for a fallback and returns BN_ESTRICT. op: the operation
 * ("gemm"), shape: "MxNxK" or similar, asked: the kernel or path requested,
 * available: the one that would have served it. */
int bn_strict_refuse(const char *op, const char *shape, const char *asked, const char *available);

/* For any fallback site: returns 0 in default mode, or the refusal above in strict mode
 * (and BN_EINVAL when BITNET_STRICT_MODE holds an unusable value). */
int bn_strict_check_fallback(const char *op, const char *shape, const char *asked,
			     const char *available);

#endif
