/* common/strmap.c: every key found with its value after the table grows, absent keys not
 * found, a put on a present key replacing its value, and keys that share a slot kept apart. */
#include <stdio.h>
#include <string.h>

#include "bg_strmap.h"
#include "tf.h"

TF_TEST(strmap__get_put_and_growth)
{
	static char keys[5000][16];
	struct bg_strmap m = BG_STRMAP_INIT;
	size_t v = 7;
	TF_CHECK_EQ(bg_strmap_get(&m, "absent", &v), 0);
	TF_CHECK_EQ(v, 7);
	for (size_t i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "bench/%zu", i);
		TF_CHECK_EQ(bg_strmap_put(&m, keys[i], i), 0);
	}
	TF_CHECK_EQ(m.n, 5000);
	TF_CHECK(m.cap >= 2 * m.n && (m.cap & (m.cap - 1)) == 0, "cap %zu", m.cap);
	for (size_t i = 0; i < 5000; i++)
		TF_CHECK(bg_strmap_get(&m, keys[i], &v) == 1 && v == i, "%s -> %zu", keys[i], v);
	TF_CHECK_EQ(bg_strmap_get(&m, "bench/5000", &v), 0);
	TF_CHECK_EQ(bg_strmap_get(&m, "", &v), 0);
	/* a second put of a key (an equal string at another address) sets its value */
	char again[16] = "bench/42";
	TF_CHECK_EQ(bg_strmap_put(&m, again, 99), 0);
	TF_CHECK_EQ(m.n, 5000);
	TF_CHECK(bg_strmap_get(&m, "bench/42", &v) == 1 && v == 99, "replaced: %zu", v);
	TF_CHECK_EQ(bg_strmap_put(&m, "", 1), 0);
	TF_CHECK(bg_strmap_get(&m, "", &v) == 1 && v == 1, "the empty key");
	bg_strmap_free(&m);
	TF_CHECK(m.slots == NULL && m.cap == 0 && m.n == 0, "reset");
}
