/* ui_image.h - pictures in the desktop client: decoding (SDL2_image) behind size limits read
 * from the image's own header first, the preview a sender attaches to an image message (at
 * most 160x160, PNG, base64, at most UI_IMAGE_PREVIEW_MAX bytes) and scaling to fit a box.
 *
 * Anything that reaches the decoder came from the network or a file: every function checks
 * the container (PNG, JPEG, GIF or WebP, nothing else), reads its width and height from the
 * header without decoding, and refuses what is over the caller's limits before SDL2_image
 * allocates a pixel. Built without SDL2_image (USCHAT_HAVE_SDL_IMAGE unset), every decode
 * returns -ENOTSUP and pictures show as file bubbles.
 *
 * Any thread (SDL surfaces, no renderer); a surface returned is the caller's (SDL_FreeSurface).
 */
#ifndef USCHAT_SDL_UI_IMAGE_H
#define USCHAT_SDL_UI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL.h>

#define UI_IMAGE_PREVIEW_MAX 16384              /* base64 bytes of a preview (the wire's limit) */
#define UI_IMAGE_PREVIEW_DIM 160                /* a preview fits in this square */
#define UI_IMAGE_MAX_DIM     16384              /* no side of a full picture may be longer */
#define UI_IMAGE_MAX_PIXELS  (40 * 1000 * 1000) /* nor its area larger (160 MB as ARGB) */

typedef enum {
    UI_IMAGE_NONE = 0,
    UI_IMAGE_PNG,
    UI_IMAGE_JPEG,
    UI_IMAGE_GIF,
    UI_IMAGE_WEBP,
} ui_image_type_t;

/* The container of DATA (LEN bytes) and the size its header states, without decoding.
 * 0, or -EINVAL when it is none of the four or its header is cut or malformed. */
int ui_image_probe(const void *data, size_t len, ui_image_type_t *type, int *w, int *h);

/* Decodes DATA into an ARGB8888 surface when its header says at most MAX_W x MAX_H (and
 * UI_IMAGE_MAX_PIXELS). NULL with *err: -EINVAL (not a picture, or the decoder refused it),
 * -E2BIG (over the limits, before decoding), -ENOMEM, -ENOTSUP (no SDL2_image). */
SDL_Surface *ui_image_decode(const void *data, size_t len, int max_w, int max_h, int *err);

/* A preview as it comes in a message: base64 (at most UI_IMAGE_PREVIEW_MAX characters) of a
 * PNG or JPEG of at most UI_IMAGE_PREVIEW_DIM on each side. NULL with *err as above. */
SDL_Surface *ui_image_decode_preview(const char *b64, int *err);

/* Reads the file at PATH (at most MAX_BYTES) and decodes it like ui_image_decode() with the
 * full-picture limits. NULL with *err (also -errno of the file, -EFBIG past MAX_BYTES). */
SDL_Surface *ui_image_load_file(const char *path, size_t max_bytes, int *err);

/* A copy of SRC scaled (smoothly, keeping its aspect) to fit MAX_W x MAX_H; never larger
 * than SRC. NULL when out of memory. */
SDL_Surface *ui_image_fit(SDL_Surface *src, int max_w, int max_h);

/* The preview of the picture at PATH for an image message: *b64 (caller frees) the base64 of
 * a PNG of at most UI_IMAGE_PREVIEW_DIM per side and UI_IMAGE_PREVIEW_MAX bytes, *w and *h the
 * picture's own size. 0; -E2BIG when even a smaller preview does not fit (the message goes
 * without one); the errors of ui_image_load_file(). */
int ui_image_make_preview(const char *path, char **b64, int *w, int *h);

/* Strict base64 (RFC 4648, padding required): the bytes (caller frees) and *len, or NULL for
 * anything malformed or when out of memory. */
unsigned char *ui_image_base64_decode(const char *in, size_t in_len, size_t *len);
/* Base64 of IN (caller frees), NULL when out of memory. */
char *ui_image_base64_encode(const void *in, size_t len);

/* Whether PATH's name looks like a picture the client shows (.png .jpg .jpeg .gif .webp). */
bool ui_image_is_picture_name(const char *path);
/* The MIME type for PATH's name ("image/png", ..., "application/octet-stream"). */
const char *ui_image_mime(const char *path);

#endif
