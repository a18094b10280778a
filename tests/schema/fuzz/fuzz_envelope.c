/* fuzz_envelope.c - libFuzzer target for the broker envelope decoder.
 *
 * Any input: decode must not crash, read out of bounds or allocate. What decodes must
 * re-encode within ENVELOPE_MAX_SIZE and decode again to the same envelope.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_t e, again;
    if (envelope_decode(data, size, &e) < 0) {
        static const envelope_t zero;
        if (memcmp(&e, &zero, sizeof e) != 0)
            abort();
        return 0;
    }
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(&e, buf, sizeof buf);
    if (n <= 0 || n > ENVELOPE_MAX_SIZE)
        abort();
    if (envelope_decode(buf, (size_t)n, &again) != 0 || memcmp(&e, &again, sizeof e) != 0)
        abort();
    (void)envelope_kind_name(e.kind);
    (void)route_error_name(e.error);
    return 0;
}
