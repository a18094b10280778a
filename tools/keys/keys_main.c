/* keys_main.c - uschat-keys: makes the CURVE key pairs with which every UsChat process (local
 * or on another machine) reaches the broker encrypted and authenticated (CZMQ zcert), and the
 * broker's allow-list of what each key may register (docs/security.md).
 *
 * One folder holds everything, laid out the way the broker and the actors read it:
 *   DIR/broker.cert, DIR/broker.cert_secret   the broker's pair (broker/curve_secret_file)
 *   DIR/authorized/NAME.cert                   public certs of the allowed actors, the folder
 *                                              the broker reads (broker/curve_authorized_dir),
 *                                              each with metadata `services`: the names that
 *                                              key may register (`tap`: may read the tap);
 *                                              removing one revokes that actor
 *   DIR/actors/NAME.cert, NAME.cert_secret     each actor's own pair (the _secret file goes to
 *                                              that actor's host only)
 * Secret files are created 0600 (umask 077 while writing), never printed unless asked for
 * with `env`. A plain command-line program; single-threaded.
 */
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM      "uschat-keys"
#define NAME_MAX_LEN 63

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " COMMAND ...\n"
            "CURVE keys for every UsChat process that talks to the broker (docs/security.md).\n"
            "\n"
            "  init DIR [--force]          make the broker's key pair and DIR/authorized/\n"
            "  actor DIR NAME [--services LIST] [--force]\n"
            "                              make a key pair for actor NAME (e.g. chat.node2)\n"
            "                              and authorize it (DIR/authorized/NAME.cert) for\n"
            "                              the services in LIST (comma-separated; default:\n"
            "                              NAME up to its first dot); `tap` = may read the\n"
            "                              tap (uschat-monitor)\n"
            "  revoke DIR NAME             remove NAME from DIR/authorized/ (the broker\n"
            "                              refuses it from its next connection on)\n"
            "  list DIR                    show the broker's public key and the authorized "
            "actors\n"
            "  show FILE                   show the public key and metadata of a cert file\n"
            "  env DIR NAME                print the USCHAT_BROKER_CURVE_* lines for actor\n"
            "                              NAME's environment file (includes its SECRET key)\n"
            "\n"
            "Everyone (broker, services, monitor): broker/curve_keys_dir = DIR\n"
            "  the broker reads DIR/broker.cert_secret and DIR/authorized/; a service\n"
            "  DIR/broker.cert and DIR/actors/<node or service>.cert_secret; uschat-monitor\n"
            "  and uschat-ctl DIR/actors/monitor.cert_secret (docs/security.md).\n"
            "An actor on another host: the three keys of `env` in its environment file.\n");
}

