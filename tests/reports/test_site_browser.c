/* The dashboard in a real browser: headless Chromium opens the rendered index from file://;
 * the DOM it builds must hold the regressions table and the plot images, and its screenshot
 * must be a real page (far larger than the screenshot of a blank page of the same size).
 * Skipped (exit 77) with the reason when no Chromium is installed; BITGATE_CHROMIUM names
 * another Chromium-compatible binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_proc.h"
#include "bg_site.h"
#include "site_fixture.h"
#include "tf.h"

#define WIDTH 1280
#define HEIGHT 2000

static int executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* BITGATE_CHROMIUM, else chromium or chromium-browser on PATH; NULL when none. */
static char *find_browser(void)
{
	const char *env = getenv("BITGATE_CHROMIUM");
	if (env && *env)
		return executable(env) ? bg_strdup(env) : NULL;
	static const char *const names[] = {"chromium", "chromium-browser"};
	const char *path = getenv("PATH");
	for (size_t i = 0; path && i < 2; i++) {
		const char *p = path;
		for (;;) {
			const char *end = strchr(p, ':');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			struct bg_buf cand = BG_BUF_INIT;
			TF_CHECK(bg_buf_put(&cand, n ? p : ".", n ? n : 1) == 0 &&
					 bg_buf_putc(&cand, '/') == 0 &&
					 bg_buf_puts(&cand, names[i]) == 0,
				 "oom");
			if (executable(cand.ptr))
				return bg_buf_detach(&cand);
			bg_buf_free(&cand);
			if (!end)
				break;
			p = end + 1;
		}
	}
	return NULL;
}

/* Runs the browser on url with one more flag (--dump-dom or --screenshot=...), its stdout
 * to out (may be NULL); fails the test with the browser's last words when it fails. */
static void run_browser(const char *browser, const char *work, const char *flag, const char *url,
			const char *out)
{
	char profile[4096], log[4096], home[4200], size[64];
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", work);
	snprintf(log, sizeof(log), "%s/browser.log", work);
	snprintf(home, sizeof(home), "HOME=%s", work);
	snprintf(size, sizeof(size), "--window-size=%d,%d", WIDTH, HEIGHT);
	char *argv[] = {(char *)browser,
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-dev-shm-usage",
			"--no-first-run",
			"--no-default-browser-check",
			"--disable-extensions",
			"--disable-background-networking",
			"--hide-scrollbars",
			profile,
			size,
			(char *)flag,
			(char *)url,
			NULL};
	char *env[] = {home, NULL};
	struct bg_proc_opts o = {.argv = argv,
				 .env = env,
				 .stdout_path = out ? out : log,
				 .stderr_path = log,
				 .timeout_s = 120,
				 .pin_cpu = -1};
	struct bg_proc_result res;
	TF_CHECK(bg_proc_run(&o, &res) == 0, "%s", bg_error_last());
	if (!bg_proc_ok(&res)) {
		char how[300];
		struct bg_buf tail = BG_BUF_INIT;
		bg_proc_describe(&res, how, sizeof(how));
		bg_fs_tail(&tail, log, 2000);
		TF_CHECK(0, "%s %s: %s\n%s", browser, flag, how, bg_buf_cstr(&tail));
	}
}

/* The size of a PNG file, after checking its signature and its dimensions. */
static size_t png_size(const char *path, unsigned *w, unsigned *h)
{
	struct bg_buf png = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&png, path) == 0, "no screenshot: %s", bg_error_last());
	const unsigned char *b = (const unsigned char *)png.ptr;
	TF_CHECK(png.len > 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4),
		 "%s is not a PNG", path);
	*w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
	*h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
	size_t n = png.len;
	bg_buf_free(&png);
	return n;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

