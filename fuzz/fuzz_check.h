/* What every harness in fuzz/ shares: a contract check that aborts (so libFuzzer keeps the
 * input as a crash) and a copy of the input with no byte after it, so a parser that reads
 * past the length it was given is caught by ASan. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken promise of the parser's header (nothing partially returned, an error with no
 * message): abort with the reason. */
#define FUZZ_CHECK(cond, what)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, (what));          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* size bytes of data in a buffer of exactly that size (malloc(1) for none). */
static inline char *fuzz_copy(const unsigned char *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	FUZZ_CHECK(p != NULL, "out of memory copying the input");
	if (size)
		memcpy(p, data, size);
	return p;
}

#endif
