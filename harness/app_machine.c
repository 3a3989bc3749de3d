/* This machine's description and a stable fingerprint, so results from several machines
 * never mix in one series. The fingerprint covers what changes performance (CPU model,
 * kernel-relevant ISA flags, cores, memory, OS, GPU), not the hostname. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bg_app.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_hash.h"

/* The ISA flags the kernels care about, in a fixed order. */
static const char *const wanted_flags[] = {
	"sse4_2",      "avx",      "avx2",     "fma",         "f16c",
	"avx512f",     "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni",
	"avx512_bf16", "amx_tile", "amx_int8", "amx_bf16",    NULL,
};

/* Value of "key : value" lines of /proc/cpuinfo (first occurrence), malloc'd. */
static char *cpuinfo_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, klen) || (l[klen] != ' ' && l[klen] != '\t' && l[klen] != ':'))
			continue;
		const char *colon = strchr(l, ':'), *end = strchr(l, '\n');
		if (!colon || (end && colon > end))
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		size_t n = end ? (size_t)(end - colon) : strlen(colon);
		char *v = malloc(n + 1);
		if (!v)
			return NULL;
		memcpy(v, colon, n);
		v[n] = '\0';
		return v;
	}
	return NULL;
}

static int has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The first NVIDIA GPU's model from the driver's proc files, if any. */
static char *detect_gpu(void)
{
	DIR *d = opendir("/proc/driver/nvidia/gpus");
	if (!d)
		return NULL;
	char *model = NULL;
	struct dirent *e;
	while (!model && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct bg_buf path = BG_BUF_INIT, text = BG_BUF_INIT;
		bg_buf_printf(&path, "/proc/driver/nvidia/gpus/%s/information", e->d_name);
		if (bg_fs_read(&text, bg_buf_cstr(&path)) == 0)
			model = cpuinfo_field(bg_buf_cstr(&text), "Model");
		bg_buf_free(&path);
		bg_buf_free(&text);
	}
	closedir(d);
	bg_error_clear();
	return model;
}

int bg_machine_detect(struct bg_machine_rec *m)
{
	memset(m, 0, sizeof(*m));
	struct bg_buf info = BG_BUF_INIT, flags = BG_BUF_INIT, fp = BG_BUF_INIT;
	if (bg_fs_read(&info, "/proc/cpuinfo") < 0)
		bg_error_clear(); /* not Linux-like: describe what we can */
	m->cpu = cpuinfo_field(bg_buf_cstr(&info), "model name");
	if (!m->cpu)
		m->cpu = bg_strdup("unknown");
	char *all = cpuinfo_field(bg_buf_cstr(&info), "flags");
	for (int i = 0; wanted_flags[i]; i++)
		if (all && has_word(all, wanted_flags[i]))
			bg_buf_printf(&flags, "%s%s", flags.len ? " " : "", wanted_flags[i]);
	free(all);
	m->flags = bg_buf_detach(&flags);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	m->cores = cores > 0 ? (int)cores : 1;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	m->mem_bytes = pages > 0 && psize > 0 ? (int64_t)pages * psize : 0;
	struct utsname u;
	memset(&u, 0, sizeof(u));
	struct bg_buf os = BG_BUF_INIT;
	if (uname(&u) == 0)
		bg_buf_printf(&os, "%s %s %s", u.sysname, u.release, u.machine);
	else
		bg_buf_puts(&os, "unknown");
	m->os = bg_buf_detach(&os);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	m->hostname = bg_strdup(host);
	m->gpu = detect_gpu();
	/* memory rounded to GiB: the kernel reserves slightly different amounts per boot */
	bg_buf_printf(&fp, "cpu=%s\nflags=%s\ncores=%d\nmem_gib=%lld\nos=%s\ngpu=%s\n", m->cpu,
		      m->flags, m->cores, (long long)((m->mem_bytes + (1 << 29)) >> 30), u.sysname,
		      m->gpu ? m->gpu : "");
	char hex[65];
	bg_sha256_hex(hex, fp.ptr, fp.len);
	m->fingerprint = bg_strdup(hex);
	bg_buf_free(&fp);
	bg_buf_free(&info);
	if (!m->fingerprint || !m->os || !m->flags || !m->cpu)
		return bg_error_oom();
	return 0;
}