TF_TEST(site_browser__index_renders)
{
	char *browser = find_browser();
	if (!browser)
		TF_SKIP("no chromium or chromium-browser on PATH (Debian package 'chromium'); "
			"set BITGATE_CHROMIUM to use another binary");
	struct site_fixture f;
	site_fixture_make(&f);
	char *dir = tf_tmpdir("site-browser");
	char *work = tf_tmpdir("site-browser-work");
	struct bg_site_opts o = {.gnuplot = site_gnuplot()};
	struct bg_site_stats st;
	TF_CHECK(bg_site_write(&f.site, dir, &o, &st) == 0, "%s", bg_error_last());
	TF_CHECK(st.plots > 0, "no plots to show: %s", st.plot_error);
	char *abs = bg_fs_realpath(dir);
	TF_CHECK(abs, "%s", bg_error_last());
	struct bg_buf url = BG_BUF_INIT, path = BG_BUF_INIT;
	TF_CHECK(bg_buf_printf(&url, "file://%s/index.html", abs) == 0, "oom");

	/* the DOM the browser built */
	TF_CHECK(bg_buf_printf(&path, "%s/dom.html", work) == 0, "oom");
	run_browser(browser, work, "--dump-dom", url.ptr, path.ptr);
	struct bg_buf dom = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&dom, path.ptr) == 0, "%s", bg_error_last());
	TF_CHECK(strstr(dom.ptr, "<table class=\"regressions\">"),
		 "no regressions table in the DOM");
	TF_CHECK(strstr(dom.ptr, "Open regressions"), "no open regressions heading");
	TF_CHECK_EQ(count(dom.ptr, "<img "), 3);
	TF_CHECK(strstr(dom.ptr, "src=\"plots/matmul-avx2-256x256x256-default.thumb.svg\""),
		 "no thumbnail image");
	TF_CHECK(!strstr(dom.ptr, "<script"), "a script element in the DOM");
	bg_buf_free(&dom);

	/* a screenshot of the index against one of a blank page the same size */
	bg_buf_clear(&path);
	TF_CHECK(bg_buf_printf(&path, "%s/blank.html", work) == 0, "oom");
	const char blank[] = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>"
			     "<title>blank</title></head><body></body></html>\n";
	TF_CHECK(bg_fs_write(path.ptr, blank, sizeof(blank) - 1) == 0, "%s", bg_error_last());
	struct bg_buf blank_url = BG_BUF_INIT, flag = BG_BUF_INIT, shot = BG_BUF_INIT;
	TF_CHECK(bg_buf_printf(&blank_url, "file://%s", path.ptr) == 0, "oom");
	unsigned w, h, bw, bh;
	TF_CHECK(bg_buf_printf(&shot, "%s/index.png", work) == 0 &&
			 bg_buf_printf(&flag, "--screenshot=%s", shot.ptr) == 0,
		 "oom");
	run_browser(browser, work, flag.ptr, url.ptr, NULL);
	size_t page = png_size(shot.ptr, &w, &h);
	bg_buf_clear(&shot);
	bg_buf_clear(&flag);
	TF_CHECK(bg_buf_printf(&shot, "%s/blank.png", work) == 0 &&
			 bg_buf_printf(&flag, "--screenshot=%s", shot.ptr) == 0,
		 "oom");
	run_browser(browser, work, flag.ptr, blank_url.ptr, NULL);
	size_t empty = png_size(shot.ptr, &bw, &bh);
	printf("screenshot %ux%u, %zu bytes; blank page %ux%u, %zu bytes\n", w, h, page, bw, bh,
	       empty);
	TF_CHECK(w >= WIDTH / 2 && h >= HEIGHT / 2 && w == bw && h == bh, "screenshot sizes");
	TF_CHECK(page > 4 * empty && page > 20000, "the screenshot looks empty: %zu bytes", page);

	bg_buf_free(&url);
	bg_buf_free(&path);
	bg_buf_free(&blank_url);
	bg_buf_free(&flag);
	bg_buf_free(&shot);
	free(abs);
	TF_CHECK(bg_fs_rmtree(dir) == 0 && bg_fs_rmtree(work) == 0, "rm");
	free(dir);
	free(work);
	free(browser);
	site_fixture_free(&f);
}
