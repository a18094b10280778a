/* app_config.h - where the desktop client finds its settings: the gate's URL, the file that
 * remembers the last email, the login kept by "remember me" (a token, never the password),
 * and the fonts to draw with.
 *
 * Gate URL, first found wins: --gate URL, the environment's USCHAT_GATE_URL, the address set
 * on the settings page ($DIR/gate_url), GATE_URL in
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
#include <stdint.h>

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
/* The gate URL set on the settings page ($DIR/gate_url) into OUT. 0, or -1 when none. */
int app_config_load_gate(char *out, size_t cap);
/* Keeps URL as the gate for the next launches (it comes after --gate and USCHAT_GATE_URL,
 * before stack.env). 0 or -1. */
int app_config_save_gate(const char *url);

/* The scale chosen on the settings page, in percent (100-300), or 0 (Auto: from the
 * display's DPI) when none is kept. */
int app_config_load_scale(void);
int app_config_save_scale(int percent);

/* "Remember me": the chat node login of the last session ($DIR/login, JSON, mode 0600). The
 * token is the one the gate handed out (status's utoken_<uid>: 32 random bytes, a lifetime of
 * chat/token_ttl_s, 7 days by default; void after a newer login, a password reset or a log
 * out, docs/protocol.md). */
typedef struct {
    int64_t uid;
    char token[128]; /* as the network thread holds it */
    char host[256];
    int port;
    char email[256];
    char files_url[256]; /* the files service of that login ("" none) */
} app_saved_login_t;
/* 0 when a usable kept login was read into OUT, else -1. */
int app_config_load_login(app_saved_login_t *out);
/* Writes LOGIN (replacing the file atomically, 0600 from its creation). 0 or -1. */
int app_config_save_login(const app_saved_login_t *login);
/* Removes the kept login. 0 (also when there was none) or -1. */
int app_config_forget_login(void);
/* Fills OUT with up to MAX existing font files, the primary one first. Returns the count. */
size_t app_config_fonts(app_font_spec_t *out, size_t max);

#endif
