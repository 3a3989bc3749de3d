/* bitgate.json's acknowledge list and nightly section: read, defaults, and each mistake
 * named by its path. */
#include <string.h>

#include "bg_config.h"
#include "bg_error.h"
#include "bg_nightly_config.h"
#include "tf.h"

static const char head[] = "{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}";

static int read_cfg(const char *extra, struct bg_config **cfg, struct bg_nightly_config *nc)
{
	char text[2048];
	snprintf(text, sizeof(text), "%s%s}", head, extra);
	int rc = bg_config_parse(cfg, text, strlen(text), "test.json");
	TF_CHECK(rc == 0, "parse: %s", bg_error_last());
	return bg_nightly_config_read(*cfg, nc);
}

TF_TEST(nightly_config__acks_and_settings)
{
	struct bg_config *cfg;
	struct bg_nightly_config nc;
	TF_CHECK_EQ(read_cfg("", &cfg, &nc), 0);
	TF_CHECK(nc.n_acks == 0 && nc.commit_url == NULL && nc.threshold == 0.03, "defaults");
	bg_nightly_config_clear(&nc);
	bg_config_free(cfg);
	TF_CHECK_EQ(read_cfg(", \"gates\": {\"perf\": {\"threshold\": 0.05}}", &cfg, &nc), 0);
	TF_CHECK(nc.threshold == 0.05, "threshold from gates.perf: %g", nc.threshold);
	bg_nightly_config_clear(&nc);
	bg_config_free(cfg);
	TF_CHECK_EQ(read_cfg(", \"nightly\": {\"commit_url\": \"https://x.test/c/{sha}\", "
			     "\"threshold\": 0.02}, \"acknowledge\": [{\"series\": \"gemv/*\", "
			     "\"commit\": \"abcdef1\", \"reason\": \"bigger tiles\"}]",
			     &cfg, &nc),
		    0);
	TF_CHECK(nc.threshold == 0.02 && !strcmp(nc.commit_url, "https://x.test/c/{sha}"),
		 "nightly section");
	TF_CHECK(nc.n_acks == 1 && !strcmp(nc.acks[0].series, "gemv/*") &&
			 !strcmp(nc.acks[0].commit, "abcdef1") &&
			 !strcmp(nc.acks[0].reason, "bigger tiles"),
		 "ack");
	bg_nightly_config_clear(&nc);
	bg_config_free(cfg);
}

TF_TEST(nightly_config__mistakes_are_named)
{
	static const struct {
		const char *extra, *needle;
	} bad[] = {
		{", \"nightly\": {\"commit_url\": \"javascript:alert(1)/{sha}\"}", "nightly.commit_url"},
		{", \"nightly\": {\"commit_url\": \"https://x.test/c/\"}", "nightly.commit_url"},
		{", \"nightly\": {\"threshold\": 2}", "nightly.threshold"},
		{", \"nightly\": {\"colour\": 1}", "nightly.colour"},
		{", \"acknowledge\": [{\"series\": \"a\", \"commit\": \"abc\", \"reason\": \"r\"}]",
		 "acknowledge[0]"},
		{", \"acknowledge\": [{\"series\": \"a\", \"commit\": \"ABCDEF12\", \"reason\": "
		 "\"r\"}]",
		 "acknowledge[0]"},
		{", \"acknowledge\": [{\"series\": \"a\", \"commit\": \"abcdef12\"}]",
		 "needs series, commit and reason"},
		{", \"acknowledge\": [{\"series\": \"a\", \"commit\": \"abcdef12\", \"reason\": \"r\", "
		 "\"by\": \"me\"}]",
		 "acknowledge[0].by"},
		{", \"acknowledge\": [7]", "acknowledge[0]"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bg_config *cfg;
		struct bg_nightly_config nc;
		TF_CHECK_EQ(read_cfg(bad[i].extra, &cfg, &nc), BG_EINPUT);
		TF_CHECK(strstr(bg_error_last(), bad[i].needle) != NULL, "case %zu: %s", i,
			 bg_error_last());
		bg_config_free(cfg);
	}
}
