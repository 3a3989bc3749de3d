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
#include <stdint.h>

#include "bn_model.h"
#include "bn_pack.h"
#include "bn_quant.h"

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

/* The name bitnet-bench and receipts record for the kernels below. */
#define BN_CUDA_KERNEL_NAME "cuda-dp4a"

/* ---- device memory, for callers written in C ---------------------------------------- */

/* Allocates bytes of device memory (BN_EUNSUPPORTED without a device, BN_ENOMEM). */
int bn_cuda_malloc(void **out, size_t bytes);
void bn_cuda_free(void *p); /* NULL is fine */
int bn_cuda_upload(void *dev, const void *host, size_t bytes);
int bn_cuda_download(void *host, const void *dev, size_t bytes);
int bn_cuda_copy(void *dev_dst, const void *dev_src, size_t bytes);
/* Waits for all queued work; reports an error any of it raised. */
int bn_cuda_sync(void);

/* Elapsed device time between two points of the queue (CUDA events). */
struct bn_cuda_timer;
int bn_cuda_timer_new(struct bn_cuda_timer **out);
void bn_cuda_timer_free(struct bn_cuda_timer *t);
int bn_cuda_timer_start(struct bn_cuda_timer *t);
/* Records the end, waits for it, and gives the seconds since the start. */
int bn_cuda_timer_stop(struct bn_cuda_timer *t, double *seconds);

/* ---- ternary weights and int8 activations on the device ----------------------------- */

/* A weight matrix in device memory, repacked from I2_S to the W16 layout
 * (bn_cuda_layout.h) at upload. Owns words. */
struct bn_cuda_tmat {
	uint32_t *words;   /* device: n rows of row_words words */
	float scale;       /* per-tensor scale, as in the host matrix */
	int n, k, k_pad;   /* as struct bn_tmat */
	size_t row_words;  /* k_pad / 16 */
};

/* Repacks w on the host and copies it to the device. Codes are not re-validated: the
 * kernels compute with them as the CPU kernels do. */
int bn_cuda_tmat_upload(struct bn_cuda_tmat **out, const struct bn_tmat *w);
void bn_cuda_tmat_free(struct bn_cuda_tmat *w);

/* Quantized activations in device memory: the device twin of struct bn_qact. Owns all. */
struct bn_cuda_qact {
	int8_t *q;       /* device: m rows of k_pad bytes, columns k..k_pad-1 zero */
	float *scale;    /* device: per row, 127 / max|x| (0 for a zero row) */
	int32_t *rowsum; /* device: per row, sum of q */
	int *bad_row;    /* device: the first row of the last quantization holding NaN/inf */
	int m;           /* rows the kernels use (<= capacity) */
	int capacity;    /* rows allocated */
	int k, k_pad;
};

int bn_cuda_qact_new(struct bn_cuda_qact **out, int m, int k);
void bn_cuda_qact_free(struct bn_cuda_qact *a);
/* Copies h (same k, h->m <= capacity) to the device and sets a->m = h->m. */
int bn_cuda_qact_upload(struct bn_cuda_qact *a, const struct bn_qact *h);
/* Copies a's a->m rows, scales and sums back into h (same k, h->m >= a->m). */
int bn_cuda_qact_download(struct bn_qact *h, const struct bn_cuda_qact *a);

/* Quantizes m rows of x (device floats, row stride ldx) into a, exactly as
 * bn_ref_quant_row does (bn_quant.h): the same bytes, scales and sums. Sets a->m = m. Waits
 * for the result; a row holding NaN or infinity is BN_EFORMAT naming the row. */
int bn_cuda_quantize(struct bn_cuda_qact *a, const float *x, size_t ldx, int m);

/* y[j] = sum_k x.q[0][k] * w[j][k] for j < w->n (device int32), the exact integers of
 * bn_gemv. x->m must be 1 and x->k == w->k. Queued; not waited for. */
int bn_cuda_gemv(int32_t *y, const struct bn_cuda_qact *x, const struct bn_cuda_tmat *w);

/* y[i * ldy + j] for i < x->m, j < w->n: the exact integers of bn_gemm. Queued. */
int bn_cuda_gemm(int32_t *y, size_t ldy, const struct bn_cuda_qact *x,
		 const struct bn_cuda_tmat *w);

/* ---- the whole model on the device (gpu/cuda_infer.cu) ------------------------------------ */

/* A forward pass with every layer on the device: the ternary matrices uploaded once (W16),
 * norms and the embedding too, the KV cache in device memory. The integer parts are the
 * CPU's exactly; the float parts (norms, RoPE, attention, the F16 lm_head) are the same
 * formulas summed in another order, so logits agree with the CPU's to float rounding and
 * greedy tokens are the same. */
struct bn_cuda_infer;

/* Uploads m (borrowed: it must outlive s) for a cache of max_tokens positions. */
int bn_cuda_infer_new(struct bn_cuda_infer **out, const struct bn_model *m, int max_tokens);
void bn_cuda_infer_free(struct bn_cuda_infer *s);
/* Evaluates n tokens at the current position (prefill when n > 1, decode when n == 1) and
 * copies the last one's logits to the host. Errors as bn_infer_eval's, plus device ones. */
int bn_cuda_infer_eval(struct bn_cuda_infer *s, const int32_t *tokens, int n);
/* The vocab logits of the last evaluated token (host memory owned by s). */
const float *bn_cuda_infer_logits(const struct bn_cuda_infer *s);
int bn_cuda_infer_pos(const struct bn_cuda_infer *s);
/* Forgets positions pos and later (pos <= the current position). */
void bn_cuda_infer_truncate(struct bn_cuda_infer *s, int pos);
/* Bytes of device memory s holds (weights, cache, buffers). */
size_t bn_cuda_infer_device_bytes(const struct bn_cuda_infer *s);

#ifdef __cplusplus
}
#endif

#endif
