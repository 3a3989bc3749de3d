/* libbitnet's CUDA side: a C API over the kernels in gpu/ (built when CMake finds nvcc;
 * BITGATE_HAVE_CUDA is then defined for the programs that link it).
 *
 * Every function returns 0 or a negative BN_E* code (bn_error.h) with a message naming the
 * CUDA call and the runtime's text; nothing aborts. No device, no driver or a driver too
 * old for the runtime is BN_EUNSUPPORTED with the reason, so a caller can report "skipped"
 * rather than a number. */
#ifndef BN_CUDA_H
#define BN_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bn_cuda_device {
	int index;
	char name[256];
	int cc_major, cc_minor;  /* compute capability */
	int sm_count;            /* streaming multiprocessors */
	int clock_khz;           /* SM clock */
	int mem_clock_khz;       /* memory clock */
	int mem_bus_bits;        /* memory bus width */
	size_t mem_bytes;        /* global memory */
	int driver_version;      /* e.g. 13000 for 13.0 */
	int runtime_version;
};

/* Finds device 0 and fills d. BN_EUNSUPPORTED when there is no usable device (the message
 * says why: no driver, driver older than the runtime, no device, or a compute capability
 * these kernels were not built for). The first call does the work; later calls repeat its
 * answer. */
int bn_cuda_probe(struct bn_cuda_device *d);

/* The compute capabilities the kernels were built for, as text ("80 90"). */
const char *bn_cuda_built_for(void);

#ifdef __cplusplus
}
#endif

#endif
