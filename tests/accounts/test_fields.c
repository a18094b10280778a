/* test_fields.c - the account fields of the HTTP contract: the seed client's password
 * transform in both directions (ASCII, Chinese, characters outside the BMP, a result holding
 * NUL), user names, email shapes and password lengths.
 *
 * Run by CTest as `test_accounts_fields`; needs no server.
 */
#include "check.h"
#include "uschat/account_fields.h"

static void s_expect_transform(const char *plain, size_t plain_len, const char *wire,
                               size_t wire_len)
{
    char out[512];
    size_t n = 0;
    CHECK_INT(account_pwd_transform(plain, plain_len, out, sizeof out, &n), 0);
    CHECK_INT(n, wire_len);
    CHECK(memcmp(out, wire, n) == 0);
    /* the transform is its own inverse: what the gate does undoes what the client did */
    char back[512];
    size_t m = 0;
    CHECK_INT(account_pwd_transform(out, n, back, sizeof back, &m), 0);
    CHECK_INT(m, plain_len);
    CHECK(memcmp(back, plain, m) == 0);
}

static void s_test_transform(void)
{
    /* 6 units: every unit XOR 6 */
    s_expect_transform("123456", 6, "745230", 6);
    /* 密码测试12: 6 units, the same vector the client core is tested with */
    const char *cjk = "\xe5\xaf\x86\xe7\xa0\x81\xe6\xb5\x8b\xe8\xaf\x95"
                      "12";
    const char *cjk_wire = "\xe5\xaf\x80\xe7\xa0\x87\xe6\xb5\x8d\xe8\xaf\x93"
                           "74";
    s_expect_transform(cjk, strlen(cjk), cjk_wire, strlen(cjk_wire));
    /* U+1F600 is two UTF-16 units: "😀abcdef" has 8 units, key 8; the pair stays a pair */
    const char *emoji = "\xf0\x9f\x98\x80"
                        "abcdef";
    char out[64];
    size_t n = 0;
    CHECK_INT(account_pwd_transform(emoji, strlen(emoji), out, sizeof out, &n), 0);
    CHECK_INT(n, 10);                               /* still 4 + 6 bytes */
    CHECK(memcmp(out, "\xf0\x9d\x98\x88", 4) == 0); /* U+1D608 = D835 DE08 */
    CHECK(memcmp(out + 4, "ijklmn", 6) == 0);       /* 'a' ^ 8 = 'i' */
    s_expect_transform(emoji, strlen(emoji), out, n);
    /* 48 units with a '0' (0x30 = 48) in it: the wire form holds NUL, which must survive */
    char plain48[49];
    memset(plain48, 'a', 48);
    plain48[10] = '0';
    plain48[48] = '\0';
    CHECK_INT(account_pwd_transform(plain48, 48, out, sizeof out, &n), 0);
    CHECK_INT(n, 48);
    CHECK(out[10] == '\0');
    s_expect_transform(plain48, 48, out, n);
    /* an ASCII character may become a 2-byte one: 'z' (0x7A) with key 250 -> U+0080 */
    char plain250[251];
    memset(plain250, 'z', 250);
    plain250[250] = '\0';
    char big[520];
    CHECK_INT(account_pwd_transform(plain250, 250, big, sizeof big, &n), 0);
    CHECK_INT(n, 500);
    CHECK(memcmp(big, "\xc2\x80", 2) == 0);
    /* invalid UTF-8 and short buffers are errors, not crashes */
    CHECK_INT(account_pwd_transform("\xff\xfe", 2, out, sizeof out, &n), -1);
    CHECK_INT(account_pwd_transform("\xe5\xaf", 2, out, sizeof out, &n), -1);
    CHECK_INT(account_pwd_transform("\xed\xa0\x80", 3, out, sizeof out, &n), -1); /* surrogate */
    CHECK_INT(account_pwd_transform("\xc0\xaf", 2, out, sizeof out, &n), -1);     /* overlong */
    CHECK_INT(account_pwd_transform("123456", 6, out, 4, &n), -1);
    CHECK_INT(account_pwd_transform("", 0, out, sizeof out, &n), 0);
    CHECK_INT(n, 0);
}

