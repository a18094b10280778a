/* test_passwd.c - the seed's password transform: what the gate receives for a typed password,
 * for ASCII, Chinese, and characters outside the BMP (surrogate pairs), and that bad UTF-8 is
 * refused. Expected bytes were computed independently (UTF-16 units XOR count % 255).
 */
#include <stdlib.h>
#include <string.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "uschat_client.h"

static void s_expect(const char *in, const char *want, size_t want_len)
{
    char *out = NULL;
    size_t len = 0;
    CHECK_INT(uschat_passwd_xor(in, strlen(in), &out, &len), 0);
    CHECK_INT(len, want_len);
    CHECK(out && memcmp(out, want, want_len) == 0);
    CHECK(out && out[len] == '\0');
    /* the transform is its own inverse: the gate gets the typed password back */
    char *back = NULL;
    size_t back_len = 0;
    CHECK_INT(uschat_passwd_xor(out, len, &back, &back_len), 0);
    CHECK_INT(back_len, strlen(in));
    CHECK(back && memcmp(back, in, back_len) == 0);
    free(back);
    free(out);
}

static void test_ascii(void)
{
    s_expect("123456", "745230", 6); /* 6 units: key 6 */
}

static void test_chinese(void)
{
    /* 密码测试12: 6 units, key 6 */
    s_expect("\xe5\xaf\x86\xe7\xa0\x81\xe6\xb5\x8b\xe8\xaf\x95"
             "12",
             "\xe5\xaf\x80\xe7\xa0\x87\xe6\xb5\x8d\xe8\xaf\x93\x37\x34", 14);
}

static void test_surrogate_pairs(void)
{
    /* U+1F600 "abc": 5 units (the emoji is two), key 5; D83D DE00 -> D838 DE05 = U+1E205 */
    s_expect("\xf0\x9f\x98\x80"
             "abc",
             "\xf0\x9e\x88\x85\x64\x67\x66", 7);
    /* 我的密码 U+1F600 U+1F603 x: 9 units, key 9 */
    s_expect("\xe6\x88\x91\xe7\x9a\x84\xe5\xaf\x86\xe7\xa0\x81\xf0\x9f\x98\x80\xf0\x9f\x98\x83x",
             "\xe6\x88\x98\xe7\x9a\x8d\xe5\xaf\x8f\xe7\xa0\x88\xf0\x9d\x88\x89\xf0\x9d\x88\x8a\x71",
             21);
}

static void test_key_edges(void)
{
    /* 48 units: key 48 = '0', so '0' becomes U+0000 inside the result */
    char in[49];
    memset(in, 'a', 48);
    in[0] = '0';
    in[48] = '\0';
    char *out = NULL;
    size_t len = 0;
    CHECK_INT(uschat_passwd_xor(in, 48, &out, &len), 0);
    CHECK_INT(len, 48);
    CHECK(out && out[0] == '\0' && out[1] == ('a' ^ 48));
    free(out);

    /* 200 units: key 200 >= 0x80, so ASCII becomes 2-byte UTF-8: 'a' ^ 200 = U+00A9 */
    char big[201];
    memset(big, 'a', 200);
    big[200] = '\0';
    CHECK_INT(uschat_passwd_xor(big, 200, &out, &len), 0);
    CHECK_INT(len, 400);
    CHECK(out && (unsigned char)out[0] == 0xC2 && (unsigned char)out[1] == 0xA9);
    free(out);

    /* 255 units: key 0, unchanged */
    char same[256];
    memset(same, 'z', 255);
    same[255] = '\0';
    CHECK_INT(uschat_passwd_xor(same, 255, &out, &len), 0);
    CHECK(out && len == 255 && memcmp(out, same, 255) == 0);
    free(out);

    /* empty in, empty out */
    CHECK_INT(uschat_passwd_xor("", 0, &out, &len), 0);
    CHECK(out && len == 0);
    free(out);
}

static void test_invalid_utf8(void)
{
    const char *bad[] = {
        "\xc0\x80",         /* overlong NUL */
        "\xed\xa0\x80",     /* a UTF-16 surrogate encoded as UTF-8 */
        "\xe4\xbd",         /* truncated */
        "ab\xff",           /* never valid */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\x80",             /* lone continuation byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = (char *)1;
        CHECK_INT(uschat_passwd_xor(bad[i], strlen(bad[i]), &out, NULL), USCHAT_E_ARG);
        CHECK(out == NULL);
    }
}

int main(void)
{
    RUN(test_ascii);
    RUN(test_chinese);
    RUN(test_surrogate_pairs);
    RUN(test_key_edges);
    RUN(test_invalid_utf8);
    return CHECK_DONE();
}
