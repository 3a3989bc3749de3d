/* libFuzzer harness: a stored decision (reports/report_json.c bg_decision_from_json), then
 * rendered by every writer of bg_report_writers (md, json, table, check-run). What `bitgate
 * report` reads back must survive the trip: the JSON writer's output read again gives the
 * same JSON, and the check-run payload is JSON. */
#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_error.h"
#include "bg_report.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one writer prints (malloc'd), or NULL when it failed. */
static char *render(const struct bg_report_writer *w, const struct bg_decision *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	FUZZ_CHECK(f != NULL, "open_memstream failed");
	int rc = w->write(f, d);
	FUZZ_CHECK(fclose(f) == 0, "cannot close the output stream");
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The stored form read back gives the same stored form. */
static void check_round_trip(const char *json)
{
	struct bg_decision *again = NULL;
	FUZZ_CHECK(bg_decision_from_json(&again, json, strlen(json), "rendered json") == 0,
		   "the json writer's output is not read back");
	char *twice = NULL;
	FUZZ_CHECK(bg_decision_to_json(again, &twice) == 0, "the re-read decision not written");
	FUZZ_CHECK(strncmp(json, twice, strlen(twice)) == 0, "json changed when read back");
	free(twice);
	bg_decision_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct bg_decision *d = (struct bg_decision *)&d; /* must be reset */
	int rc = bg_decision_from_json(&d, text, size, "fuzz input");
	free(text);
	if (rc < 0) {
		FUZZ_CHECK(d == NULL, "a decision came back with an error");
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
		bg_error_clear();
		return 0;
	}
	for (const struct bg_report_writer *w = bg_report_writers; w->name; w++) {
		char *out = render(w, d);
		if (out && !strcmp(w->name, "json"))
			check_round_trip(out);
		if (out && !strcmp(w->name, "check-run")) {
			cJSON *payload = cJSON_Parse(out);
			FUZZ_CHECK(payload != NULL, "the check-run payload is not JSON");
			cJSON_Delete(payload);
		}
		free(out);
	}
	bg_decision_free(d);
	bg_error_clear();
	return 0;
}
