/* fuzz_files_headers.c - libFuzzer target for the files service's header checks
 * (actors/files/files_parse.h): Upload-Metadata, file names, MIME types against the allowed
 * list, Range, decimal numbers and ids, as an HTTP thread of the service calls them.
 *
 * Input: up to five fields separated by '\n' (metadata, name, type, range, number). Checks,
 * beyond no crash: what is accepted obeys the contract (a name that passes has no '/', no
 * control character and fits; a range is inside the file; metadata's sha256 is 64 hex digits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *field[5] = {"", "", "", "", ""};
    char *p = text;
    for (int i = 0; i < 5 && p; i++) {
        field[i] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    const char *why = NULL;
    files_meta_t meta;
    if (files_parse_metadata(field[0], &meta, &why) == 0) {
        if (!files_is_hex(meta.sha256, FILES_SHA_LEN))
            abort();
        files_check_name(meta.name, &why);
        files_type_allowed("image/* text/plain", meta.type);
    }
    if (files_check_name(field[1], &why) == 0) {
        size_t n = strlen(field[1]);
        if (n == 0 || n > FILES_NAME_MAX || strchr(field[1], '/') || strchr(field[1], '\\'))
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)field[1][i] < 0x20)
                abort();
    }
    files_type_allowed(field[2], "image/png");
    files_type_allowed("image/* * text/plain", field[2]);
    uint64_t size_of_file = 0, first = 0, last = 0;
    if (files_parse_u64(field[4], &size_of_file) != 0)
        size_of_file = 1000;
    if (files_parse_range(field[3], size_of_file, &first, &last) == 1 &&
        (first > last || last >= size_of_file))
        abort();
    files_is_hex(field[4], FILES_ID_LEN);
    free(text);
    return 0;
}
