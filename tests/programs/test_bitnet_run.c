/* bitnet-run as a program: a JSON receipt naming the device and kernels that ran, and what a
 * CUDA request does where no GPU can serve it (says why and runs on the CPU; in strict mode
 * fails with the reason). */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "bn_dispatch.h"
#include "bn_model.h"
#include "tf.h"

static const char *const unset[] = {"BITNET_KERNEL", "BITNET_STRICT_MODE", NULL};

static char *tiny_model(void)
{
	struct bn_model_config c;
	char *path = tf_tmpfile("run-tiny.gguf");
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	TF_CHECK_EQ(bn_model_write_synthetic(&c, 3, path), 0);
	return path;
}

/* The receipt of a run; fails the test unless bitnet-run exited 0 with JSON. */
static cJSON *receipt(const char *model, const char *const *extra, const char *const *env,
		      struct tf_output *r)
{
	const char *args[16] = {"-m", model, "-p", "Hello", "-n", "6", "--json"};
	int n = 7;
	for (int i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	*r = tf_run(BN_RUN_PATH, args, unset, env);
	TF_CHECK(r->status == 0, "bitnet-run exit %d: %s", r->status, r->err);
	cJSON *o = cJSON_Parse(r->out);
	TF_CHECK(o, "not JSON: %.200s", r->out);
	return o;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	TF_CHECK(cJSON_IsString(v), "%s is not a string", key);
	return v->valuestring;
}

/* On the CPU the receipt names the device "cpu" and the kernels the dispatch ran. */
TF_TEST(run__receipt_names_device_and_kernels)
{
	char *model = tiny_model();
	struct tf_output r;
	static const char *const ref[] = {"--kernel", "ref", NULL};
	cJSON *o = receipt(model, ref, NULL, &r);
	TF_CHECK(!strcmp(str(o, "device"), "cpu"), "device %s", str(o, "device"));
	const cJSON *k = cJSON_GetObjectItem(o, "kernels");
	TF_CHECK(!strcmp(str(k, "gemm"), "ref") && !strcmp(str(k, "gemv"), "ref") &&
			 !strcmp(str(k, "quant"), "ref") && !strcmp(str(k, "lm_head"), "ref"),
		 "kernels %s %s %s %s", str(k, "gemm"), str(k, "gemv"), str(k, "quant"),
		 str(k, "lm_head"));
	TF_CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tokens")), 6);
	cJSON_Delete(o);
	tf_output_free(&r);
	unlink(model);
	free(model);
}

/* --kernel cuda or BITNET_KERNEL=cuda without a usable GPU: a line saying why, then the same
 * tokens on the CPU; strict mode refuses with the reason and exit 3. (With a GPU the first
 * part checks that the device ran and produced the CPU's greedy tokens.) */
TF_TEST(run__cuda_request_without_device)
{
	char *model = tiny_model();
	struct tf_output r, cpu_r;
	cJSON *cpu = receipt(model, NULL, NULL, &cpu_r);
	static const char *const cuda[] = {"--kernel", "cuda", NULL};
	cJSON *o = receipt(model, cuda, NULL, &r);
	char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(cpu, "tokens"));
	char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "tokens"));
	TF_CHECK(!strcmp(want, got), "tokens %s, CPU %s", got, want);
	int on_gpu = strcmp(str(o, "device"), "cpu") != 0;
	free(want);
	free(got);
	cJSON_Delete(o);
	cJSON_Delete(cpu);
	tf_output_free(&cpu_r);
	if (on_gpu) {
		tf_output_free(&r);
		unlink(model);
		free(model);
		TF_SKIP("a GPU ran --kernel cuda (same tokens as the CPU): the no-device path "
			"cannot be shown here");
	}
	TF_CHECK(strstr(r.err, "kernel cuda cannot run:") && strstr(r.err, "running on the CPU"),
		 "stderr: %s", r.err);
	tf_output_free(&r);

	static const char *const env_cuda[] = {"BITNET_KERNEL=cuda", NULL};
	o = receipt(model, NULL, env_cuda, &r);
	TF_CHECK(!strcmp(str(o, "device"), "cpu"), "device %s", str(o, "device"));
	TF_CHECK(strstr(r.err, "kernel cuda cannot run:") != NULL, "stderr: %s", r.err);
	cJSON_Delete(o);
	tf_output_free(&r);

	static const char *const strict[] = {"BITNET_KERNEL=cuda", "BITNET_STRICT_MODE=1", NULL};
	static const char *const args[] = {"-m", NULL, "-p", "Hi", "-n", "2", NULL};
	const char *a[7];
	memcpy(a, args, sizeof(a));
	a[1] = model;
	r = tf_run(BN_RUN_PATH, a, unset, strict);
	TF_CHECK(r.status == 3, "strict: exit %d", r.status);
	TF_CHECK(strstr(r.err, "BITNET_STRICT_MODE=1") && strstr(r.err, "cannot run:"),
		 "strict stderr: %s", r.err);
	TF_CHECK(r.out[0] == '\0', "strict mode printed tokens: %s", r.out);
	tf_output_free(&r);
	unlink(model);
	free(model);
}

/* A model whose general.alignment (16) is below what the kernels need: every kernel the
 * dispatch offers refuses it with exit 3 and a line naming the file and the key, before a
 * token is printed (--kernel avx2 died of SIGSEGV in the GEMV's aligned loads). */
TF_TEST(run__misaligned_model_refused)
{
	struct bn_model_config c;
	char *model = tf_tmpfile("run-align16.gguf");
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	TF_CHECK_EQ(bn_model_write_synthetic_aligned(&c, 3, 16, model), 0);
	for (int k = 0; k < BN_KERNEL_COUNT; k++) {
		if (!bn_kernel_available(k, NULL))
			continue;
		const char *args[] = {
			"-m", model, "-p", "Hello", "-n", "4", "--kernel", bn_kernel_name(k), NULL};
		struct tf_output r = tf_run(BN_RUN_PATH, args, unset, NULL);
		TF_CHECK(r.status == 3, "--kernel %s: exit %d: %s", bn_kernel_name(k), r.status,
			 r.err);
		TF_CHECK(strstr(r.err, model) && strstr(r.err, "general.alignment"),
			 "--kernel %s: stderr %s", bn_kernel_name(k), r.err);
		TF_CHECK(r.out[0] == '\0', "--kernel %s printed tokens: %s", bn_kernel_name(k),
			 r.out);
		tf_output_free(&r);
	}
	unlink(model);
	free(model);
}
