/* doc_text.h - a growing text buffer and the up-to-date check shared by the documentation
 * generators (docs_main.c: docs/messages.md, protocol_docs_main.c: docs/protocol.md).
 * Command-line tools, single-threaded; out of memory exits with status 2.
 */
#ifndef USCHAT_DOC_TEXT_H
#define USCHAT_DOC_TEXT_H

#include <stddef.h>

#include "uschat/printf_attr.h"

typedef struct {
    char *data;
    size_t len, cap;
} doc_text_t;

/* Appends printf-formatted text. */
USCHAT_PRINTF(2, 3) void doc_add(doc_text_t *t, const char *fmt, ...);

/* 0 when the file at path holds exactly t; else 1 with a note on stderr that names the CMake
 * target that regenerates it. */
int doc_check(const doc_text_t *t, const char *path, const char *tables, const char *target);

/* The tool's main after the text is built: prints t, or with `--check FILE` compares; frees
 * t. Returns the exit status. */
int doc_finish(doc_text_t *t, int argc, char **argv, const char *tool, const char *tables,
               const char *target);

#endif
