/* doc_text.c - the text buffer and up-to-date check of the documentation generators
 * (doc_text.h). Single-threaded command-line code.
 */
#include "doc_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void doc_add(doc_text_t *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->data ? t->data + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            exit(2);
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *p = realloc(t->data, cap);
        if (!p)
            exit(2);
        t->data = p;
        t->cap = cap;
    }
}

int doc_check(const doc_text_t *t, const char *path, const char *tables, const char *target)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    char *have = malloc(t->len + 2);
    size_t n = have ? fread(have, 1, t->len + 1, fp) : 0;
    fclose(fp);
    int same = have && n == t->len && memcmp(have, t->data, t->len) == 0;
    free(have);
    if (same)
        return 0;
    fprintf(stderr,
            "%s is out of date with %s: regenerate it with "
            "`cmake --build <build> --target %s`\n",
            path, tables, target);
    return 1;
}

int doc_finish(doc_text_t *t, int argc, char **argv, const char *tool, const char *tables,
               const char *target)
{
    int rc = 0;
    if (argc > 2 && strcmp(argv[1], "--check") == 0)
        rc = doc_check(t, argv[2], tables, target);
    else if (argc > 1) {
        fprintf(stderr, "usage: %s [--check FILE]\n", tool);
        rc = 2;
    } else if (fwrite(t->data, 1, t->len, stdout) != t->len)
        rc = 2;
    free(t->data);
    t->data = NULL;
    return rc;
}
