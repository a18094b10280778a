/* uschat_client.h - the UsChat client library (no UI): include this one header.
 *
 * Used by the integration tests, the load generator (tools/load) and the SDL desktop client.
 *   error.h    local error codes and the server's error codes
 *   proto.h    chat node message ids, request builders, reply parsers (JSON field names)
 *   conn.h     sans-I/O connection core (frames out, messages in; no sockets)
 *   session.h  blocking connection for tests and simple tools (send, wait for id X, login)
 *   socket.h   a socket and a wake-up for programs with their own event loop
 *   http.h     the gate's HTTP routes (libcurl, keep-alive) and the password transform
 */
#ifndef USCHAT_CLIENT_H
#define USCHAT_CLIENT_H

#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/conn.h"
#include "uschat/client/session.h"
#include "uschat/client/socket.h"
#include "uschat/client/http.h"

#endif
