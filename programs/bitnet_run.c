/* bitnet-run: loads a BitNet b1.58 GGUF model, runs a prompt and generates tokens, and
 * reports prefill and decode speed, time to first token, peak memory and the kernels that
 * ran. Thin program over bn_model.h and bn_infer.h. */
#include <cjson/cJSON.h>
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
#include "opt.h"
#ifdef BITGATE_HAVE_CUDA
#include "bn_cuda.h"
#endif

#define PROG "bitnet-run"

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
		fprintf(stderr,
			PROG ": kernel cuda cannot run: %s (BITNET_STRICT_MODE=1 "
			     "refuses a CPU fallback)\n",
			why);
		return -1;
	}
	fprintf(stderr, PROG ": kernel cuda cannot run: %s; running on the CPU\n", why);
	return 0;
}

/* What the command line asks for. */
struct args {
	const char *model, *prompt;
	int n_gen, threads, top_k, json;
	double temp, top_p;
	unsigned long long seed;
	struct kernel_arg {
		int kernel; /* a CPU kernel, or BN_KERNEL_AUTO */
		int cuda;   /* --kernel cuda (or BITNET_KERNEL=cuda): every layer on the GPU */
	} k;
};

/* --kernel: a CPU kernel by name, or cuda. */
static int parse_kernel(const char *prog, const char *opt, const char *v, void *dest)
{
	struct kernel_arg *k = dest;
	k->cuda = !strcmp(v, BN_KERNEL_CUDA_NAME);
	if (!k->cuda && bn_kernel_from_name(&k->kernel, v)) {
		fprintf(stderr, "%s: %s: %s\n", prog, opt, bn_error_last());
		return -1;
	}
	return 0;
}

/* Reads argv and the environment into *a. Returns -1 to go on, or the exit status to stop
 * with: 0 after the help, 2 after a usage error (printed). */
static int parse_args(struct args *a, int argc, char **argv)
{
	const struct opt opts[] = {
		{.name = "--model", .alias = "-m", .kind = OPT_STRING, .dest = &a->model},
		{.name = "--prompt", .alias = "-p", .kind = OPT_STRING, .dest = &a->prompt},
		{.name = "-n", .kind = OPT_INT, .dest = &a->n_gen, .lo = 0, .hi = 1 << 20},
		{.name = "--threads", .kind = OPT_INT, .dest = &a->threads, .lo = 1, .hi = 1024},
		{.name = "--top-k", .kind = OPT_INT, .dest = &a->top_k, .lo = 0, .hi = INT_MAX},
		{.name = "--temp", .kind = OPT_DOUBLE, .dest = &a->temp},
		{.name = "--top-p", .kind = OPT_DOUBLE, .dest = &a->top_p},
		{.name = "--seed", .kind = OPT_U64, .dest = &a->seed},
		{.name = "--kernel", .kind = OPT_CUSTOM, .dest = &a->k, .parse = parse_kernel},
		{.name = "--json", .kind = OPT_FLAG, .dest = &a->json},
	};
	*a = (struct args){
		.n_gen = 32, .threads = 1, .top_p = 1, .seed = 1, .k = {.kernel = BN_KERNEL_AUTO}};
	int rc = opt_read(PROG, opts, OPT_COUNT(opts), argc, argv, usage, 1);
	if (rc >= 0)
		return rc;
	if (!a->model || !a->prompt || !*a->prompt) {
		fprintf(stderr, PROG ": -m FILE and a non-empty -p TEXT are required\n");
		usage(stderr);
		return 2;
	}
	const char *env = getenv("BITNET_KERNEL");
	if (a->k.kernel == BN_KERNEL_AUTO && !a->k.cuda && env && !strcmp(env, BN_KERNEL_CUDA_NAME))
		a->k.cuda = 1;
	if (bn_strict_mode() < 0) {
		fprintf(stderr, PROG ": %s\n", bn_strict_env_error());
		return 2;
	}
	return -1;
}

/* One run: the model, the forward pass and sampler over it, and the tokens. */
struct session {
	struct bn_model *m;
	struct runner run;
	struct bn_sampler sp;
	int32_t *toks; /* the prompt's n_prompt tokens, then the generated ones */
	int n_prompt;
};

/* What the run measured. */
struct measures {
	double load_s, prefill_s, ttft_s, decode_s;
	int generated; /* tokens sampled */
	int decoded;   /* forward passes of one token (the last sample needs none) */
	struct bn_infer_stages st_prefill, st_decode;
	double peak_mb;
};

/* The kernels that ran each operation (NULL: the operation did not run), and the GPU. */
struct kernels_ran {
	const char *gemm, *gemv, *quant, *head, *device;
};

