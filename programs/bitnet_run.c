/* bitnet-run: loads a BitNet b1.58 GGUF model, runs a prompt and generates tokens, and
 * reports prefill and decode speed, time to first token, peak memory and the kernels that
 * ran. Thin program over bn_model.h and bn_infer.h. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_infer.h"
#include "bn_model.h"
#include "bn_strict.h"
#ifdef BITGATE_HAVE_CUDA
#include "bn_cuda.h"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bitnet-run -m FILE -p TEXT [-n N] [options]\n"
		"\n"
		"Runs a BitNet b1.58 model (GGUF, architecture bitnet-25): the prompt as one batch\n"
		"(prefill, GEMM kernels), then N tokens one at a time (decode, GEMV kernels).\n"
		"Tokens are bytes: each byte of TEXT is one token id (0-255) and generated ids\n"
		"are printed as bytes. That is what bitnet-mkmodel's synthetic models use; a real\n"
		"model's tokenizer is not implemented, so its output will not be text.\n"
		"\n"
		"  -m, --model FILE  the model\n"
		"  -p, --prompt TEXT the prompt (at least one byte)\n"
		"  -n N              tokens to generate (default 32)\n"
		"  --threads N       worker threads (default 1)\n"
		"  --kernel K        ref, avx2, avx512, amx or cuda (default: BITNET_KERNEL or the\n"
		"                    best CPU kernel); cuda runs every layer on the GPU when this\n"
		"                    build has CUDA and a device is there, otherwise it says why\n"
		"                    and runs on the CPU (BITNET_STRICT_MODE=1: it fails instead)\n"
		"  --temp T          temperature (default 0: greedy)\n"
		"  --top-k K         keep the K most likely tokens (default 0: all)\n"
		"  --top-p P         keep the smallest set reaching probability P (default 1)\n"
		"  --seed S          sampling seed (default 1)\n"
		"  --json            print a JSON receipt instead of text\n"
		"  -h, --help        this help\n"
		"\n"
		"exit status: 0 done, 2 usage, 3 the model could not be loaded or run.\n");
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "bitnet-run: %s: '%s' is not an integer in [%d, %d]\n", opt, s, lo,
			hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_double(const char *opt, const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s) {
		fprintf(stderr, "bitnet-run: %s: '%s' is not a number\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static void print_token(int32_t t)
{
	if (t >= 32 && t < 127)
		putchar((int)t);
	else if (t == '\n' || t == '\t')
		putchar((int)t);
	else
		printf("\\x%02x", (unsigned)(t & 0xFF));
}

/* Seconds per stage of the forward pass (bn_infer_stages). */
static cJSON *stages_json(const struct bn_infer_stages *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "bitlinear", st->bitlinear_s);
	cJSON_AddNumberToObject(o, "attention", st->attention_s);
	cJSON_AddNumberToObject(o, "lm_head", st->lm_head_s);
	cJSON_AddNumberToObject(o, "other", st->other_s);
	return o;
}

static void print_stages(const char *what, const struct bn_infer_stages *st, double total)
{
	if (total <= 0)
		return;
	printf("%s time: bitlinear %.1f%%, attention %.1f%%, lm_head %.1f%%, other %.1f%%\n",
	       what, 100 * st->bitlinear_s / total, 100 * st->attention_s / total,
	       100 * st->lm_head_s / total, 100 * st->other_s / total);
}

/* The forward pass on the CPU (bn_infer) or, with --kernel cuda, on the GPU. */
struct runner {
	struct bn_infer *cpu;
#ifdef BITGATE_HAVE_CUDA
	struct bn_cuda_infer *gpu;
	struct bn_cuda_device dev;
#endif
};

static int run_eval(struct runner *r, const int32_t *t, int n)
{
#ifdef BITGATE_HAVE_CUDA
	if (r->gpu)
		return bn_cuda_infer_eval(r->gpu, t, n);
#endif
	return bn_infer_eval(r->cpu, t, n);
}

