/* app_config.c - the desktop client's settings (app_config.h): gate URL, remembered email,
 * fonts. Main thread at start-up; the email is saved from the UI thread after a login.
 */
#include "app_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <windows.h> /* GetModuleFileNameA: the font shipped beside the program */
#define s_mkdir(p) _mkdir(p)
#define SEP        "\\"
#else
#include <unistd.h>
#define s_mkdir(p) mkdir((p), 0700)
#define SEP        "/"
#endif

#define DEFAULT_GATE_URL "http://127.0.0.1:8080"

static int s_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* GATE_URL=... of a stack.env file, into OUT. 0 when found. */
static int s_stack_env(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "GATE_URL=", 9) != 0)
            continue;
        char *v = line + 9;
        v[strcspn(v, "\r\n")] = '\0';
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v[n - 1] = '\0';
            v++;
        }
        if (*v) {
            snprintf(out, cap, "%s", v);
            rc = 0;
        }
        break;
    }
    fclose(f);
    return rc;
}

/* The folder of the running program (Linux: /proc/self/exe), or "" when unknown. */
static void s_exe_dir(char *out, size_t cap)
{
    out[0] = '\0';
#ifdef __linux__
    char buf[1024];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, cap, "%s", buf);
#else
    (void)cap;
#endif
}

int app_config_gate_url(int argc, char **argv, char *out, size_t cap)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gate") == 0) {
            if (i + 1 >= argc)
                return -1;
            snprintf(out, cap, "%s", argv[i + 1]);
            return 0;
        }
        if (strncmp(argv[i], "--gate=", 7) == 0) {
            snprintf(out, cap, "%s", argv[i] + 7);
            return 0;
        }
    }
    const char *env = getenv("USCHAT_GATE_URL");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    char path[1200];
    const char *var = getenv("USCHAT_VAR_DIR");
    if (var && *var) {
        snprintf(path, sizeof path, "%s" SEP "run" SEP "stack.env", var);
        if (s_stack_env(path, out, cap) == 0)
            return 0;
    }
    if (s_stack_env("var" SEP "run" SEP "stack.env", out, cap) == 0)
        return 0;
    /* a program in build-x/client_sdl/ finds the tree's var/ two or three levels up */
    char dir[1024];
    s_exe_dir(dir, sizeof dir);
    for (int up = 1; dir[0] && up <= 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
        snprintf(path, sizeof path, "%s/var/run/stack.env", dir);
        if (s_stack_env(path, out, cap) == 0)
            return 0;
    }
    snprintf(out, cap, "%s", DEFAULT_GATE_URL);
    return 0;
}

int app_config_dir(char *out, size_t cap)
{
#ifdef _WIN32
    const char *appdata = getenv("APPDATA");
    if (!appdata || !*appdata)
        return -1;
    snprintf(out, cap, "%s\\uschat", appdata);
#else
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, cap, "%s/uschat", xdg);
    else if (home && *home)
        snprintf(out, cap, "%s/.config/uschat", home);
    else
        return -1;
#endif
    return 0;
}

char *app_config_load_email(void)
{
    char dir[900], path[1000];
    if (app_config_dir(dir, sizeof dir) < 0)
        return NULL;
    snprintf(path, sizeof path, "%s" SEP "last_email", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[256];
    char *email = NULL;
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line && strchr(line, '@'))
            email = strdup(line);
    }
    fclose(f);
    return email;
}

/* mkdir -p of PATH's components (PATH itself included). */
static int s_mkdirs(const char *path)
{
    char buf[1000];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/' && *p != '\\')
            continue;
        char c = *p;
        *p = '\0';
        if (s_mkdir(buf) < 0 && errno != EEXIST)
            return -1;
        *p = c;
    }
    if (s_mkdir(buf) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int app_config_save_email(const char *email)
{
    char dir[900], path[1000], tmp[sizeof path + 10];
    if (!email || !*email || strchr(email, '\n') || app_config_dir(dir, sizeof dir) < 0)
        return -1;
    if (s_mkdirs(dir) < 0)
        return -1;
    snprintf(path, sizeof path, "%s" SEP "last_email", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%s\n", email) > 0;
    ok = (fclose(f) == 0) && ok;
#ifdef _WIN32
    remove(path);
#endif
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static size_t s_add(app_font_spec_t *out, size_t n, size_t max, const char *path, long index)
{
    if (n >= max || !s_exists(path))
        return n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].path, path) == 0 && out[i].index == index)
            return n;
    snprintf(out[n].path, sizeof out[n].path, "%s", path);
    out[n].index = index;
    return n + 1;
}

size_t app_config_fonts(app_font_spec_t *out, size_t max)
{
    size_t n = 0;
    const char *env = getenv("USCHAT_FONT");
    if (env && *env) {
        char path[512];
        long index = 0;
        snprintf(path, sizeof path, "%s", env);
        char *colon = strrchr(path, ':');
        if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
            index = strtol(colon + 1, NULL, 10);
            *colon = '\0';
        }
        n = s_add(out, n, max, path, index);
    }
#ifdef _WIN32
    /* the Windows zip's own font, fonts\ beside uschat-client.exe (Windows has no CJK font
     * that every edition installs) */
    char exe[MAX_PATH];
    DWORD len = GetModuleFileNameA(NULL, exe, sizeof exe);
    char *slash = len > 0 && len < sizeof exe ? strrchr(exe, '\\') : NULL;
    if (slash) {
        char path[MAX_PATH + 32];
        snprintf(path, sizeof path, "%.*s\\fonts\\wqy-microhei.ttc", (int)(slash - exe), exe);
        n = s_add(out, n, max, path, 0);
    }
#endif
    /* CJK-capable primaries; face 2 of Noto Sans CJK is its Simplified Chinese one */
    static const struct {
        const char *path;
        long index;
    } candidates[] = {
        {"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0},
        {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
        {"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2},
        {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0},
        {"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0},
        {"/System/Library/Fonts/PingFang.ttc", 0},
        {"C:\\Windows\\Fonts\\msyh.ttc", 0},
        {"C:\\Windows\\Fonts\\simhei.ttf", 0},
        /* per-glyph fallbacks: symbols, accents, arrows the CJK fonts lack */
        {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0},
        {"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 0},
        {"/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf", 0},
        {"/System/Library/Fonts/Helvetica.ttc", 0},
        {"C:\\Windows\\Fonts\\segoeui.ttf", 0},
        {"C:\\Windows\\Fonts\\seguisym.ttf", 0},
        /* colour emoji (a bitmap font: ui_text.c scales its glyphs to the line) */
        {"/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", 0},
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        n = s_add(out, n, max, candidates[i].path, candidates[i].index);
    return n;
}