/* Loads the model. Returns 0, or -1 with the reason printed. */
static int load_model(struct session *s, const struct args *a, double *load_s)
{
	double t = now();
	if (bn_model_open(&s->m, a->model)) {
		fprintf(stderr, PROG ": %s\n", bn_error_last());
		return -1;
	}
	*load_s = now() - t;
	if (s->m->cfg.vocab < 256) {
		fprintf(stderr, PROG ": %s: a vocabulary of %d cannot hold byte tokens\n", a->model,
			s->m->cfg.vocab);
		return -1;
	}
	return 0;
}

/* Sets up the forward pass (the GPU's, or the CPU's) and the sampler. Returns 0, or -1 with
 * the reason printed. */
static int open_session(struct session *s, const struct args *a)
{
	int n_gen = a->n_gen;
	struct bn_infer_opts io = {
		.kernel = a->k.kernel, .threads = a->threads, .max_tokens = s->n_prompt + n_gen};
	struct bn_sampler_opts so = {.temperature = (float)a->temp,
				     .top_k = a->top_k,
				     .top_p = (float)a->top_p,
				     .seed = a->seed};
	s->toks = malloc((size_t)(s->n_prompt + n_gen + 1) * sizeof(int32_t));
	int on_gpu = a->k.cuda ? open_gpu(&s->run, s->m, s->n_prompt + n_gen) : 0;
	if (on_gpu < 0)
		return -1;
	if (a->k.cuda && !on_gpu)
		io.kernel = bn_kernel_best(); /* not BITNET_KERNEL=cuda, which the CPU cannot serve */
	if (!s->toks || (!on_gpu && bn_infer_new(&s->run.cpu, s->m, &io)) ||
	    bn_sampler_init(&s->sp, &so, s->m->cfg.vocab)) {
		fprintf(stderr, PROG ": %s\n", s->toks ? bn_error_last() : "out of memory");
		return -1;
	}
	return 0;
}

/* The prompt as one batch, then n_gen tokens sampled one at a time, printed as they come
 * unless the receipt is JSON. Returns 0, or -1 with the reason printed. */
static int generate(struct session *s, const struct args *a, struct measures *ms)
{
	int n_prompt = s->n_prompt, n_gen = a->n_gen;
	for (int i = 0; i < n_prompt; i++)
		s->toks[i] = (unsigned char)a->prompt[i];
	double t0 = now();
	if (run_eval(&s->run, s->toks, n_prompt)) {
		fprintf(stderr, PROG ": prefill: %s\n", bn_error_last());
		return -1;
	}
	ms->prefill_s = now() - t0;
	if (s->run.cpu) {
		bn_infer_stages_get(s->run.cpu, &ms->st_prefill);
		bn_infer_stages_reset(s->run.cpu);
	}
	for (int i = 0; i < n_gen; i++) {
		int32_t t = bn_sample(&s->sp, run_logits(&s->run));
		s->toks[n_prompt + i] = t;
		if (i == 0)
			ms->ttft_s = now() - t0;
		if (!a->json) {
			print_token(t);
			fflush(stdout);
		}
		if (i + 1 == n_gen)
			break;
		double td = now();
		if (run_eval(&s->run, &t, 1)) {
			fprintf(stderr, "\n" PROG ": decode: %s\n", bn_error_last());
			return -1;
		}
		ms->decode_s += now() - td;
	}
	ms->generated = n_gen;
	ms->decoded = ms->generated > 1 ? ms->generated - 1 : 0;
	if (s->run.cpu)
		bn_infer_stages_get(s->run.cpu, &ms->st_decode);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	ms->peak_mb = (double)ru.ru_maxrss / 1024.0;
	return 0;
}

static const char *kernel_or_null(int k)
{
	return k >= 0 ? bn_kernel_name(k) : NULL;
}

/* What ran: the CPU context's record of each operation, or what the device pass runs. */
static struct kernels_ran kernels_ran(const struct session *s, const struct measures *ms)
{
	struct kernels_ran k = {0};
	if (s->run.cpu) {
		struct bn_ctx *ctx = bn_infer_ctx(s->run.cpu);
		k.gemm = kernel_or_null(bn_ctx_ran(ctx, BN_OP_GEMM));
		k.gemv = kernel_or_null(bn_ctx_ran(ctx, BN_OP_GEMV));
		k.quant = kernel_or_null(bn_ctx_ran(ctx, BN_OP_QUANT));
		k.head = kernel_or_null(bn_ctx_ran(ctx, BN_OP_LM_HEAD));
	}
#ifdef BITGATE_HAVE_CUDA
	if (s->run.gpu) { /* the device pass runs these and only these */
		k.gemm = s->n_prompt > 1 ? BN_CUDA_KERNEL_NAME : NULL;
		k.gemv = s->n_prompt == 1 || ms->decoded > 0 ? BN_CUDA_KERNEL_NAME : NULL;
		k.quant = BN_KERNEL_CUDA_NAME;
		k.head = BN_KERNEL_CUDA_NAME;
		k.device = s->run.dev.name;
	}
#else
	(void)ms;
#endif
	return k;
}

