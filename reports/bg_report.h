/* Renderers of a decision (gates/bg_decision.h): the Markdown check-run report, the GitHub
 * check-run payload, a terminal table, and JSON (also the stored form, read back by
 * `bitgate report`, whose ids storage rewrites through bg_decision_json_set_ids), chosen by
 * name from one table of writers. Untrusted text (commit subjects, benchmark and test
 * names) is escaped for each output. */
#ifndef BG_REPORT_H
#define BG_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "bg_buf.h"
#include "bg_decision.h"

/* The Markdown report (GitHub-flavoured, tables): the verdict on its first line; the gates
 * table (Gate | Status | Evidence); key findings; the benchmark table (benchmark, base,
 * head, change, 95% interval, threshold, detectable, verdict); the strict-mode overhead;
 * tests per suite (passed/total, new failures by name); the evidence trail (commit SHAs and
 * subjects, binary hashes, machine, kernel IDs, run ids, the exact commands); the method.
 * Appends to out. 0 or BG_ENOMEM. */
int bg_report_markdown(struct bg_buf *out, const struct bg_decision *d);

/* The same with at most max_rows rows in the benchmark table (the most important first:
 * slower, missing, noisy, faster, no change) and a line counting the rows left out, by
 * verdict. The check-run payload uses it to fit GitHub's limit. */
int bg_report_markdown_rows(struct bg_buf *out, const struct bg_decision *d, size_t max_rows);

/* GitHub's check-run payload as JSON: {"name", "head_sha", "status": "completed",
 * "conclusion": "success"|"failure"|"neutral", "output": {"title", "summary", "text"}}, with
 * title <= 255 characters and summary and text <= 65535 characters each (cut at a line
 * boundary with a note saying so; never an invalid payload or a split UTF-8 sequence). */
int bg_report_checkrun(struct bg_buf *out, const struct bg_decision *d, const char *name);

/* The check runs of d as one JSON array: the overall payload first (bg_report_checkrun,
 * named name, default "bitgate"), then one per gate of d->gates in their order, named
 * "<name>/<gate>" ("bitgate/perf"), conclusion "success" (pass), "failure" (fail or a
 * status gates cannot name) or "neutral" (skipped); its title "<gate>: PASS|FAIL|SKIPPED —
 * evidence", its summary the status, the evidence and the overall verdict line, its text
 * the overall text; each within the same limits. Branch protection requires checks by
 * name, so a team can require some gates and not others. 0 or BG_ENOMEM. */
int bg_report_checkruns(struct bg_buf *out, const struct bg_decision *d, const char *name);

/* The first line of the pull-request comment bitgate writes: a workflow finds the comment
 * again by it (and updates it in place). */
#define BG_COMMENT_MARKER "<!-- bitgate:ledger v1 -->"

/* The most pushes the comment lists; older ones are counted, so the body stays within
 * GitHub's 65,536 characters for a comment. */
#define BG_COMMENT_MAX_PUSHES 50

/* The pull-request comment body: BG_COMMENT_MARKER, the verdict and gates table of d (cut
 * to fit), then the ledger, one line per push, newest first: "- `SHA` **PASS|FAIL|NEUTRAL**
 * · 2026-12-03 10:40 UTC · [run](run_url)" (run_url NULL: "run link unknown"), then the
 * earlier pushes kept from prev (the current body, prev_len bytes; NULL or empty on the
 * first push): only the lines between the ledger's own markers that have exactly that
 * form; the rest of prev is ignored, never copied. A line for run_url itself (a re-run)
 * is replaced. At most BG_COMMENT_MAX_PUSHES lines, then a count of the older ones.
 * SHA is push_sha, the commit the push is known by (on a pull request its head, not the
 * merge commit CI checked out), or NULL for d's head; shown as its first 12 hex digits.
 * Appends to out. 0, BG_ENOMEM, or BG_EINPUT when run_url is not valid (below). */
int bg_report_comment(struct bg_buf *out, const struct bg_decision *d, const char *push_sha,
		      const char *run_url, const char *prev, size_t prev_len);

/* 1 when url can be the comment's run link: http:// or https://, at most 300 characters,
 * none that could end a Markdown link or start markup (no spaces, quotes, brackets,
 * parentheses, angle brackets, backticks, backslashes, pipes). */
int bg_report_comment_url_valid(const char *url);

/* The comparison as a terminal table (benchmark, base and head times, change %, 95%
 * interval, threshold, verdict), then the gates when there are any. */
void bg_report_table(FILE *out, const struct bg_decision *d);

/* The decision as JSON (every field), and back. from_json: BG_EINPUT naming origin on a
 * malformed document. */
int bg_decision_to_json(const struct bg_decision *d, char **out);
int bg_decision_from_json(struct bg_decision **out, const char *text, size_t len,
			  const char *origin);

/* The stored decision JSON with its ids set: "id", the "run_id" of base and head, and that of
 * each element of "modes", mode_runs[k] for the k-th (where they are numbers; a decision
 * stored before modes were general has one "strict" object, which takes mode_runs[0];
 * mode_runs NULL sets them all to 0),
 * printed unformatted into *out (malloc'd). What storage (db/) is handed to export and
 * import decisions without reading their schema (bg_db_decision_ids_fn). BG_EINPUT when json
 * is not JSON. */
int bg_decision_json_set_ids(char **out, const char *json, int64_t id, int64_t base_run,
			     int64_t head_run, const int64_t *mode_runs, size_t n_mode_runs);

/* Escapes text for a GitHub Markdown table cell: '|' , backslash, backticks, '<', '>', '&',
 * '*', '_', '[', ']' and newlines cannot break the table or inject HTML or links. */
int bg_md_escape_cell(struct bg_buf *out, const char *text);

/* A decision renderer by name, writing to out: "md" (the Markdown report), "json" (the
 * stored form, one line break after), "table" (bg_report_table), "check-run" (the array of
 * payloads, bg_report_checkruns named "bitgate", one line break after). 0 or the renderer's error.
 */
struct bg_report_writer {
	const char *name;
	int (*write)(FILE *out, const struct bg_decision *d);
};

/* Every writer, in the order usage messages list them; ends with a NULL name. */
extern const struct bg_report_writer bg_report_writers[];

/* The writer called name, or NULL. */
const struct bg_report_writer *bg_report_writer_find(const char *name);

/* The writers' names into out (at most cap - 1, then NULL); returns how many. */
size_t bg_report_writer_names(const char **out, size_t cap);

#endif