static const float *run_logits(const struct runner *r)
{
#ifdef BITGATE_HAVE_CUDA
	if (r->gpu)
		return bn_cuda_infer_logits(r->gpu);
#endif
	return bn_infer_logits(r->cpu);
}

static void run_free(struct runner *r)
{
#ifdef BITGATE_HAVE_CUDA
	bn_cuda_infer_free(r->gpu);
#endif
	bn_infer_free(r->cpu);
}

/* Sets up the GPU pass when cuda was asked for. Returns 1 when it runs on the GPU, 0 when
 * the CPU takes over (after saying why on stderr), -1 when strict mode forbids that. */
static int open_gpu(struct runner *r, const struct bn_model *m, int max_tokens)
{
	const char *why;
#ifdef BITGATE_HAVE_CUDA
	if (bn_cuda_probe(&r->dev) == 0 && bn_cuda_infer_new(&r->gpu, m, max_tokens) == 0)
		return 1;
	why = bn_error_last();
#else
	(void)r;
	(void)m;
	(void)max_tokens;
	why = "this bitnet-run was built without CUDA (no nvcc at configure time)";
#endif
	if (bn_strict_mode() > 0) {
		fprintf(stderr, "bitnet-run: kernel cuda cannot run: %s (BITNET_STRICT_MODE=1 "
				"refuses a CPU fallback)\n", why);
		return -1;
	}
	fprintf(stderr, "bitnet-run: kernel cuda cannot run: %s; running on the CPU\n", why);
	return 0;
}

