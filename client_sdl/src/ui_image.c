/* ui_image.c - decoding pictures behind size limits, previews and scaling (ui_image.h).
 *
 * SDL2_image trusts the sizes a file states: a 60-byte PNG that claims 65535x65535 makes it
 * try to allocate 16 GiB. So the header is read here first (PNG IHDR, JPEG SOFn, GIF logical
 * screen and first image descriptor, WebP VP8/VP8L/VP8X) and the decode happens only within the
 * caller's limits; only those four containers reach SDL2_image at all (no BMP, TGA, XPM, SVG ...
 * from the network). Runs on whichever thread calls it (the UI thread; the fuzz target).
 */
#include "ui_image.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifdef USCHAT_HAVE_SDL_IMAGE
#include <SDL_image.h>
#endif

/* ---- headers ---------------------------------------------------------------------------- */

static uint32_t s_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned s_be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned s_le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static uint32_t s_le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* JPEG: the first SOFn segment's size, walking the segments before it. */
static int s_probe_jpeg(const unsigned char *d, size_t len, int *w, int *h)
{
    size_t i = 2;
    while (i + 4 <= len) {
        if (d[i] != 0xFF)
            return -EINVAL;
        unsigned m = d[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* end, or scan data before any frame header */
            return -EINVAL;
        unsigned seg = s_be16(d + i + 2);
        if (seg < 2 || i + 2 + seg > len)
            return -EINVAL;
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (seg < 7)
                return -EINVAL;
            *h = (int)s_be16(d + i + 5);
            *w = (int)s_be16(d + i + 7);
            return 0;
        }
        i += 2 + seg;
    }
    return -EINVAL;
}

/* A GIF's size is its logical screen's, but SDL2_image makes the first image as large as that
 * image's own descriptor says, which may be far larger: the blocks are walked to the first
 * image descriptor (extensions skipped), and the larger of the two sizes is the picture's. */
static int s_probe_gif(const unsigned char *d, size_t len, int *w, int *h)
{
    if (len < 13)
        return -EINVAL;
    int sw = (int)s_le16(d + 6), sh = (int)s_le16(d + 8);
    size_t i = 13;
    if (d[10] & 0x80) /* a global colour table */
        i += (size_t)3 << ((d[10] & 7) + 1);
    while (i < len && d[i] == 0x21) { /* an extension: its label, then sub-blocks to a 0 */
        i += 2;
        while (i < len && d[i] != 0)
            i += 1 + (size_t)d[i];
        i++;
    }
    if (i + 10 > len || d[i] != 0x2C) /* no image descriptor (a trailer, junk, cut) */
        return -EINVAL;
    int fw = (int)s_le16(d + i + 5), fh = (int)s_le16(d + i + 7);
    *w = fw > sw ? fw : sw;
    *h = fh > sh ? fh : sh;
    return 0;
}

