/* registry.c - the services compiled into uschatd (service_table of service.h).
 *
 * Each service is linked only when its library target exists in the build (see this folder's
 * CMakeLists.txt, which defines USCHAT_HAVE_<SERVICE>), so uschatd builds at every stage of
 * the project. Read by uschatd's main thread at start; constant data.
 */
#include <string.h>

#include "uschat/service.h"

#ifdef USCHAT_HAVE_ECHO
#include "echo.h"
#endif
#ifdef USCHAT_HAVE_GATE
#include "gate.h"
#endif
#ifdef USCHAT_HAVE_VARIFY
#include "varify.h"
#endif
#ifdef USCHAT_HAVE_STATUS
#include "status.h"
#endif
#ifdef USCHAT_HAVE_CHAT
#include "chat.h"
#endif

const service_def_t service_table[] = {
#ifdef USCHAT_HAVE_ECHO
    {"echo", echo_actor},
#endif
#ifdef USCHAT_HAVE_GATE
    {"gate", gate_actor},
#endif
#ifdef USCHAT_HAVE_VARIFY
    {"varify", varify_actor},
#endif
#ifdef USCHAT_HAVE_STATUS
    {"status", status_actor},
#endif
#ifdef USCHAT_HAVE_CHAT
    {"chat", chat_actor},
#endif
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
