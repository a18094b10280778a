/* config.c - a service's config (config.h): a ZPL file read with zconfig, overridden key by key
 * from the environment (USCHAT_SECTION_KEY).
 *
 * Loaded once by the host program's main thread, before any actor starts; config_set() is for
 * that same phase (command-line overrides). Afterwards every actor thread reads it at once:
 * the getters only read the zconfig tree and the environment, so no lock is needed. An
 * environment value is returned as getenv() gives it, which lives as long as nobody changes
 * that variable (nothing in UsChat does after start).
 */
#include "uschat/config.h"

#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/log.h"

#define CONFIG_KEY_MAX 128

struct config_t {
    zconfig_t *root;
    char *path;
};

/* "mysql/port" -> "USCHAT_MYSQL_PORT". Returns false when the key does not fit. */
static bool s_env_name(const char *key, char *out, size_t cap)
{
    static const char prefix[] = "USCHAT_";
    size_t len = strlen(key);
    if (sizeof prefix + len > cap)
        return false;
    memcpy(out, prefix, sizeof prefix - 1);
    char *p = out + sizeof prefix - 1;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        *p++ = (c == '/' || c == '-' || c == '.') ? '_' : (char)toupper((unsigned char)c);
    }
    *p = 0;
    return true;
}

static const char *s_env_value(const char *key)
{
    char name[CONFIG_KEY_MAX + 8];
    if (!s_env_name(key, name, sizeof name))
        return NULL;
    return getenv(name);
}

/* A secret is never logged: its last path part contains password, secret or token, or ends
 * in _key (curve_secret, smtp_password, api_token, server_key ...). */
bool config_is_secret(const char *key)
{
    if (!key)
        return false;
    const char *leaf = strrchr(key, '/');
    leaf = leaf ? leaf + 1 : key;
    char lower[CONFIG_KEY_MAX];
    size_t len = strlen(leaf);
    if (len >= sizeof lower)
        len = sizeof lower - 1;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)leaf[i]);
    lower[len] = 0;
    if (strstr(lower, "password") || strstr(lower, "passwd") || strstr(lower, "secret") ||
        strstr(lower, "token"))
        return true;
    return len >= 4 && strcmp(lower + len - 4, "_key") == 0;
}

/* zconfig reads "key =   # note" as the value "# note": an empty value followed by a comment
 * (as in every example config) must stay empty. */
static void s_drop_comment_values(zconfig_t *node)
{
    for (zconfig_t *child = zconfig_child(node); child; child = zconfig_next(child)) {
        const char *value = zconfig_value(child);
        if (value && value[0] == '#')
            zconfig_set_value(child, "%s", "");
        s_drop_comment_values(child);
    }
}

config_t *config_load(const char *path)
{
    config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup(path ? path : "");
    if (!self->path) {
        free(self);
        return NULL;
    }
    if (path && *path) {
        if (!zsys_file_exists(path)) {
            log_error("config: cannot read %s", path);
            config_destroy(&self);
            return NULL;
        }
        /* zconfig_load() leaks its zfile when the text does not parse: read it ourselves. */
        zchunk_t *chunk = zchunk_slurp(path, 0);
        if (chunk)
            self->root = zconfig_chunk_load(chunk);
        zchunk_destroy(&chunk);
        if (self->root)
            s_drop_comment_values(self->root);
        else
            log_error("config: cannot parse %s (ZPL syntax: 4-space indents, key = value)", path);
    } else {
        self->root = zconfig_new("root", NULL);
    }
    if (!self->root) {
        config_destroy(&self);
        return NULL;
    }
    return self;
}