static int s_probe_webp(const unsigned char *d, size_t len, int *w, int *h)
{
    /* the RIFF length must fit the bytes: SDL2_image 2.6 leaks on a cut file */
    uint32_t riff =
        (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
    if (len < 30 || riff < 22 || riff > len - 8)
        return -EINVAL;
    if (memcmp(d + 12, "VP8X", 4) == 0) {
        *w = (int)s_le24(d + 24) + 1;
        *h = (int)s_le24(d + 27) + 1;
        return 0;
    }
    if (memcmp(d + 12, "VP8L", 4) == 0) {
        if (d[20] != 0x2F)
            return -EINVAL;
        uint32_t bits =
            (uint32_t)d[21] | (uint32_t)d[22] << 8 | (uint32_t)d[23] << 16 | (uint32_t)d[24] << 24;
        *w = (int)(bits & 0x3FFF) + 1;
        *h = (int)((bits >> 14) & 0x3FFF) + 1;
        return 0;
    }
    if (memcmp(d + 12, "VP8 ", 4) == 0) {
        if (d[23] != 0x9D || d[24] != 0x01 || d[25] != 0x2A)
            return -EINVAL;
        *w = (int)(s_le16(d + 26) & 0x3FFF);
        *h = (int)(s_le16(d + 28) & 0x3FFF);
        return 0;
    }
    return -EINVAL;
}

int ui_image_probe(const void *data, size_t len, ui_image_type_t *type, int *w, int *h)
{
    const unsigned char *d = data;
    int rc = -EINVAL;
    ui_image_type_t t = UI_IMAGE_NONE;
    *w = *h = 0;
    if (!d)
        ;
    else if (len >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 &&
             memcmp(d + 12, "IHDR", 4) == 0) {
        uint32_t pw = s_be32(d + 16), ph = s_be32(d + 20);
        if (pw <= INT32_MAX && ph <= INT32_MAX) {
            *w = (int)pw;
            *h = (int)ph;
            t = UI_IMAGE_PNG;
            rc = 0;
        }
    } else if (len >= 4 && d[0] == 0xFF && d[1] == 0xD8) {
        t = UI_IMAGE_JPEG;
        rc = s_probe_jpeg(d, len, w, h);
    } else if (len >= 10 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) {
        t = UI_IMAGE_GIF;
        rc = s_probe_gif(d, len, w, h);
    } else if (len >= 16 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) {
        t = UI_IMAGE_WEBP;
        rc = s_probe_webp(d, len, w, h);
    }
    if (rc == 0 && (*w <= 0 || *h <= 0))
        rc = -EINVAL;
    *type = rc == 0 ? t : UI_IMAGE_NONE;
    return rc;
}

/* ---- decoding ---------------------------------------------------------------------------- */

SDL_Surface *ui_image_decode(const void *data, size_t len, int max_w, int max_h, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    ui_image_type_t type;
    int w, h;
    if (len > INT32_MAX || ui_image_probe(data, len, &type, &w, &h) != 0) {
        *err = -EINVAL;
        return NULL;
    }
    if (w > max_w || h > max_h || (int64_t)w * h > UI_IMAGE_MAX_PIXELS) {
        *err = -E2BIG;
        return NULL;
    }
    /* SDL2_image 2.6's GIF reader frees a wild pointer on a malformed file
     * (tests/fuzz/corpus/client_images/gif-bad-free): a GIF is never decoded, it shows as a
     * file */
    if (type == UI_IMAGE_GIF) {
        *err = -ENOTSUP;
        return NULL;
    }
#ifdef USCHAT_HAVE_SDL_IMAGE
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    if (!rw) {
        *err = -ENOMEM;
        return NULL;
    }
    static const char *const names[] = {"", "PNG", "JPG", "GIF", "WEBP"};
    SDL_Surface *raw = IMG_LoadTyped_RW(rw, 1, names[type]);
    if (!raw) {
        *err = -EINVAL;
        return NULL;
    }
    /* the decoder's own idea of the size must be the header's (a GIF frame, a JPEG with a
     * second frame header): never more than was allowed */
    if (raw->w > max_w || raw->h > max_h || (int64_t)raw->w * raw->h > UI_IMAGE_MAX_PIXELS) {
        SDL_FreeSurface(raw);
        *err = -E2BIG;
        return NULL;
    }
    SDL_Surface *out = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(raw);
    if (!out)
        *err = -ENOMEM;
    else
        *err = 0;
    return out;
#else
    *err = -ENOTSUP;
    return NULL;
#endif
}

SDL_Surface *ui_image_decode_preview(const char *b64, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    size_t n = b64 ? strlen(b64) : 0;
    if (n == 0 || n > UI_IMAGE_PREVIEW_MAX) {
        *err = n ? -E2BIG : -EINVAL;
        return NULL;
    }
    size_t len;
    unsigned char *bytes = ui_image_base64_decode(b64, n, &len);
    if (!bytes) {
        *err = -EINVAL;
        return NULL;
    }
    ui_image_type_t type;
    int w, h;
    SDL_Surface *s = NULL;
    if (ui_image_probe(bytes, len, &type, &w, &h) != 0 ||
        (type != UI_IMAGE_PNG && type != UI_IMAGE_JPEG))
        *err = -EINVAL;
    else
        s = ui_image_decode(bytes, len, UI_IMAGE_PREVIEW_DIM, UI_IMAGE_PREVIEW_DIM, err);
    free(bytes);
    return s;
}

SDL_Surface *ui_image_load_file(const char *path, size_t max_bytes, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        *err = path ? -errno : -EINVAL;
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        *err = -EINVAL;
        return NULL;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        *err = -EFBIG;
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        *err = -ENOMEM;
        return NULL;
    }
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    SDL_Surface *s = NULL;
    if (got != len)
        *err = -EIO;
    else
        s = ui_image_decode(buf, len, UI_IMAGE_MAX_DIM, UI_IMAGE_MAX_DIM, err);
    free(buf);
    return s;
}

SDL_Surface *ui_image_fit(SDL_Surface *src, int max_w, int max_h)
{
    if (!src || max_w <= 0 || max_h <= 0)
        return NULL;
    int w = src->w, h = src->h;
    if (w > max_w || h > max_h) {
        /* the tighter of the two ratios, at least one pixel each way */
        if ((int64_t)w * max_h > (int64_t)h * max_w) {
            h = (int)((int64_t)h * max_w / w);
            w = max_w;
        } else {
            w = (int)((int64_t)w * max_h / h);
            h = max_h;
        }
        w = w < 1 ? 1 : w;
        h = h < 1 ? 1 : h;
    }
    SDL_Surface *out = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!out)
        return NULL;
    SDL_SetSurfaceBlendMode(src, SDL_BLENDMODE_NONE);
    if ((w == src->w && h == src->h ? SDL_BlitSurface(src, NULL, out, NULL)
                                    : SDL_BlitScaled(src, NULL, out, NULL)) != 0) {
        SDL_FreeSurface(out);
        return NULL;
    }
    return out;
}