static void s_test_names(void)
{
    CHECK(account_name_valid("alice", 5));
    CHECK(account_name_valid("Bob_42", 6));
    CHECK(account_name_valid("王小明", strlen("王小明")));
    CHECK(account_name_valid("さくら_1", strlen("さくら_1")));
    CHECK(account_name_valid("김민수", strlen("김민수")));
    CHECK(account_name_valid("12345678901234567890123456789012", 32));
    CHECK(!account_name_valid("123456789012345678901234567890123", 33));
    const char *cjk32 = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二";
    CHECK(account_name_valid(cjk32, strlen(cjk32)));
    const char *cjk33 = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三";
    CHECK(!account_name_valid(cjk33, strlen(cjk33)));
    CHECK(!account_name_valid("", 0));
    CHECK(!account_name_valid("a b", 3));
    CHECK(!account_name_valid("a-b", 3));
    CHECK(!account_name_valid("a\0b", 3));
    CHECK(!account_name_valid("ali\xc3\xa9", 5));      /* é: not in the allowed set */
    CHECK(!account_name_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
    CHECK(!account_name_valid("\xe7\x8e", 2));         /* truncated */
    CHECK(!account_name_valid("<script>", 8));
}

static void s_test_emails(void)
{
    char out[ACCOUNT_EMAIL_MAX + 1];
    CHECK(account_email_normalize("Alice@Example.COM", 17, out));
    CHECK_STR(out, "alice@example.com");
    CHECK(account_email_normalize("a.b+tag@mail.example.org", 24, out));
    CHECK(account_email_normalize("x_y@a-b.cn", 10, out));
    const char *bad[] = {"",
                         "alice",
                         "alice@",
                         "@example.com",
                         "a@b",
                         "a@@b.com",
                         "a@b..com",
                         ".a@b.com",
                         "a.@b.com",
                         "a..b@c.com",
                         "a@-b.com",
                         "a@b-.com",
                         "a b@c.com",
                         "a@b.com\r\nBcc: x@y.com",
                         "a@b.c_m",
                         "a@b.com.",
                         "王@例子.中国",
                         "a<b>@c.com",
                         "a@b,c.com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (account_email_normalize(bad[i], strlen(bad[i]), out)) {
            fprintf(stderr, "accepted bad email [%s]\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(!account_email_normalize("a@b\0.com", 8, out));
    char longest[300];
    memset(longest, 'a', sizeof longest);
    memcpy(longest + 64, "@", 1);
    memcpy(longest + 250, ".com", 4); /* 254 bytes, but a label over 63 */
    CHECK(!account_email_normalize(longest, 254, out));
    char local65[80];
    memset(local65, 'a', 65);
    memcpy(local65 + 65, "@b.com", 7);
    CHECK(!account_email_normalize(local65, strlen(local65), out));
}

static void s_test_passwords(void)
{
    CHECK(account_password_valid("123456", 6));
    CHECK(!account_password_valid("12345", 5));
    CHECK(account_password_valid("密码测试12", strlen("密码测试12")));
    CHECK(!account_password_valid("密码测试1", strlen("密码测试1")));
    char p64[65], p65[66];
    memset(p64, 'x', 64);
    memset(p65, 'x', 65);
    CHECK(account_password_valid(p64, 64));
    CHECK(!account_password_valid(p65, 65));
    CHECK(!account_password_valid("abc\0def", 7));
    CHECK(!account_password_valid("abc\ndef", 7));
    CHECK(!account_password_valid("\xff\xff\xff\xff\xff\xff", 6));
    CHECK_INT(account_utf8_count("密码ab", strlen("密码ab")), 4);
    CHECK_INT(account_utf8_count("\xf4\x90\x80\x80", 4), -1); /* past U+10FFFF */
}

int main(void)
{
    s_test_transform();
    s_test_names();
    s_test_emails();
    s_test_passwords();
    printf("fields: ok\n");
    return 0;
}