void config_destroy(config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    config_t *self = *self_p;
    zconfig_destroy(&self->root);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const char *config_str(config_t *self, const char *key, const char *dflt)
{
    if (!key)
        return dflt;
    const char *env = s_env_value(key);
    if (env)
        return env;
    if (!self || !self->root)
        return dflt;
    zconfig_t *item = zconfig_locate(self->root, key);
    if (!item)
        return dflt;
    const char *value = zconfig_value(item);
    return value ? value : "";
}

static const char *s_trim(const char *s, char *buf, size_t cap)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

int64_t config_int(config_t *self, const char *key, int64_t dflt, int64_t min, int64_t max)
{
    const char *raw = config_str(self, key, NULL);
    if (!raw)
        return dflt;
    char buf[64];
    const char *text = s_trim(raw, buf, sizeof buf);
    if (!*text) /* "port =" means "not set" */
        return dflt;
    errno = 0;
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    const char *shown = config_is_secret(key) ? "***" : text;
    if (errno || end == text || *end) {
        log_warn("config: %s = \"%s\" is not a whole number; using %lld", key, shown,
                 (long long)dflt);
        return dflt;
    }
    if (value < min || value > max) {
        log_warn("config: %s = %lld is outside [%lld, %lld]; using %lld", key,
                 config_is_secret(key) ? 0LL : value, (long long)min, (long long)max,
                 (long long)dflt);
        return dflt;
    }
    return value;
}

bool config_bool(config_t *self, const char *key, bool dflt)
{
    const char *raw = config_str(self, key, NULL);
    if (!raw)
        return dflt;
    char buf[16];
    const char *text = s_trim(raw, buf, sizeof buf);
    if (!*text)
        return dflt;
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return true;
        if (strcasecmp(text, no[i]) == 0)
            return false;
    }
    log_warn("config: %s = \"%s\" is not a boolean; using %s", key, text, dflt ? "true" : "false");
    return dflt;
}

void config_set(config_t *self, const char *key, const char *value)
{
    if (!self || !self->root || !key)
        return;
    zconfig_put(self->root, key, value ? value : "");
}

const char *config_path(config_t *self)
{
    return self && self->path ? self->path : "";
}

static void s_dump_tree(config_t *self, zconfig_t *node, char *path, size_t len, size_t cap,
                        zhashx_t *shown)
{
    for (zconfig_t *child = zconfig_child(node); child; child = zconfig_next(child)) {
        const char *name = zconfig_name(child);
        if (!name)
            continue;
        size_t need = len + (len ? 1 : 0) + strlen(name);
        if (need + 1 > cap)
            continue;
        size_t at = len;
        if (len)
            path[at++] = '/';
        strcpy(path + at, name);
        if (zconfig_child(child)) {
            s_dump_tree(self, child, path, need, cap, shown);
        } else {
            const char *value = config_str(self, path, "");
            const char *origin = s_env_value(path) ? " (environment)" : "";
            char variable[CONFIG_KEY_MAX + 8];
            if (s_env_name(path, variable, sizeof variable))
                zhashx_insert(shown, variable, (void *)1);
            log_info("config: %s = %s%s", path,
                     config_is_secret(path) ? (*value ? "***" : "") : value, origin);
        }
        path[len] = 0;
    }
}

void config_dump(config_t *self)
{
    if (!self)
        return;
    log_info("config: file %s", *config_path(self) ? config_path(self) : "(none)");
    char path[CONFIG_KEY_MAX];
    path[0] = 0;
    zhashx_t *shown = zhashx_new(); /* variable names already shown as file keys */
    if (self->root && shown)
        s_dump_tree(self, self->root, path, 0, sizeof path, shown);
    /* Overrides of keys the file does not have: shown under their variable name, since the
     * mapping back to section/key is ambiguous for keys holding '_'. */
    extern char **environ;
    for (char **env = environ; env && *env; env++) {
        if (strncmp(*env, "USCHAT_", 7) != 0 || strncmp(*env, "USCHAT_TEST_", 12) == 0)
            continue;
        const char *eq = strchr(*env, '=');
        if (!eq)
            continue;
        char name[CONFIG_KEY_MAX];
        size_t nlen = (size_t)(eq - *env);
        if (nlen >= sizeof name)
            continue;
        memcpy(name, *env, nlen);
        name[nlen] = 0;
        if (strcmp(name, "USCHAT_SOURCE_DIR") == 0 || strcmp(name, "USCHAT_BUILD_DIR") == 0 ||
            (shown && zhashx_lookup(shown, name)))
            continue;
        log_info("config: env %s = %s", name,
                 config_is_secret(name) ? (eq[1] ? "***" : "") : eq + 1);
    }
    zhashx_destroy(&shown);
}
