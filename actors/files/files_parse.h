/* files_parse.h - the checks of what a client puts in the files service's request headers:
 * numbers, tus Upload-Metadata, file names, MIME types against the allowed list, Range, ids.
 *
 * Pure functions with no I/O and no allocation beyond what they return in caller buffers, so
 * the fuzz target (tests/fuzz/fuzz_files_headers.c) drives them as the HTTP threads do. Any
 * thread.
 */
#ifndef USCHAT_FILES_PARSE_H
#define USCHAT_FILES_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILES_NAME_MAX 255 /* bytes of UTF-8 in a file name */
#define FILES_TYPE_MAX 127 /* bytes of a MIME type */
#define FILES_ID_LEN   32  /* hex digits of an upload or file id (128 random bits) */
#define FILES_SHA_LEN  64  /* hex digits of a SHA-256 */

/* What Upload-Metadata carries (tus: "key base64,key base64"); strings NUL-terminated. */
typedef struct {
    char name[FILES_NAME_MAX + 1];
    char type[FILES_TYPE_MAX + 1];
    char sha256[FILES_SHA_LEN + 1]; /* lower-case hex */
} files_meta_t;

/* A plain decimal (digits only, no sign, no blanks) into *out. 0, or -EINVAL (also on
 * overflow). */
int files_parse_u64(const char *text, uint64_t *out);
/* Upload-Metadata into *out: name, type and sha256 are required; unknown keys are ignored;
 * a key twice, a value that is not base64, or too long, is refused. 0, or -EINVAL with a
 * sentence for the client in *why. */
int files_parse_metadata(const char *text, files_meta_t *out, const char **why);
/* 0 when name is a file name the service keeps: 1..FILES_NAME_MAX bytes of valid UTF-8, no
 * control characters, no '/' or '\\', not "." or "..", not starting with '.' nor ending in
 * a space or dot. -EINVAL with a sentence in *why. */
int files_check_name(const char *name, const char **why);
/* True when type ("image/png") is of the shape type/subtype and matches one entry of allowed
 * (blank-separated; a type "image" followed by "/" and "*" matches every image subtype; "*" alone
 * matches all). */
bool files_type_allowed(const char *allowed, const char *type);
/* A Range header against a file of size bytes: 1 with [*first, *last] for one satisfiable
 * "bytes=a-b", "bytes=a-" or "bytes=-n"; 0 when there is no usable range (absent, or a form
 * the service does not serve: the whole file is sent); -1 when unsatisfiable (416). */
int files_parse_range(const char *text, uint64_t size, uint64_t *first, uint64_t *last);
/* True when text is exactly len lower-case hex digits. */
bool files_is_hex(const char *text, size_t len);

#endif
