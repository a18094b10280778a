/* registry.c - the services compiled into uschatd (service_table of service.h).
 *
 * Every service of the project is linked in; a missing one fails the build. Read by uschatd's
 * main thread at start; constant data.
 */
#include <string.h>

#include "uschat/service.h"

#include "echo.h"
#include "gate.h"
#include "varify.h"
#include "status.h"
#include "chat.h"
#include "files.h"

const service_def_t service_table[] = {
    {"echo", echo_actor},
    {"gate", gate_actor},
    {"varify", varify_actor},
    {"status", status_actor},
    {"chat", chat_actor},
    {"files", files_actor},
    {NULL, NULL},
};

const service_def_t *service_find(const char *name)
{
    if (!name)
        return NULL;
    for (const service_def_t *def = service_table; def->name; def++)
        if (strcmp(def->name, name) == 0)
            return def;
    return NULL;
}
