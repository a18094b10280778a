/* proto_literals.c - CTest `proto_literals`: no message id, error code or JSON field name of
 * the client protocol is written out in the C sources; they come from schema/messages/client.def,
 * http.def and errors.def through their generated names (USCHAT_ID_*, USCHAT_ERR_*,
 * USCHAT_FIELD()).
 *
 *     proto_literals ROOT DIR... [--keys DIR...]
 *
 * exits 1 listing every offending file:line, 0 when clean. Walks each ROOT/DIR recursively for
 * .c, .h and .cpp files and reads them as C tokens.
 *
 * Numbers (the DIRs before --keys): comments, string and character literals are skipped (prose
 * and log text may cite an id), and every integer literal whose value is in 1005-1199 (ids 1005
 * and up, error codes 1005 and up) is reported. The tables themselves are .def files and are
 * not read. One documented exception: 1024, a KiB in every buffer size (the heartbeat reply id
 * it also is appears only as USCHAT_ID_HEARTBEAT_RSP). Codes 1001-1004 are not checked: they
 * are everyday numbers too (timeouts, sizes). Not read: the shell scripts that speak raw frames
 * from embedded Python (tests/stack/up_down_test.sh, tools/bench_chat/bench_chat.sh), which
 * check the wire as an outside client sees it.
 *
 * Field names (the DIRs after --keys: the servers' and the client's sources): the names are
 * every field of every shape of the tables (uschat_proto_*()), and a string literal is
 * reported when
 *   - it equals a field name and stands inside the arguments of a call to a function whose name
 *     contains "json" (jansson's json_object_get/set*, json_pack, the chat node's chat_json_*),
 *     at any depth: a key read or written by name instead of USCHAT_FIELD(SHAPE, name); or
 *   - it holds a field name as a JSON key, \"name\": (a body written out as C text).
 * A name as a value or in a log line is not a key and passes. The tools and tests are not read
 * for keys: the tools' own JSON reports share words (name, host, threads) with the protocol, and
 * the tests speak the wire as an outside client does. A command-line test, single-threaded.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "uschat/client_proto.h"

#define LOW       (1000 + 5) /* spelled so that this file passes its own check */
#define HIGH      (1200 - 1)
#define KIB_BYTES 1024 /* the one exception (above) */

static int s_found;
static bool s_keys; /* checking field names, not numbers */

/* ---- field names ------------------------------------------------------------------------- */

#define NAMES_MAX 256
static const char *s_names[NAMES_MAX];
static size_t s_name_count;

static void s_add_shape(const uschat_shape_t *shape)
{
    for (size_t i = 0; i < shape->field_count; i++) {
        const char *name = shape->fields[i].name;
        size_t k = 0;
        while (k < s_name_count && strcmp(s_names[k], name) != 0)
            k++;
        if (k == s_name_count && s_name_count < NAMES_MAX)
            s_names[s_name_count++] = name;
    }
}

static void s_load_names(void)
{
    for (size_t i = 0; i < uschat_proto_msg_count(); i++)
        s_add_shape(&uschat_proto_msg_at(i)->body);
    for (size_t i = 0; i < uschat_proto_item_count(); i++)
        s_add_shape(uschat_proto_item_at(i));
    for (size_t i = 0; i < USCHAT_HTTP_ROUTE_COUNT; i++) {
        s_add_shape(&uschat_proto_http_at(i)->request);
        s_add_shape(&uschat_proto_http_at(i)->reply);
    }
    s_add_shape(uschat_proto_http_refusal());
}

/* The field name that s[0, len) is exactly, or NULL. */
static const char *s_name_of(const char *s, size_t len)
{
    for (size_t k = 0; k < s_name_count; k++)
        if (strlen(s_names[k]) == len && memcmp(s_names[k], s, len) == 0)
            return s_names[k];
    return NULL;
}

/* A string literal's body [start, end) (between its quotes, escapes as written): reported when
 * it is a field name inside a json call, or holds \"name\": for a field name. */
