/* common/hash.c: SHA-256 against the FIPS 180-2 appendix B known answers, whole and fed in
 * uneven pieces. */
#include <stdint.h>
#include <string.h>

#include "bg_hash.h"
#include "tf.h"

TF_TEST(common__sha256_known_answers)
{
	char hex[65];
	bg_sha256_hex(hex, "", 0);
	TF_CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		 "empty: %s", hex);
	bg_sha256_hex(hex, "abc", 3);
	TF_CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		 "abc: %s", hex);
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	bg_sha256_hex(hex, two, strlen(two));
	TF_CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
		 "two blocks: %s", hex);
	/* a million 'a', fed in uneven pieces to cross block boundaries every way */
	struct bg_sha256 s;
	bg_sha256_init(&s);
	char a[997];
	memset(a, 'a', sizeof(a));
	size_t left = 1000000;
	for (size_t piece = 1; left; piece = piece % 997 + 1) {
		size_t n = piece < left ? piece : left;
		bg_sha256_update(&s, a, n);
		left -= n;
	}
	uint8_t d[32];
	bg_sha256_final(&s, d);
	bg_hex(hex, d, 32);
	TF_CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
		 "million a: %s", hex);
}
