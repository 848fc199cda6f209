/*
 * cs_err.h - the one error vocabulary of csemu.
 *
 * Every layer returns a cs_err_t; the detail a user should read travels in a
 * cs_error_t beside it. store/ turns MDB_* and errno into these in one
 * function (store_err_from_mdb), server/reply.c turns them into the wire
 * protocol's error codes in one table. "Not found" for a lookup is a result,
 * not an error; CS_ENOTABLE etc. are for operations that need the thing.
 */
#ifndef CS_ERR_H
#define CS_ERR_H

#include <stddef.h>

typedef enum {
    CS_OK = 0,
    CS_EINVAL,        /* the request's arguments are wrong (ILLEGAL_ARGUMENT) */
    CS_EPROTO,        /* the message is not well-formed (BAD_PROTOCOL_MESSAGE) */
    CS_ENOTABLE,      /* table does not exist for this tenant (TABLE_NOT_FOUND) */
    CS_ETABLEEXISTS,  /* CREATE TABLE of an existing table (TABLE_EXISTS) */
    CS_ENOINDEX,      /* (INDEX_NOT_FOUND) */
    CS_EINDEXEXISTS,  /* (INDEX_EXISTS) */
    CS_ENOTFOUND,     /* a named resource (group, consumer) is gone (RESOURCE_NOT_FOUND) */
    CS_EEXIST,        /* (RESOURCE_EXISTS) */
    CS_ENOTSUP,       /* operation csemu does not serve (OPERATION_NOT_SUPPORTED) */
    CS_EUNKNOWNOP,    /* op code nobody defines: "unknown opcode: N" (BAD_PROTOCOL_MESSAGE) */
    CS_ESTATE,        /* valid request, wrong moment (ILLEGAL_STATE) */
    CS_ETOOBIG,       /* request body over the limit (REQUEST_SIZE_LIMIT_EXCEEDED) */
    CS_EROWSIZE,      /* (ROW_SIZE_LIMIT_EXCEEDED) */
    CS_EKEYSIZE,      /* (KEY_SIZE_LIMIT_EXCEEDED) */
    CS_EBATCH,        /* too many operations in one WriteMultiple */
    CS_EETAG,         /* DDL etag does not match (ETAG_MISMATCH) */
    CS_ESPACE,        /* the store (map or disk) is full (SIZE_LIMIT_EXCEEDED) */
    CS_EAUTH,         /* missing/invalid Authorization (INVALID_AUTHORIZATION) */
    CS_EPERM,         /* not the caller's (INSUFFICIENT_PERMISSION) */
    CS_ETABLELIMIT,   /* too many tables/indexes (TABLE_LIMIT_EXCEEDED) */
    CS_EBUSY,         /* try again shortly (SERVICE_UNAVAILABLE) */
    CS_ENOMEM,        /* allocation failed (SERVER_ERROR) */
    CS_EIO,           /* our own failure: I/O, LMDB (SERVER_ERROR) */
    CS_ECORRUPT,      /* stored state fails its invariants (SERVER_ERROR) */
    CS_ERR__COUNT
} cs_err_t;

/* An error code with the sentence a user reads ("Table not found: users"). */
typedef struct cs_error {
    cs_err_t code;
    char msg[512];
} cs_error_t;

/* Short fixed name of a code, e.g. "CS_ENOTABLE" -> "table not found". */
const char *cs_strerror(cs_err_t code);

/* Record code and a printf-style message in *err (err may be NULL); returns
 * code so callers can write `return cs_fail(err, CS_EINVAL, "...")`. */
cs_err_t cs_fail(cs_error_t *err, cs_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear *err to CS_OK with an empty message. */
void cs_error_clear(cs_error_t *err);

#endif