static void s_string(const char *path, int line, const char *start, const char *end, bool in_json)
{
    const char *name = in_json ? s_name_of(start, (size_t)(end - start)) : NULL;
    if (name) {
        printf("%s:%d: \"%s\" as a JSON key: use USCHAT_FIELD(SHAPE, %s)\n", path, line, name,
               name);
        s_found++;
        return;
    }
    /* each pair of consecutive \" in turn: \"name\": is a key */
    for (const char *p = start; p + 1 < end; p++) {
        if (p[0] != '\\' || p[1] != '"')
            continue;
        const char *q = p + 2;
        while (q + 1 < end && !(q[0] == '\\' && q[1] == '"'))
            q++;
        if (q + 1 >= end)
            break;
        const char *after = q + 2;
        while (after < end && *after == ' ')
            after++;
        if (after < end && *after == ':' && (name = s_name_of(p + 2, (size_t)(q - p - 2)))) {
            printf("%s:%d: \\\"%s\\\": a JSON key written in C text: use USCHAT_FIELD(SHAPE, "
                   "%s) through \"%%s\"\n",
                   path, line, name, name);
            s_found++;
        }
        p = q - 1; /* the next round starts at q */
    }
}

/* ---- numbers, and the scan of a file ----------------------------------------------------- */

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

/* True when the identifier [s, s + len) contains "json" in any case. */
static bool s_json_name(const char *s, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if ((s[i] | 0x20) == 'j' && (s[i + 1] | 0x20) == 's' && (s[i + 2] | 0x20) == 'o' &&
            (s[i + 3] | 0x20) == 'n')
            return true;
    return false;
}

#define DEPTH_MAX 256 /* nested parentheses followed */

static void s_scan(const char *path, const char *text, size_t n)
{
    int line = 1;
    size_t i = 0;
    /* the open parentheses, each a json call or not, and the identifier just before */
    bool json_open[DEPTH_MAX];
    int depth = 0, json_depth = 0;
    const char *ident = NULL;
    size_t ident_len = 0;
    while (i < n) {
        char c = text[i];
        if (c == '(' || c == ')') {
            if (c == '(' && depth < DEPTH_MAX) {
                json_open[depth] = ident && s_json_name(ident, ident_len);
                json_depth += json_open[depth++];
            } else if (c == ')' && depth > 0) {
                json_depth -= json_open[--depth];
            }
            ident = NULL;
            i++;
            continue;
        }
        if (!s_ident_char(c) && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            ident = NULL;
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
            int first_line = line;
            size_t start = i + 1;
            for (i++; i < n && text[i] != c; i++) {
                if (text[i] == '\\')
                    i++;
                else if (text[i] == '\n')
                    line++;
            }
            if (s_keys && c == '"' && i <= n)
                s_string(path, first_line, text + start, text + i, json_depth > 0);
            i++;
        } else if (c >= '0' && c <= '9' && (i == 0 || !s_ident_char(text[i - 1]))) {
            size_t start = i;
            while (i < n && (s_ident_char(text[i]) || text[i] == '.' ||
                             ((text[i] == '+' || text[i] == '-') &&
                              (text[i - 1] == 'e' || text[i - 1] == 'E' || text[i - 1] == 'p' ||
                               text[i - 1] == 'P'))))
                i++;
            if (!s_keys)
                s_number(path, line, text + start, i - start);
        } else if (s_ident_char(c)) {
            ident = text + i;
            while (i < n && s_ident_char(text[i]))
                i++;
            ident_len = (size_t)(text + i - ident);
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
        fprintf(stderr, "usage: proto_literals ROOT DIR... [--keys DIR...]\n");
        return 2;
    }
    s_load_names();
    int numbers = 0, keys = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--keys") == 0) {
            numbers = s_found;
            s_keys = true;
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], argv[i]);
        s_walk(path);
    }
    if (s_keys)
        keys = s_found - numbers;
    else
        numbers = s_found;
    if (numbers)
        fprintf(stderr,
                "%d client protocol ids or error codes written as numbers: use USCHAT_ID_* / "
                "USCHAT_ERR_* (schema/include/uschat/client_proto.h)\n",
                numbers);
    if (keys)
        fprintf(stderr,
                "%d client protocol field names written as JSON keys: use USCHAT_FIELD() "
                "(schema/include/uschat/client_proto.h) over %zu names of the tables\n",
                keys, s_name_count);
    return s_found ? 1 : 0;
}
