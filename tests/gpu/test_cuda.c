/* The gpu suite (label gpu). Without a usable device every case reports skipped, with the
 * reason the probe gave, never passed. */
#include <string.h>

#include "bn_cuda.h"
#include "bn_error.h"
#include "bn_test.h"

static void need_device(struct bn_cuda_device *d)
{
	if (bn_cuda_probe(d))
		BN_SKIP("no usable CUDA device: %s", bn_error_last());
}

/* A usable device reports sane properties, and the probe gives the same answer twice. */
BN_TEST(gpu__device_probe)
{
	struct bn_cuda_device d, again;
	need_device(&d);
	BN_CHECK(d.name[0] != '\0', "device has no name");
	BN_CHECK(d.sm_count > 0, "%s: %d SMs", d.name, d.sm_count);
	BN_CHECK(d.cc_major * 10 + d.cc_minor >= 80, "%s: compute capability %d.%d", d.name,
		 d.cc_major, d.cc_minor);
	BN_CHECK(d.mem_bytes > 0 && d.driver_version > 0 && d.runtime_version > 0,
		 "%s: memory %zu, driver %d, runtime %d", d.name, d.mem_bytes, d.driver_version,
		 d.runtime_version);
	BN_CHECK_EQ(bn_cuda_probe(&again), 0);
	BN_CHECK(!memcmp(&d, &again, sizeof(d)), "the second probe differs");
	BN_CHECK(strlen(bn_cuda_built_for()) > 0, "no architectures recorded");
}