static double per_s(double count, double seconds)
{
	return seconds > 0 ? count / seconds : 0;
}

static cJSON *string_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The bitnet-run/1 receipt. */
static void print_json(const struct session *s, const struct args *a, const struct measures *ms,
		       const struct kernels_ran *kr)
{
	cJSON *o = cJSON_CreateObject(), *k = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "schema", "bitnet-run/1");
	cJSON_AddStringToObject(o, "model", a->model);
	cJSON_AddNumberToObject(o, "threads", a->threads);
	cJSON_AddItemToObject(o, "device", cJSON_CreateString(kr->device ? kr->device : "cpu"));
	cJSON_AddNumberToObject(o, "prompt_tokens", s->n_prompt);
	cJSON_AddNumberToObject(o, "generated_tokens", ms->generated);
	for (int i = 0; i < ms->generated; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(s->toks[s->n_prompt + i]));
	cJSON_AddItemToObject(o, "tokens", arr);
	cJSON_AddNumberToObject(o, "load_s", ms->load_s);
	cJSON_AddNumberToObject(o, "prefill_s", ms->prefill_s);
	cJSON_AddNumberToObject(o, "prefill_tokens_per_s", per_s(s->n_prompt, ms->prefill_s));
	cJSON_AddNumberToObject(o, "time_to_first_token_s", ms->ttft_s);
	cJSON_AddNumberToObject(o, "decode_s", ms->decode_s);
	cJSON_AddNumberToObject(o, "decode_tokens_per_s", per_s(ms->decoded, ms->decode_s));
	cJSON_AddNumberToObject(o, "peak_rss_mb", ms->peak_mb);
	cJSON_AddNumberToObject(o, "weight_bytes_per_token", (double)s->m->weight_bytes);
	cJSON_AddItemToObject(o, "prefill_stages_s", stages_json(&ms->st_prefill));
	cJSON_AddItemToObject(o, "decode_stages_s", stages_json(&ms->st_decode));
	cJSON_AddItemToObject(o, "kernels", k);
	cJSON_AddItemToObject(k, "gemm", string_or_null(kr->gemm));
	cJSON_AddItemToObject(k, "gemv", string_or_null(kr->gemv));
	cJSON_AddItemToObject(k, "quant", string_or_null(kr->quant));
	cJSON_AddItemToObject(k, "lm_head", string_or_null(kr->head));
	char *text = cJSON_Print(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static const char *dash_if_null(const char *s)
{
	return s ? s : "-";
}

/* The summary after the generated text. */
static void print_text(const struct session *s, const struct measures *ms,
		       const struct kernels_ran *kr)
{
	printf("\n\nprompt %d tokens: prefill %.2f tokens/s (%.3f s); time to first token "
	       "%.3f s\n"
	       "decode %d tokens: %.2f tokens/s; peak RSS %.1f MB; kernels gemm %s, gemv "
	       "%s, "
	       "quant %s, lm_head %s\n",
	       s->n_prompt, per_s(s->n_prompt, ms->prefill_s), ms->prefill_s, ms->ttft_s,
	       ms->decoded, per_s(ms->decoded, ms->decode_s), ms->peak_mb, dash_if_null(kr->gemm),
	       dash_if_null(kr->gemv), dash_if_null(kr->quant), dash_if_null(kr->head));
	if (kr->device)
		printf("device: %s\n", kr->device);
	print_stages("prefill", &ms->st_prefill, ms->prefill_s);
	print_stages("decode", &ms->st_decode, ms->decode_s);
}

static void close_session(struct session *s)
{
	bn_sampler_clear(&s->sp);
	run_free(&s->run);
	bn_model_close(s->m);
	free(s->toks);
}

int main(int argc, char **argv)
{
	struct args a;
	int rc = parse_args(&a, argc, argv);
	if (rc >= 0)
		return rc;
	struct session s = {.n_prompt = (int)strlen(a.prompt)};
	struct measures ms = {0};
	if (load_model(&s, &a, &ms.load_s) || open_session(&s, &a) || generate(&s, &a, &ms)) {
		close_session(&s);
		return 3;
	}
	struct kernels_ran kr = kernels_ran(&s, &ms);
	if (a.json)
		print_json(&s, &a, &ms, &kr);
	else
		print_text(&s, &ms, &kr);
	close_session(&s);
	return 0;
}