/* An actor name becomes a file name: letters, digits, '.', '-', '_' only. */
static bool s_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_LEN || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* mkdir -p: the parents with 0755, the last part with mode */
static int s_mkdir(const char *path, mode_t mode)
{
    char partial[4096];
    snprintf(partial, sizeof(partial), "%s", path);
    for (char *slash = strchr(partial + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(partial, 0755) != 0 && errno != EEXIST)
            break;
        *slash = '/';
    }
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, PROGRAM ": cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

static bool s_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Writes the pair as path + path_secret with the metadata name; the secret file 0600. */
static int s_save(zcert_t *cert, const char *path, bool with_secret)
{
    mode_t old = umask(077);
    int rc = with_secret ? zcert_save(cert, path) : zcert_save_public(cert, path);
    umask(old);
    if (rc != 0) {
        fprintf(stderr, PROGRAM ": cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* the public half is meant to be copied around: readable by the broker's user */
    chmod(path, 0644);
    return 0;
}

static zcert_t *s_new_cert(const char *name)
{
    zcert_t *cert = zcert_new();
    if (!cert)
        return NULL;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "created", "%s", when);
    zcert_set_meta(cert, "created-by", PROGRAM);
    return cert;
}

static int s_init(const char *dir, bool force)
{
    char cert_path[4096], auth_dir[4096], actors_dir[4096];
    snprintf(cert_path, sizeof(cert_path), "%s/broker.cert", dir);
    snprintf(auth_dir, sizeof(auth_dir), "%s/authorized", dir);
    snprintf(actors_dir, sizeof(actors_dir), "%s/actors", dir);
    if (s_exists(cert_path) && !force) {
        fprintf(stderr,
                PROGRAM ": %s exists; --force makes a new pair (every actor then needs "
                        "the new broker public key)\n",
                cert_path);
        return 1;
    }
    if (s_mkdir(dir, 0755) || s_mkdir(auth_dir, 0755) || s_mkdir(actors_dir, 0700))
        return 1;
    zcert_t *cert = s_new_cert("broker");
    if (!cert || s_save(cert, cert_path, true) != 0) {
        zcert_destroy(&cert);
        return 1;
    }
    printf("broker key pair: %s (public), %s_secret (secret, mode 0600)\n", cert_path, cert_path);
    printf("authorized actors folder: %s\n", auth_dir);
    printf("broker public key: %s\n", zcert_public_txt(cert));
    printf("\nin every config (or USCHAT_BROKER_CURVE_KEYS_DIR):\n    broker\n"
           "        curve_keys_dir = %s\n",
           dir);
    zcert_destroy(&cert);
    return 0;
}

static zcert_t *s_load_broker(const char *dir)
{
    char cert_path[4096];
    snprintf(cert_path, sizeof(cert_path), "%s/broker.cert", dir);
    zcert_t *cert = zcert_load(cert_path);
    if (!cert)
        fprintf(stderr, PROGRAM ": no broker key pair in %s (run: " PROGRAM " init %s)\n", dir,
                dir);
    return cert;
}

/* A services list: names of letters, digits, '.', '-', '_' separated by commas. */
static bool s_services_ok(const char *list)
{
    if (!*list || *list == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
        return false;
    for (const char *p = list; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_' || *p == ','))
            return false;
    return true;
}

static int s_actor(const char *dir, const char *name, const char *services, bool force)
{
    if (!s_name_ok(name)) {
        fprintf(stderr, PROGRAM ": '%s' is not a usable actor name (letters, digits, . - _)\n",
                name);
        return 2;
    }
    char default_services[NAME_MAX_LEN + 1];
    if (!services) {
        snprintf(default_services, sizeof(default_services), "%.*s", (int)strcspn(name, "."), name);
        services = default_services;
    }
    if (!s_services_ok(services)) {
        fprintf(stderr, PROGRAM ": '%s' is not a usable services list (e.g. gate,varify)\n",
                services);
        return 2;
    }
    zcert_t *broker = s_load_broker(dir);
    if (!broker)
        return 1;
    char cert_path[4096], auth_path[4096], actors_dir[4096];
    snprintf(actors_dir, sizeof(actors_dir), "%s/actors", dir);
    snprintf(cert_path, sizeof(cert_path), "%s/actors/%s.cert", dir, name);
    snprintf(auth_path, sizeof(auth_path), "%s/authorized/%s.cert", dir, name);
    if (s_exists(cert_path) && !force) {
        fprintf(stderr, PROGRAM ": %s exists; --force replaces it\n", cert_path);
        zcert_destroy(&broker);
        return 1;
    }
    int rc = 1;
    zcert_t *cert = NULL;
    if (s_mkdir(actors_dir, 0700) != 0)
        goto done;
    cert = s_new_cert(name);
    if (cert)
        zcert_set_meta(cert, "services", "%s", services);
    if (!cert || s_save(cert, cert_path, true) != 0 || s_save(cert, auth_path, false) != 0)
        goto done;
    printf("actor %s: %s (public), %s_secret (secret, mode 0600)\n", name, cert_path, cert_path);
    printf("authorized: %s, for: %s\n", auth_path, services);
    printf("\nin %s's config (broker section), or its environment:\n", name);
    printf("    broker\n        curve_server_public = \"%s\"\n        curve_public = \"%s\"\n"
           "        curve_secret = (the secret-key of %s_secret; `" PROGRAM
           " env %s %s` prints it)\n",
           zcert_public_txt(broker), zcert_public_txt(cert), cert_path, dir, name);
    rc = 0;
done:
    zcert_destroy(&cert);
    zcert_destroy(&broker);
    return rc;
}

static int s_revoke(const char *dir, const char *name)
{
    if (!s_name_ok(name)) {
        fprintf(stderr, PROGRAM ": '%s' is not a usable actor name\n", name);
        return 2;
    }
    char auth_path[4096];
    snprintf(auth_path, sizeof(auth_path), "%s/authorized/%s.cert", dir, name);
    if (unlink(auth_path) != 0) {
        fprintf(stderr, PROGRAM ": cannot remove %s: %s\n", auth_path, strerror(errno));
        return 1;
    }
    printf("revoked %s (removed %s)\n", name, auth_path);
    return 0;
}

static int s_show(const char *path)
{
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        fprintf(stderr, PROGRAM ": cannot read a certificate from %s\n", path);
        return 1;
    }
    const char *name = zcert_meta(cert, "name");
    const char *created = zcert_meta(cert, "created");
    printf("%-20s %s", name ? name : "?", zcert_public_txt(cert));
    if (created)
        printf("  created %s", created);
    printf("\n");
    zcert_destroy(&cert);
    return 0;
}

static int s_list(const char *dir)
{
    zcert_t *broker = s_load_broker(dir);
    if (!broker)
        return 1;
    printf("broker public key:   %s\nauthorized actors:\n", zcert_public_txt(broker));
    zcert_destroy(&broker);
    char auth_dir[4096];
    snprintf(auth_dir, sizeof(auth_dir), "%s/authorized", dir);
    zdir_t *folder = zdir_new(auth_dir, NULL);
    if (!folder) {
        printf("  (none: %s is missing)\n", auth_dir);
        return 0;
    }
    zlist_t *files = zdir_list(folder);
    zlist_sort(files, NULL);
    size_t count = 0;
    for (zfile_t *file = zlist_first(files); file; file = zlist_next(files)) {
        zcert_t *cert = zcert_load(zfile_filename(file, NULL));
        if (!cert)
            continue;
        const char *name = zcert_meta(cert, "name");
        const char *services = zcert_meta(cert, "services");
        printf("  %-20s %s  %s\n", name ? name : zfile_filename(file, auth_dir),
               zcert_public_txt(cert), services && *services ? services : "(nothing)");
        zcert_destroy(&cert);
        count++;
    }
    if (count == 0)
        printf("  (none)\n");
    zlist_destroy(&files);
    zdir_destroy(&folder);
    return 0;
}

static int s_env(const char *dir, const char *name)
{
    if (!s_name_ok(name)) {
        fprintf(stderr, PROGRAM ": '%s' is not a usable actor name\n", name);
        return 2;
    }
    zcert_t *broker = s_load_broker(dir);
    if (!broker)
        return 1;
    char cert_path[4096];
    snprintf(cert_path, sizeof(cert_path), "%s/actors/%s.cert", dir, name);
    zcert_t *cert = zcert_load(cert_path);
    int rc = 1;
    if (!cert) {
        fprintf(stderr, PROGRAM ": no key pair for %s (run: " PROGRAM " actor %s %s)\n", name, dir,
                name);
    } else if (strcmp(zcert_secret_txt(cert), "0000000000000000000000000000000000000000") == 0) {
        fprintf(stderr, PROGRAM ": %s_secret is missing (only the public half is here)\n",
                cert_path);
    } else {
        printf("# CURVE keys of actor %s: keep this file mode 0600\n", name);
        /* Z85 has no quote or backslash but has $ and #: single quotes keep both shells and
         * systemd's EnvironmentFile= from reading anything into them */
        printf("USCHAT_BROKER_CURVE_SERVER_PUBLIC='%s'\n", zcert_public_txt(broker));
        printf("USCHAT_BROKER_CURVE_PUBLIC='%s'\n", zcert_public_txt(cert));
        printf("USCHAT_BROKER_CURVE_SECRET='%s'\n", zcert_secret_txt(cert));
        rc = 0;
    }
    zcert_destroy(&cert);
    zcert_destroy(&broker);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    bool force = false;
    const char *services = NULL;
    const char *args[3] = {NULL, NULL, NULL};
    int nargs = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = true;
        else if (strcmp(argv[i], "--services") == 0 && i + 1 < argc)
            services = argv[++i];
        else if (nargs < 3)
            args[nargs++] = argv[i];
        else
            nargs = 4;
    }
    zsys_init();
    zsys_set_logstream(NULL); /* zcert's own complaints would repeat ours */
    if (strcmp(cmd, "init") == 0 && nargs == 1)
        return s_init(args[0], force);
    if ((strcmp(cmd, "actor") == 0 || strcmp(cmd, "add") == 0) && nargs == 2)
        return s_actor(args[0], args[1], services, force);
    if (strcmp(cmd, "revoke") == 0 && nargs == 2)
        return s_revoke(args[0], args[1]);
    if (strcmp(cmd, "list") == 0 && nargs == 1)
        return s_list(args[0]);
    if (strcmp(cmd, "show") == 0 && nargs == 1)
        return s_show(args[0]);
    if (strcmp(cmd, "env") == 0 && nargs == 2)
        return s_env(args[0], args[1]);
    s_usage(stderr);
    return 2;
}
