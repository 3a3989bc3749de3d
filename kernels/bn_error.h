/* libbitnet errors: functions return 0 or a negative BN_E* code; the message, one line that
 * names the operation and the input, stays in thread-local state for bn_error_last(). */
#ifndef BN_ERROR_H
#define BN_ERROR_H

#ifdef __cplusplus
extern "C" { /* gpu/ calls these from CUDA C++ */
#endif

enum bn_error_code {
	BN_OK = 0,
	BN_EINVAL = -1,       /* bad argument or shape */
	BN_ENOMEM = -2,       /* allocation failed */
	BN_EUNSUPPORTED = -3, /* the kernel or feature is not available on this machine */
	BN_ESTRICT = -4,      /* refused by BITNET_STRICT_MODE */
	BN_EFORMAT = -5,      /* malformed data (invalid packed code, non-finite value) */
	BN_EIO = -6,          /* system call failed */
};

/* The message of the last error on this thread ("" if none). Borrowed; valid until the
 * next libbitnet call on this thread. */
const char *bn_error_last(void);

/* Sets the thread's message and returns code, so callers can `return bn_error_set(...)`. */
int bn_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void bn_error_clear(void);

#ifdef __cplusplus
}
#endif

#endif
