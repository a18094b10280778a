/* app_config.h - where the desktop client finds its settings: the gate's URL, the file that
 * remembers the last email (never the password), and the fonts to draw with.
 *
 * Gate URL, first found wins: --gate URL, the environment's USCHAT_GATE_URL, GATE_URL in
 * var/run/stack.env (written by `tools/uschat up`; looked for under USCHAT_VAR_DIR, the
 * current folder and the folders above the program), else http://127.0.0.1:8080.
 * Remembered email: $XDG_CONFIG_HOME/uschat/last_email (~/.config/uschat/ when unset;
 * %APPDATA%\uschat\ on Windows).
 * Fonts: USCHAT_FONT (a path, optionally "path:index") first, then the usual CJK-capable fonts
 * of Debian (WenQuanYi Micro Hei, Noto Sans CJK), macOS and Windows, then fonts used per glyph
 * for what the first lacks (DejaVu Sans, Segoe UI Symbol...).
 *
 * Main thread, at start-up (and the UI thread when the email is saved). No SDL.
 */
#ifndef USCHAT_SDL_APP_CONFIG_H
#define USCHAT_SDL_APP_CONFIG_H

#include <stddef.h>

typedef struct {
    char path[512];
    long index; /* face index in a collection (.ttc) */
} app_font_spec_t;

/* Writes the gate URL into OUT (CAP bytes) following the order above. ARGV may hold
 * "--gate URL" or "--gate=URL". Returns 0, or -1 when --gate lacks its value. */
int app_config_gate_url(int argc, char **argv, char *out, size_t cap);
/* The folder of the client's settings (no trailing separator) into OUT. 0 or -1 (no HOME). */
int app_config_dir(char *out, size_t cap);
/* The remembered email as a new string (caller frees), or NULL. */
char *app_config_load_email(void);
/* Remembers EMAIL (creating the folder, replacing the file atomically). 0 or -1. */
int app_config_save_email(const char *email);
/* Fills OUT with up to MAX existing font files, the primary one first. Returns the count. */
size_t app_config_fonts(app_font_spec_t *out, size_t max);

#endif