/* ---- previews -------------------------------------------------------------------------- */

#ifdef USCHAT_HAVE_SDL_IMAGE
/* S as PNG, base64; NULL when too long or out of memory. */
static char *s_png_b64(SDL_Surface *s)
{
    /* SDL2 has no growing memory RWops: a fixed buffer of the largest useful size (what the
     * base64 limit allows), a PNG that does not fit is too big anyway */
    size_t cap = UI_IMAGE_PREVIEW_MAX / 4 * 3;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return NULL;
    SDL_RWops *rw = SDL_RWFromMem(buf, (int)cap);
    char *out = NULL;
    if (rw && IMG_SavePNG_RW(s, rw, 0) == 0) {
        Sint64 n = SDL_RWtell(rw);
        if (n > 0 && (size_t)n < cap) /* a full buffer may be a cut one */
            out = ui_image_base64_encode(buf, (size_t)n);
    }
    if (rw)
        SDL_RWclose(rw);
    free(buf);
    return out;
}
#endif

int ui_image_make_preview(const char *path, char **b64, int *w, int *h)
{
    *b64 = NULL;
    *w = *h = 0;
    int err;
    SDL_Surface *full = ui_image_load_file(path, (size_t)200 << 20, &err);
    if (!full)
        return err;
    *w = full->w;
    *h = full->h;
    int rc = -E2BIG;
#ifdef USCHAT_HAVE_SDL_IMAGE
    /* a photo's noise can make 160x160 too big as PNG: smaller then, else none */
    static const int dims[] = {UI_IMAGE_PREVIEW_DIM, 120, 80};
    for (size_t i = 0; i < sizeof dims / sizeof *dims && rc != 0; i++) {
        SDL_Surface *small = ui_image_fit(full, dims[i], dims[i]);
        if (!small) {
            rc = -ENOMEM;
            break;
        }
        char *enc = s_png_b64(small);
        SDL_FreeSurface(small);
        if (enc && strlen(enc) <= UI_IMAGE_PREVIEW_MAX) {
            *b64 = enc;
            rc = 0;
        } else {
            free(enc);
        }
    }
#else
    rc = -ENOTSUP;
#endif
    SDL_FreeSurface(full);
    return rc;
}

/* ---- base64 ------------------------------------------------------------------------------ */

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int s_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned char *ui_image_base64_decode(const char *in, size_t in_len, size_t *len)
{
    if (!in || in_len == 0 || in_len % 4 != 0)
        return NULL;
    size_t pad = in[in_len - 1] == '=' ? (in[in_len - 2] == '=' ? 2 : 1) : 0;
    size_t n = in_len / 4 * 3 - pad;
    unsigned char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            bool last_quad = i + 4 == in_len;
            if (last_quad && in[i + k] == '=' && k >= 4 - (int)pad) {
                v[k] = 0;
                continue;
            }
            v[k] = s_b64_value((unsigned char)in[i + k]);
            if (v[k] < 0) {
                free(out);
                return NULL;
            }
        }
        /* the bits under the padding must be 0: one encoding per byte string */
        if (i + 4 == in_len && ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))) {
            free(out);
            return NULL;
        }
        uint32_t q = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        unsigned char b[3] = {(unsigned char)(q >> 16), (unsigned char)(q >> 8), (unsigned char)q};
        for (int k = 0; k < 3 && o < n; k++)
            out[o++] = b[k];
    }
    *len = n;
    return out;
}

char *ui_image_base64_encode(const void *in, size_t len)
{
    const unsigned char *d = in;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t q = (uint32_t)d[i] << 16;
        if (i + 1 < len)
            q |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < len)
            q |= d[i + 2];
        out[o++] = s_b64[q >> 18 & 63];
        out[o++] = s_b64[q >> 12 & 63];
        out[o++] = i + 1 < len ? s_b64[q >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? s_b64[q & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *s_ext(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

const char *ui_image_mime(const char *path)
{
    const char *e = s_ext(path);
    if (strcasecmp(e, "png") == 0)
        return "image/png";
    if (strcasecmp(e, "jpg") == 0 || strcasecmp(e, "jpeg") == 0)
        return "image/jpeg";
    if (strcasecmp(e, "gif") == 0)
        return "image/gif";
    if (strcasecmp(e, "webp") == 0)
        return "image/webp";
    if (strcasecmp(e, "pdf") == 0)
        return "application/pdf";
    if (strcasecmp(e, "txt") == 0)
        return "text/plain";
    if (strcasecmp(e, "zip") == 0)
        return "application/zip";
    if (strcasecmp(e, "mp4") == 0)
        return "video/mp4";
    return "application/octet-stream";
}

bool ui_image_is_picture_name(const char *path)
{
    return strncmp(ui_image_mime(path), "image/", 6) == 0;
}
