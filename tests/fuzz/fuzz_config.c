/* fuzz_config.c - libFuzzer target for a service's config file (actors/base/config.c).
 *
 * Input: the file's text. It is read through config_load() from an in-memory file, then every
 * getter is asked for the keys the services read (with the ranges they use), a value is set
 * from the command line's way (config_set) and the whole config is dumped the way uschatd logs
 * it at start, into /dev/null. Nothing may crash, read out of bounds or leak; an integer the
 * getter returns lies in its range or is the default; a key the file sets to a number inside
 * the range reads as that number.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uschat/config.h"
#include "uschat/log.h"

/* A sample of what the services read: sections, nesting, secrets, integers and booleans. */
static const char *const s_keys[] = {"chat/host",
                                     "chat/port",
                                     "chat/max_body",
                                     "chat/rate_limit",
                                     "uschatd/services",
                                     "uschatd/node",
                                     "log/level",
                                     "log/file",
                                     "broker/endpoint",
                                     "broker/curve_secret",
                                     "mysql/password",
                                     "mysql/port",
                                     "redis/password",
                                     "gate/argon2_memlimit",
                                     "varify/smtp_password",
                                     "a/b/c/d/e/f",
                                     "x"};
#define NKEYS (sizeof s_keys / sizeof s_keys[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_open("/dev/null", LOG_INFO);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_config", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    config_t *cfg = config_load(path);
    close(fd);
    if (!cfg)
        return 0;
    for (size_t i = 0; i < NKEYS; i++) {
        const char *s = config_str(cfg, s_keys[i], NULL);
        if (s)
            (void)strlen(s);
        int64_t v = config_int(cfg, s_keys[i], 7, 1, 1000);
        if (v != 7 && (v < 1 || v > 1000))
            abort();
        if (s && strlen(s) < 5 && s[0] >= '1' && s[0] <= '9' &&
            strspn(s, "0123456789") == strlen(s) && atoi(s) <= 1000 && v != atoi(s))
            abort();
        (void)config_bool(cfg, s_keys[i], i & 1);
        (void)config_is_secret(s_keys[i]);
    }
    config_set(cfg, "uschatd/node", "fuzz.node");
    const char *node = config_str(cfg, "uschatd/node", "");
    if (!getenv("USCHAT_USCHATD_NODE") && strcmp(node, "fuzz.node") != 0)
        abort();
    config_dump(cfg);
    config_destroy(&cfg);
    return 0;
}
