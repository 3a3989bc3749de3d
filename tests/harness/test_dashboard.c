/* harness/dashboard.c: the commit line of `bitgate site`, made from stored commits. */
#include <stdio.h>
#include <string.h>

#include "bg_dashboard.h"
#include "tf.h"

/* Commits sorted by time then SHA, as the database hands them: where times tie, a child
 * whose SHA sorts first must still come after its parent. */
TF_TEST(dashboard__ties_follow_first_parents)
{
	struct bg_commit v[5];
	memset(v, 0, sizeof(v));
	static const char *const sha[5] = {"a1", "f2", "c3", "b4", "e5"};
	static const char *const parent[5] = {"", "a1", "b4", "f2", "c3"};
	static const int64_t time[5] = {1, 2, 2, 2, 3};
	for (int i = 0; i < 5; i++) {
		snprintf(v[i].sha, sizeof(v[i].sha), "%s", sha[i]);
		snprintf(v[i].parent, sizeof(v[i].parent), "%s", parent[i]);
		v[i].time = time[i];
	}
	/* the line is a1 <- f2 <- b4 <- c3 <- e5; the database gives f2, c3, b4 at time 2 */
	bg_dashboard_order_ties(v, 5);
	static const char *const want[5] = {"a1", "f2", "b4", "c3", "e5"};
	for (int i = 0; i < 5; i++)
		TF_CHECK(!strcmp(v[i].sha, want[i]), "position %d: %s, want %s", i, v[i].sha,
			 want[i]);
	/* commits of different times stay as they are, parents or not */
	bg_dashboard_order_ties(v, 5);
	for (int i = 0; i < 5; i++)
		TF_CHECK(!strcmp(v[i].sha, want[i]), "again, position %d: %s", i, v[i].sha);
}
