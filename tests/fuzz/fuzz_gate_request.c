/* fuzz_gate_request.c - libFuzzer target for the gate's request checks (gate_route_check() in
 * actors/gate/gate_routes.c): the JSON body of /get_varifycode, /user_register, /reset_pwd and
 * /user_login parsed, every field checked, the email normalised and the password's wire
 * transform undone, then the answer the gate would send built from the result. No HTTP
 * server, broker or database: the check touches only the request.
 *
 * Input: 1 byte that picks the route, then the body (copied to a buffer of its exact size, as
 * the gate holds it, so a read past it is caught). Nothing may crash, read out of bounds or
 * leak, and what passes must be what the next steps rely on: an email that normalises to
 * itself, a valid user name, a password that is valid and whose transform gives back the wire
 * form, and an answer that is JSON carrying the same error code (and on success the fields).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate_internal.h"

static const gate_route_t s_routes[] = {GATE_ROUTE_GET_CODE, GATE_ROUTE_REGISTER, GATE_ROUTE_RESET,
                                        GATE_ROUTE_LOGIN};

/* The wire password of the body, transformed again, must be req->passwd's transform. */
static void s_check_password(const gate_req_t *req)
{
    if (!account_password_valid(req->passwd, req->passwd_len))
        abort();
    json_t *root = json_loadb(req->body, req->body_len, JSON_ALLOW_NUL, NULL);
    json_t *wire = json_object_get(root, "passwd");
    char back[GATE_PWD_BUF];
    size_t back_len = 0;
    if (!json_is_string(wire) ||
        account_pwd_transform(req->passwd, req->passwd_len, back, sizeof back, &back_len) != 0 ||
        back_len != json_string_length(wire) || memcmp(back, json_string_value(wire), back_len))
        abort();
    json_decref(root);
}

static void s_check_answer(gate_req_t *req, uint32_t error)
{
    req->error = error;
    char *text = gate_route_response(req);
    json_t *answer = text ? json_loads(text, 0, NULL) : NULL;
    if (!answer || json_integer_value(json_object_get(answer, "error")) != (json_int_t)error)
        abort();
    if (error == USCHAT_ERR_SUCCESS && req->route != GATE_ROUTE_LOGIN) {
        const char *email = json_string_value(json_object_get(answer, "email"));
        if (!email || strcmp(email, req->email) != 0)
            abort();
    }
    if (error == USCHAT_ERR_SUCCESS &&
        (req->route == GATE_ROUTE_REGISTER || req->route == GATE_ROUTE_RESET)) {
        const char *user = json_string_value(json_object_get(answer, "user"));
        if (!user || strcmp(user, req->user) != 0)
            abort();
    }
    json_decref(answer);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > GATE_BODY_MAX)
        return 0;
    gate_req_t *req = calloc(1, sizeof *req);
    if (!req)
        return 0;
    req->route = s_routes[data[0] % 4];
    req->body_len = size - 1;
    req->body = malloc(req->body_len ? req->body_len : 1);
    if (!req->body) {
        free(req);
        return 0;
    }
    memcpy(req->body, data + 1, req->body_len);
    uint32_t error = gate_route_check(req);
    if (error == USCHAT_ERR_SUCCESS) {
        char normal[ACCOUNT_EMAIL_MAX + 1];
        if (!account_email_normalize(req->email, strlen(req->email), normal) ||
            strcmp(normal, req->email) != 0)
            abort();
        switch (req->route) {
        case GATE_ROUTE_GET_CODE:
            if (req->step != GATE_STEP_GET_CODE)
                abort();
            break;
        case GATE_ROUTE_REGISTER:
        case GATE_ROUTE_RESET:
            if (req->step != GATE_STEP_CHECK_CODE ||
                !account_name_valid(req->user, strlen(req->user)) || !req->code[0] ||
                req->sex < 0 || req->sex > 2)
                abort();
            s_check_password(req);
            break;
        default:
            if (req->step != GATE_STEP_LOGIN)
                abort();
            s_check_password(req);
            break;
        }
    }
    s_check_answer(req, error);
    free(req->body);
    free(req);
    return 0;
}
