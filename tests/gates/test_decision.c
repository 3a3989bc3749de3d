/* The names of verdicts, gate statuses and conclusions (gates/decision.c): each name reads
 * back to its value, anything outside the tables is "unknown" or -1. */
#include <string.h>

#include "bg_decision.h"
#include "tf.h"

TF_TEST(decision__names_read_back)
{
	static const char *const verdicts[] = {"no change", "faster", "slower", "noisy", "missing"};
	for (int v = BG_VERDICT_NO_CHANGE; v <= BG_VERDICT_MISSING; v++) {
		TF_CHECK(!strcmp(bg_verdict_name((enum bg_verdict)v), verdicts[v]),
			 "verdict %d: %s", v, bg_verdict_name((enum bg_verdict)v));
		TF_CHECK_EQ(bg_verdict_parse(verdicts[v]), v);
	}
	static const char *const statuses[] = {"pass", "fail", "skipped"};
	for (int s = BG_GATE_PASS; s <= BG_GATE_SKIPPED; s++) {
		TF_CHECK(!strcmp(bg_gate_status_name((enum bg_gate_status)s), statuses[s]),
			 "status %d: %s", s, bg_gate_status_name((enum bg_gate_status)s));
		TF_CHECK_EQ(bg_gate_status_parse(statuses[s]), s);
	}
	TF_CHECK(!strcmp(bg_conclusion_name(0), "success") &&
			 !strcmp(bg_conclusion_name(1), "failure") &&
			 !strcmp(bg_conclusion_name(2), "neutral"),
		 "conclusions");
	for (int c = 0; c < 3; c++)
		TF_CHECK_EQ(bg_conclusion_parse(bg_conclusion_name(c)), c);
}

TF_TEST(decision__unknown_names)
{
	TF_CHECK(!strcmp(bg_verdict_name((enum bg_verdict)5), "unknown"), "verdict 5");
	TF_CHECK(!strcmp(bg_verdict_name((enum bg_verdict) - 1), "unknown"), "verdict -1");
	TF_CHECK(!strcmp(bg_gate_status_name((enum bg_gate_status)3), "unknown"), "status 3");
	TF_CHECK(!strcmp(bg_conclusion_name(3), "unknown"), "conclusion 3");
	TF_CHECK(!strcmp(bg_conclusion_name(-1), "unknown"), "conclusion -1");
	TF_CHECK_EQ(bg_verdict_parse("slow"), -1);
	TF_CHECK_EQ(bg_verdict_parse("Slower"), -1);
	TF_CHECK_EQ(bg_verdict_parse(NULL), -1);
	TF_CHECK_EQ(bg_gate_status_parse(""), -1);
	TF_CHECK_EQ(bg_gate_status_parse(NULL), -1);
	TF_CHECK_EQ(bg_conclusion_parse("unknown"), -1);
	TF_CHECK_EQ(bg_conclusion_parse(NULL), -1);
}
