/* varify_mail.c - the verification mail: composed as RFC 5322 text, sent through libcurl's
 * SMTP (smtp:// with optional or required STARTTLS, smtps://, optional login), or written as
 * one file per mail into a folder when no SMTP server is configured (the local default).
 *
 * Called from varify's worker threads; each send uses its own curl handle, so the threads
 * share nothing. The code appears only in the message body: never in a log line or an error.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "uschat/account_fields.h"
#include "varify_internal.h"

static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int varify_mail_global_init(void)
{
    /* curl_global_init is not thread-safe: once per process, whoever comes first */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    return pthread_once(&once, s_curl_init) == 0 ? 0 : -1;
}

void varify_mask_email(const char *email, char *out, size_t cap)
{
    const char *at = strchr(email, '@');
    if (!at || at == email)
        snprintf(out, cap, "***");
    else
        snprintf(out, cap, "%c***%s", email[0], at);
}

/* The address inside "Name <addr>", or the whole string. */
static void s_address_of(const char *from, char *out, size_t cap)
{
    const char *lt = strchr(from, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt && gt > lt + 1)
        snprintf(out, cap, "%.*s", (int)(gt - lt - 1), lt + 1);
    else
        snprintf(out, cap, "%s", from);
}

/* RFC 2047 encoded-word for a UTF-8 header text. */
static void s_encoded_word(const char *text, char *out, size_t cap)
{
    char b64[256];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, "=?UTF-8?B?%s?=", b64);
}

/* Quoted-printable (RFC 2045): 7-bit clean for any SMTP server, yet the ASCII lines (and so
 * the code) stay readable as they are. Lines end in CRLF; soft breaks keep lines <= 76. */
static int s_put_qp(FILE *f, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    int col = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\r' && p[1] == '\n') {
            fputs("\r\n", f);
            p++;
            col = 0;
            continue;
        }
        bool trailing_space = (*p == ' ' || *p == '\t') && (p[1] == '\r' || p[1] == '\0');
        bool literal =
            (*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !trailing_space);
        int width = literal ? 1 : 3;
        if (col + width > 75) {
            fputs("=\r\n", f);
            col = 0;
        }
        if (literal)
            fputc(*p, f);
        else
            fprintf(f, "=%c%c", hex[*p >> 4], hex[*p & 15]);
        col += width;
    }
    return ferror(f) ? -1 : 0;
}

char *varify_mail_compose(const varify_mail_config_t *cfg, const char *to, const char *code)
{
    char subject[300], date[64], from_addr[256], msgid[80];
    s_encoded_word("UsChat 验证码 / verification code", subject, sizeof subject);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    s_address_of(cfg->from, from_addr, sizeof from_addr);
    const char *domain = strchr(from_addr, '@');
    unsigned char id[12];
    char idhex[25];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(idhex, sizeof idhex, id, sizeof id);
    snprintf(msgid, sizeof msgid, "<%s%s>", idhex, domain ? domain : "@uschat.local");
    int minutes = (cfg->code_ttl_s + 59) / 60;
    char *body = NULL;
    if (asprintf(&body,
                 "您好！\r\n"
                 "\r\n"
                 "您的 UsChat 验证码是：%s\r\n"
                 "验证码 %d 分钟内有效。如果这不是您本人的操作，请忽略这封邮件。\r\n"
                 "\r\n"
                 "Hello,\r\n"
                 "\r\n"
                 "Your UsChat verification code is: %s\r\n"
                 "It is valid for %d minutes. If you did not ask for it, ignore this mail.\r\n",
                 code, minutes, code, minutes) < 0)
        return NULL;
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (!f) {
        free(body);
        return NULL;
    }
    fprintf(f,
            "From: %s\r\n"
            "To: <%s>\r\n"
            "Subject: %s\r\n"
            "Date: %s\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n",
            cfg->from, to, subject, date, msgid);
    int rc = s_put_qp(f, body);
    sodium_memzero(body, strlen(body));
    free(body);
    if (fclose(f) != 0 || rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- to a folder -------------------------------------------------------------------------- */

static int s_write_file(const varify_mail_config_t *cfg, const char *message, char *err,
                        size_t err_cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    unsigned char rnd[4];
    char hex[9], name[512], tmp[512];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(name, sizeof name, "%s/%lld.%06ld.%s.eml", cfg->mail_dir, (long long)tv.tv_sec,
             (long)tv.tv_usec, hex);
    snprintf(tmp, sizeof tmp, "%s/.%lld.%s.tmp", cfg->mail_dir, (long long)tv.tv_sec, hex);
    /* write then rename: a reader of the folder never sees half a mail */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot create a mail file in %s: %s", cfg->mail_dir,
                 strerror(errno));
        return -1;
    }
    size_t len = strlen(message), done = 0;
    while (done < len) {
        ssize_t w = write(fd, message + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int bad = done != len || fsync(fd) != 0;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, name) != 0) {
        snprintf(err, err_cap, "cannot write a mail file in %s: %s", cfg->mail_dir,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- by SMTP ------------------------------------------------------------------------------ */

typedef struct {
    const char *data;
    size_t len, pos;
} s_reader_t;

static size_t s_read(char *buf, size_t size, size_t nitems, void *arg)
{
    s_reader_t *r = arg;
    size_t room = size * nitems, left = r->len - r->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return n;
}

static int s_send_smtp(const varify_mail_config_t *cfg, const char *to, const char *message,
                       char *err, size_t err_cap)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(err, err_cap, "curl_easy_init failed");
        return -1;
    }
    char from_addr[256], from_path[260], rcpt[ACCOUNT_EMAIL_MAX + 3];
    char errbuf[CURL_ERROR_SIZE] = "";
    s_address_of(cfg->from, from_addr, sizeof from_addr);
    snprintf(from_path, sizeof from_path, "<%s>", from_addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    s_reader_t reader = {message, strlen(message), 0};

    curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM-based timeouts */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_path);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)reader.len);
    if (strncmp(cfg->smtp_url, "smtp://", 7) == 0) {
        if (strcmp(cfg->starttls, "require") == 0)
            curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        else if (strcmp(cfg->starttls, "off") != 0)
            curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    }
    if (cfg->smtp_user && *cfg->smtp_user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : "");
    }
    if (cfg->ca_file && *cfg->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = rcpts ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
    if (rc != CURLE_OK) {
        long response = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
        snprintf(err, err_cap, "smtp %s: %s (%s, server said %ld)", cfg->smtp_url,
                 curl_easy_strerror(rc), errbuf, response);
    }
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : -1;
}

int varify_mail_send(const varify_mail_config_t *cfg, const char *to, const char *code, char *err,
                     size_t err_cap)
{
    char *message = varify_mail_compose(cfg, to, code);
    if (!message) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    int rc = (cfg->smtp_url && *cfg->smtp_url) ? s_send_smtp(cfg, to, message, err, err_cap)
                                               : s_write_file(cfg, message, err, err_cap);
    sodium_memzero(message, strlen(message));
    free(message);
    return rc;
}
