/* Device detection for the CUDA kernels (bn_cuda.h). */
#include <cuda_runtime.h>

#include <stdio.h>
#include <string.h>

#include "bn_cuda.h"
#include "bn_error.h"

#ifndef BN_CUDA_ARCHS
#define BN_CUDA_ARCHS "80 90"
#endif

/* The minimum compute capability any built architecture runs on (SASS for sm_XY runs on
 * X.Y and later of the same major; the PTX of the lowest one is compiled for newer). */
static const int bn_cuda_min_cc = 80;

const char *bn_cuda_built_for(void)
{
	return BN_CUDA_ARCHS;
}

static int probed;
static int probe_rc;
static char probe_msg[512];
static struct bn_cuda_device probe_dev;

static int probe_once(struct bn_cuda_device *d)
{
	memset(d, 0, sizeof(*d));
	cudaError_t e = cudaDriverGetVersion(&d->driver_version);
	if (e != cudaSuccess)
		return bn_error_set(BN_EUNSUPPORTED, "cudaDriverGetVersion: %s",
				    cudaGetErrorString(e));
	cudaRuntimeGetVersion(&d->runtime_version);
	if (d->driver_version == 0)
		return bn_error_set(BN_EUNSUPPORTED, "no NVIDIA driver is loaded (CUDA runtime %d.%d)",
				    d->runtime_version / 1000, d->runtime_version % 1000 / 10);
	int n = 0;
	e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess)
		return bn_error_set(BN_EUNSUPPORTED, "cudaGetDeviceCount: %s (driver %d.%d, runtime %d.%d)",
				    cudaGetErrorString(e), d->driver_version / 1000,
				    d->driver_version % 1000 / 10, d->runtime_version / 1000,
				    d->runtime_version % 1000 / 10);
	if (n == 0)
		return bn_error_set(BN_EUNSUPPORTED, "no CUDA device");
	cudaDeviceProp p;
	e = cudaGetDeviceProperties(&p, 0);
	if (e != cudaSuccess)
		return bn_error_set(BN_EUNSUPPORTED, "cudaGetDeviceProperties(0): %s",
				    cudaGetErrorString(e));
	d->index = 0;
	snprintf(d->name, sizeof(d->name), "%s", p.name);
	d->cc_major = p.major;
	d->cc_minor = p.minor;
	d->sm_count = p.multiProcessorCount;
	d->mem_bytes = p.totalGlobalMem;
	d->mem_bus_bits = p.memoryBusWidth;
	cudaDeviceGetAttribute(&d->clock_khz, cudaDevAttrClockRate, 0);
	cudaDeviceGetAttribute(&d->mem_clock_khz, cudaDevAttrMemoryClockRate, 0);
	if (p.major * 10 + p.minor < bn_cuda_min_cc)
		return bn_error_set(BN_EUNSUPPORTED,
				    "%s has compute capability %d.%d; the kernels are built for %s",
				    p.name, p.major, p.minor, BN_CUDA_ARCHS);
	return 0;
}

int bn_cuda_probe(struct bn_cuda_device *d)
{
	if (!probed) {
		probe_rc = probe_once(&probe_dev);
		snprintf(probe_msg, sizeof(probe_msg), "%s", probe_rc ? bn_error_last() : "");
		probed = 1;
	}
	*d = probe_dev;
	return probe_rc ? bn_error_set(probe_rc, "%s", probe_msg) : 0;
}