int main(int argc, char **argv)
{
	const char *model = NULL, *prompt = NULL;
	int n_gen = 32, threads = 1, kernel = BN_KERNEL_AUTO, json = 0, top_k = 0, cuda = 0;
	double temp = 0, top_p = 1;
	unsigned long long seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bitnet-run: %s: unknown option or missing value\n", a);
			usage(stderr);
			return 2;
		}
		const char *v = argv[++i];
		int bad = 0;
		if (!strcmp(a, "-m") || !strcmp(a, "--model"))
			model = v;
		else if (!strcmp(a, "-p") || !strcmp(a, "--prompt"))
			prompt = v;
		else if (!strcmp(a, "-n"))
			bad = parse_int(a, v, 0, 1 << 20, &n_gen);
		else if (!strcmp(a, "--threads"))
			bad = parse_int(a, v, 1, 1024, &threads);
		else if (!strcmp(a, "--top-k"))
			bad = parse_int(a, v, 0, INT_MAX, &top_k);
		else if (!strcmp(a, "--temp"))
			bad = parse_double(a, v, &temp);
		else if (!strcmp(a, "--top-p"))
			bad = parse_double(a, v, &top_p);
		else if (!strcmp(a, "--seed")) {
			char *end;
			errno = 0;
			seed = strtoull(v, &end, 10);
			bad = errno || *end || end == v || v[0] == '-';
			if (bad)
				fprintf(stderr, "bitnet-run: --seed: '%s' is not a number\n", v);
		} else if (!strcmp(a, "--kernel")) {
			cuda = !strcmp(v, BN_KERNEL_CUDA_NAME);
			if (!cuda && bn_kernel_from_name(&kernel, v)) {
				fprintf(stderr, "bitnet-run: --kernel: %s\n", bn_error_last());
				bad = 1;
			}
		} else {
			fprintf(stderr, "bitnet-run: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (bad)
			return 2;
	}
	if (!model || !prompt || !*prompt) {
		fprintf(stderr, "bitnet-run: -m FILE and a non-empty -p TEXT are required\n");
		usage(stderr);
		return 2;
	}
	const char *env = getenv("BITNET_KERNEL");
	if (kernel == BN_KERNEL_AUTO && !cuda && env && !strcmp(env, BN_KERNEL_CUDA_NAME))
		cuda = 1;
	if (bn_strict_mode() < 0) {
		fprintf(stderr, "bitnet-run: %s\n", bn_strict_env_error());
		return 2;
	}
	int n_prompt = (int)strlen(prompt);
	double t_load = now();
	struct bn_model *m;
	if (bn_model_open(&m, model)) {
		fprintf(stderr, "bitnet-run: %s\n", bn_error_last());
		return 3;
	}
	t_load = now() - t_load;
	if (m->cfg.vocab < 256) {
		fprintf(stderr, "bitnet-run: %s: a vocabulary of %d cannot hold byte tokens\n", model,
			m->cfg.vocab);
		bn_model_close(m);
		return 3;
	}
	struct runner run = {0};
	struct bn_sampler sp = {0};
	struct bn_infer_opts io = {.kernel = kernel, .threads = threads,
				   .max_tokens = n_prompt + n_gen};
	struct bn_sampler_opts so = {.temperature = (float)temp, .top_k = top_k,
				     .top_p = (float)top_p, .seed = seed};
	int32_t *toks = malloc((size_t)(n_prompt + n_gen + 1) * sizeof(int32_t));
	int on_gpu = cuda ? open_gpu(&run, m, n_prompt + n_gen) : 0;
	if (on_gpu < 0)
		goto fail;
	if (cuda && !on_gpu)
		io.kernel = bn_kernel_best(); /* not BITNET_KERNEL=cuda, which the CPU cannot serve */
	if (!toks || (!on_gpu && bn_infer_new(&run.cpu, m, &io)) ||
	    bn_sampler_init(&sp, &so, m->cfg.vocab)) {
		fprintf(stderr, "bitnet-run: %s\n", toks ? bn_error_last() : "out of memory");
		goto fail;
	}
	for (int i = 0; i < n_prompt; i++)
		toks[i] = (unsigned char)prompt[i];
	double t0 = now();
	if (run_eval(&run, toks, n_prompt)) {
		fprintf(stderr, "bitnet-run: prefill: %s\n", bn_error_last());
		goto fail;
	}
	double t_prefill = now() - t0, ttft = 0, t_decode = 0;
	struct bn_infer_stages st_prefill = {0}, st_decode = {0};
	if (run.cpu) {
		bn_infer_stages_get(run.cpu, &st_prefill);
		bn_infer_stages_reset(run.cpu);
	}
	int generated = 0;
	for (; generated < n_gen; generated++) {
		int32_t t = bn_sample(&sp, run_logits(&run));
		toks[n_prompt + generated] = t;
		if (generated == 0)
			ttft = now() - t0;
		if (!json) {
			print_token(t);
			fflush(stdout);
		}
		if (generated + 1 == n_gen)
			break;
		double td = now();
		if (run_eval(&run, &t, 1)) {
			fprintf(stderr, "\nbitnet-run: decode: %s\n", bn_error_last());
			goto fail;
		}
		t_decode += now() - td;
	}
	if (n_gen > 0)
		generated = n_gen;
	if (run.cpu)
		bn_infer_stages_get(run.cpu, &st_decode);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double peak_mb = (double)ru.ru_maxrss / 1024.0;
	int decoded = generated > 1 ? generated - 1 : 0;
	double prefill_tps = t_prefill > 0 ? n_prompt / t_prefill : 0;
	double decode_tps = t_decode > 0 ? decoded / t_decode : 0;
	const char *k_gemm = NULL, *k_gemv = NULL, *k_quant = NULL, *k_head = NULL, *device = NULL;
	if (run.cpu) {
		struct bn_ctx *ctx = bn_infer_ctx(run.cpu);
		int g = bn_ctx_ran(ctx, BN_OP_GEMM), v = bn_ctx_ran(ctx, BN_OP_GEMV);
		int q = bn_ctx_ran(ctx, BN_OP_QUANT), h = bn_ctx_ran(ctx, BN_OP_LM_HEAD);
		k_head = h >= 0 ? bn_kernel_name(h) : NULL;
		k_gemm = g >= 0 ? bn_kernel_name(g) : NULL;
		k_gemv = v >= 0 ? bn_kernel_name(v) : NULL;
		k_quant = q >= 0 ? bn_kernel_name(q) : NULL;
	}
#ifdef BITGATE_HAVE_CUDA
	if (run.gpu) { /* the device pass runs these and only these */
		k_gemm = n_prompt > 1 ? BN_CUDA_KERNEL_NAME : NULL;
		k_gemv = n_prompt == 1 || decoded > 0 ? BN_CUDA_KERNEL_NAME : NULL;
		k_quant = BN_KERNEL_CUDA_NAME;
		k_head = BN_KERNEL_CUDA_NAME;
		device = run.dev.name;
	}
#endif
	if (json) {
		cJSON *o = cJSON_CreateObject(), *k = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "schema", "bitnet-run/1");
		cJSON_AddStringToObject(o, "model", model);
		cJSON_AddNumberToObject(o, "threads", threads);
		cJSON_AddItemToObject(o, "device",
				      device ? cJSON_CreateString(device) : cJSON_CreateString("cpu"));
		cJSON_AddNumberToObject(o, "prompt_tokens", n_prompt);
		cJSON_AddNumberToObject(o, "generated_tokens", generated);
		for (int i = 0; i < generated; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(toks[n_prompt + i]));
		cJSON_AddItemToObject(o, "tokens", arr);
		cJSON_AddNumberToObject(o, "load_s", t_load);
		cJSON_AddNumberToObject(o, "prefill_s", t_prefill);
		cJSON_AddNumberToObject(o, "prefill_tokens_per_s", prefill_tps);
		cJSON_AddNumberToObject(o, "time_to_first_token_s", ttft);
		cJSON_AddNumberToObject(o, "decode_s", t_decode);
		cJSON_AddNumberToObject(o, "decode_tokens_per_s", decode_tps);
		cJSON_AddNumberToObject(o, "peak_rss_mb", peak_mb);
		cJSON_AddNumberToObject(o, "weight_bytes_per_token", (double)m->weight_bytes);
		cJSON_AddItemToObject(o, "prefill_stages_s", stages_json(&st_prefill));
		cJSON_AddItemToObject(o, "decode_stages_s", stages_json(&st_decode));
		cJSON_AddItemToObject(o, "kernels", k);
		cJSON_AddItemToObject(k, "gemm", k_gemm ? cJSON_CreateString(k_gemm) : cJSON_CreateNull());
		cJSON_AddItemToObject(k, "gemv", k_gemv ? cJSON_CreateString(k_gemv) : cJSON_CreateNull());
		cJSON_AddItemToObject(k, "quant", k_quant ? cJSON_CreateString(k_quant) : cJSON_CreateNull());
		cJSON_AddItemToObject(k, "lm_head",
				      k_head ? cJSON_CreateString(k_head) : cJSON_CreateNull());
		char *text = cJSON_Print(o);
		puts(text ? text : "{}");
		free(text);
		cJSON_Delete(o);
	} else {
		printf("\n\nprompt %d tokens: prefill %.2f tokens/s (%.3f s); time to first token "
		       "%.3f s\n"
		       "decode %d tokens: %.2f tokens/s; peak RSS %.1f MB; kernels gemm %s, gemv "
		       "%s, "
		       "quant %s, lm_head %s\n",
		       n_prompt, prefill_tps, t_prefill, ttft, decoded, decode_tps, peak_mb,
		       k_gemm ? k_gemm : "-", k_gemv ? k_gemv : "-", k_quant ? k_quant : "-",
		       k_head ? k_head : "-");
		if (device)
			printf("device: %s\n", device);
		print_stages("prefill", &st_prefill, t_prefill);
		print_stages("decode", &st_decode, t_decode);
	}
	bn_sampler_clear(&sp);
	run_free(&run);
	bn_model_close(m);
	free(toks);
	return 0;
fail:
	bn_sampler_clear(&sp);
	run_free(&run);
	bn_model_close(m);
	free(toks);
	return 3;
}
