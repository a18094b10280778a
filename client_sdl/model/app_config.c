/* app_config.c - the desktop client's settings (app_config.h): gate URL, remembered email,
 * the kept login of "remember me", fonts. Main thread at start-up; the email and the gate URL
 * are saved from the UI thread, the kept login by the network thread (which owns the token).
 */
#include "app_config.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "uschat/client_proto.h"

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <windows.h> /* GetModuleFileNameA: the font shipped beside the program */
#define s_mkdir(p) _mkdir(p)
#define SEP        "\\"
#else
#include <fcntl.h>
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
    if (app_config_load_gate(out, cap) == 0) /* the address set on the settings page */
        return 0;
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

/* The path of NAME in the settings folder into OUT. 0 or -1. */
static int s_path(const char *name, char *out, size_t cap)
{
    char dir[900];
    if (app_config_dir(dir, sizeof dir) < 0)
        return -1;
    snprintf(out, cap, "%s" SEP "%s", dir, name);
    return 0;
}

/* The first line of the settings file NAME (without its line end) into OUT. 0, or -1 when
 * there is none or it is empty. */
static int s_read_line(const char *name, char *out, size_t cap)
{
    char path[1000];
    if (s_path(name, path, sizeof path) < 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int rc = fgets(out, (int)cap, f) ? 0 : -1;
    fclose(f);
    if (rc == 0)
        out[strcspn(out, "\r\n")] = '\0';
    return rc == 0 && *out ? 0 : -1;
}

char *app_config_load_email(void)
{
    char line[256];
    if (s_read_line("last_email", line, sizeof line) < 0 || !strchr(line, '@'))
        return NULL;
    return strdup(line);
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

/* Replaces the settings file NAME by TEXT atomically (a temporary file renamed over it),
 * creating the folder. SECRET: the file is made readable by its owner only (0600 from its
 * creation, so the text is never readable by others, not even for a moment; on Windows the
 * folder under %APPDATA% is the user's own). 0 or -1. */
static int s_write(const char *name, const char *text, bool secret)
{
    char dir[900], path[1000], tmp[sizeof path + 10];
    if (app_config_dir(dir, sizeof dir) < 0 || s_mkdirs(dir) < 0)
        return -1;
    snprintf(path, sizeof path, "%s" SEP "%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    remove(tmp);
#ifdef _WIN32
    (void)secret;
    FILE *f = fopen(tmp, "w");
#else
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !f)
        close(fd);
#endif
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
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

int app_config_save_email(const char *email)
{
    if (!email || !*email || strchr(email, '\n'))
        return -1;
    char line[300];
    snprintf(line, sizeof line, "%s\n", email);
    return s_write("last_email", line, false);
}

int app_config_load_gate(char *out, size_t cap)
{
    return s_read_line("gate_url", out, cap);
}

int app_config_save_gate(const char *url)
{
    if (!url || !*url || strpbrk(url, "\r\n") || strlen(url) > 255)
        return -1;
    char line[300];
    snprintf(line, sizeof line, "%s\n", url);
    return s_write("gate_url", line, false);
}

int app_config_load_scale(void)
{
    char line[16];
    if (s_read_line("scale", line, sizeof line) < 0)
        return 0;
    long v = strtol(line, NULL, 10);
    return v >= 100 && v <= 300 ? (int)v : 0;
}

int app_config_save_scale(int percent)
{
    char line[16];
    snprintf(line, sizeof line, "%d\n", percent >= 100 && percent <= 300 ? percent : 0);
    return s_write("scale", line, false);
}

/* The kept login's keys: those of the gate's answer it came from. */
#define KEPT(f) USCHAT_FIELD(HTTP_LOGIN_RSP, f)

int app_config_load_login(app_saved_login_t *out)
{
    memset(out, 0, sizeof *out);
    char path[1000];
    if (s_path("login", path, sizeof path) < 0)
        return -1;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    json_t *uid = json_object_get(j, KEPT(uid)), *port = json_object_get(j, KEPT(port));
    const char *token = json_string_value(json_object_get(j, KEPT(token)));
    const char *host = json_string_value(json_object_get(j, KEPT(host)));
    const char *email = json_string_value(json_object_get(j, USCHAT_FIELD(HTTP_LOGIN_REQ, email)));
    int rc = -1;
    if (json_is_integer(uid) && json_integer_value(uid) > 0 && json_is_integer(port) &&
        json_integer_value(port) > 0 && json_integer_value(port) < 65536 && token && *token &&
        strlen(token) < sizeof out->token && host && *host && strlen(host) < sizeof out->host) {
        out->uid = json_integer_value(uid);
        out->port = (int)json_integer_value(port);
        snprintf(out->token, sizeof out->token, "%s", token);
        snprintf(out->host, sizeof out->host, "%s", host);
        snprintf(out->email, sizeof out->email, "%s", email ? email : "");
        const char *files = json_string_value(json_object_get(j, KEPT(files_url)));
        if (files && strlen(files) < sizeof out->files_url)
            snprintf(out->files_url, sizeof out->files_url, "%s", files);
        rc = 0;
    }
    json_decref(j);
    return rc;
}

int app_config_save_login(const app_saved_login_t *login)
{
    json_t *j = json_pack("{sIsssssissss?}", KEPT(uid), (json_int_t)login->uid, KEPT(token),
                          login->token, KEPT(host), login->host, KEPT(port), login->port,
                          USCHAT_FIELD(HTTP_LOGIN_REQ, email), login->email, KEPT(files_url),
                          login->files_url[0] ? login->files_url : NULL);
    char *text = j ? json_dumps(j, 0) : NULL;
    int rc = text ? s_write("login", text, true) : -1;
    if (text) {
        volatile char *v = text; /* the token: not left in freed memory */
        while (*v)
            *v++ = 0;
    }
    free(text);
    json_decref(j);
    return rc;
}

int app_config_forget_login(void)
{
    char path[1000];
    if (s_path("login", path, sizeof path) < 0)
        return -1;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
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
