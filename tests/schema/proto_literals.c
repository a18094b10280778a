/* proto_literals.c - CTest `proto_literals`: no message id or error code of the client
 * protocol is written as a number in the C sources; they come from schema/messages/client.def
 * and errors.def through their generated names (USCHAT_ID_*, USCHAT_ERR_*).
 *
 *     proto_literals ROOT DIR...   exit 1 listing every offending file:line, 0 when clean
 *
 * Walks ROOT/DIR recursively for .c, .h and .cpp files and reads them as C tokens: comments,
 * string and character literals are skipped (prose and log text may cite an id), and every
 * integer literal whose value is in 1005-1099 (ids 1005 and up, error codes 1005 and up) is
 * reported. The tables themselves are .def files and are not read. One documented exception:
 * 1024, a KiB in every buffer size (the heartbeat reply id it also is appears only as
 * USCHAT_ID_HEARTBEAT_RSP). Codes 1001-1004 are not checked: they are everyday numbers too
 * (timeouts, sizes). Not read: the shell scripts that speak raw frames from embedded Python
 * (tests/stack/up_down_test.sh, tools/bench_chat/bench_chat.sh), which check the wire as an
 * outside client sees it. A command-line test, single-threaded.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOW       (1000 + 5) /* spelled so that this file passes its own check */
#define HIGH      (1100 - 1)
#define KIB_BYTES 1024 /* the one exception (above) */

static int s_found;

static bool s_ident_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A pp-number token [start, end): reports it when it is an integer in LOW..HIGH. */
static void s_number(const char *path, int line, const char *start, size_t len)
{
    char buf[64];
    if (len >= sizeof buf)
        return;
    memcpy(buf, start, len);
    buf[len] = '\0';
    char *end = NULL;
    unsigned long long v = strtoull(buf, &end, 0);
    while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
        end++;
    if (*end != '\0' || buf[0] == '0') /* a float, or octal/hex: not how ids are written */
        return;
    if (v >= LOW && v <= HIGH && v != KIB_BYTES) {
        printf("%s:%d: %s\n", path, line, buf);
        s_found++;
    }
}

static void s_scan(const char *path, const char *text, size_t n)
{
    int line = 1;
    size_t i = 0;
    while (i < n) {
        char c = text[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
            for (i += 2; i + 1 < n && !(text[i] == '*' && text[i + 1] == '/'); i++)
                if (text[i] == '\n')
                    line++;
            i += 2;
        } else if (c == '/' && i + 1 < n && text[i + 1] == '/') {
            while (i < n && text[i] != '\n')
                i++;
        } else if (c == '"' || c == '\'') {
            for (i++; i < n && text[i] != c; i++) {
                if (text[i] == '\\')
                    i++;
                else if (text[i] == '\n')
                    line++;
            }
            i++;
        } else if (c >= '0' && c <= '9' && (i == 0 || !s_ident_char(text[i - 1]))) {
            size_t start = i;
            while (i < n && (s_ident_char(text[i]) || text[i] == '.' ||
                             ((text[i] == '+' || text[i] == '-') &&
                              (text[i - 1] == 'e' || text[i - 1] == 'E' || text[i - 1] == 'p' ||
                               text[i - 1] == 'P'))))
                i++;
            s_number(path, line, text + start, i - start);
        } else if (s_ident_char(c)) {
            while (i < n && s_ident_char(text[i]))
                i++;
        } else {
            i++;
        }
    }
}

static bool s_source(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".c") == 0 || strcmp(dot, ".h") == 0 || strcmp(dot, ".cpp") == 0);
}

static void s_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = (cap + 65536) * 2;
            char *p = realloc(text, cap);
            if (!p)
                exit(2);
            text = p;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    s_scan(path, text, len);
    free(text);
}

static void s_walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            s_walk(path);
        else if (S_ISREG(st.st_mode) && s_source(e->d_name))
            s_file(path);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: proto_literals ROOT DIR...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], argv[i]);
        s_walk(path);
    }
    if (s_found) {
        fprintf(stderr,
                "%d client protocol ids or error codes written as numbers: use USCHAT_ID_* / "
                "USCHAT_ERR_* (schema/include/uschat/client_proto.h)\n",
                s_found);
        return 1;
    }
    return 0;
}
