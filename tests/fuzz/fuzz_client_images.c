/* fuzz_client_images.c - libFuzzer target for the desktop client's picture decoding
 * (client_sdl/src/ui_image.h): the bytes of a downloaded picture through ui_image_decode()
 * with the full-picture limits, and the same input as the base64 preview of a message
 * through ui_image_decode_preview(), then scaled to fit a bubble as the UI does.
 *
 * Checks, beyond no crash, leak or sanitizer report: a surface is never larger than the
 * limits asked for nor than its header says (a decompression bomb is refused before
 * SDL2_image allocates), and a refusal always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui_image.h"

/* Small limits keep each run fast; the checks are the same as with the real ones. */
#define S_MAX 1024

static void s_check(SDL_Surface *s, int err, int max)
{
    if (!s) {
        if (err >= 0)
            abort(); /* a refusal without its reason */
        return;
    }
    if (err != 0 || s->w <= 0 || s->h <= 0 || s->w > max || s->h > max)
        abort();
    SDL_Surface *fit = ui_image_fit(s, 160, 120);
    if (fit && (fit->w > 160 || fit->h > 120 || fit->w > s->w || fit->h > s->h))
        abort();
    SDL_FreeSurface(fit);
    SDL_FreeSurface(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err = 1;
    ui_image_type_t type;
    int w, h;
    int probed = ui_image_probe(data, size, &type, &w, &h);
    SDL_Surface *s = ui_image_decode(data, size, S_MAX, S_MAX, &err);
    if (s && (probed != 0 || s->w != w || s->h != h))
        abort(); /* decoded at another size than the header allowed */
    s_check(s, err, S_MAX);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    err = 1;
    s_check(ui_image_decode_preview(text, &err), err, UI_IMAGE_PREVIEW_DIM);
    /* base64 round trip of whatever decodes */
    size_t n;
    unsigned char *bytes = ui_image_base64_decode(text, strlen(text), &n);
    if (bytes) {
        char *again = ui_image_base64_encode(bytes, n);
        if (!again || strcmp(again, text) != 0)
            abort();
        free(again);
        free(bytes);
    }
    free(text);
    return 0;
}
