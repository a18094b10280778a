/* files.h - the files service: resumable uploads (tus 1.0: core, creation, termination) and
 * ranged downloads of pictures and files over HTTP/1.1 of its own (libmicrohttpd), with the
 * content stored once per SHA-256 on the local disk or in an S3-compatible bucket.
 *
 * Bulk bytes never pass through the broker: the service only registers there (health, the
 * monitor's list). Every request carries the uid and the login token status issued
 * (X-Uschat-Uid, X-Uschat-Token), checked against Redis (utoken_<uid>); file records and
 * upload state are in MariaDB (tables file and file_upload). Config: section files
 * (config/files.conf). README.md, "Pictures and files", is the contract.
 *
 * Started by uschatd (or a test) with zactor_new(files_actor, service_args_t *).
 */
#ifndef USCHAT_FILES_H
#define USCHAT_FILES_H

#include <czmq.h>

void files_actor(zsock_t *pipe, void *args);

#endif
