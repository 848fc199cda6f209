/*
 * wire.h - constants of the NoSQL wire protocol (PROTOCOL.md §1.4, §5) and
 * the one translation between cs_err_t and the protocol's error codes.
 *
 * The server turns its errors into wire codes only through
 * wire_code_from_err(); the reference client turns wire codes back into
 * cs_err_t only through wire_err_from_code().
 */
#ifndef CS_WIRE_H
#define CS_WIRE_H

#include <stdint.h>

#include "cs_err.h"

#define WIRE_SERIAL_VERSION 4
#define WIRE_PATH "/V2/nosql/data"

typedef enum {
    OP_DELETE = 0,
    OP_DELETE_IF_VERSION = 1,
    OP_GET = 2,
    OP_PUT = 3,
    OP_PUT_IF_ABSENT = 4,
    OP_PUT_IF_PRESENT = 5,
    OP_PUT_IF_VERSION = 6,
    OP_QUERY = 7,
    OP_PREPARE = 8,
    OP_WRITE_MULTIPLE = 9,
    OP_MULTI_DELETE = 10,
    OP_GET_TABLE = 11,
    OP_GET_INDEXES = 12,
    OP_GET_TABLE_USAGE = 13,
    OP_LIST_TABLES = 14,
    OP_TABLE_REQUEST = 15,
    OP_SCAN = 16,
    OP_INDEX_SCAN = 17,
    OP_CREATE_TABLE = 18,
    OP_ALTER_TABLE = 19,
    OP_DROP_TABLE = 20,
    OP_CREATE_INDEX = 21,
    OP_DROP_INDEX = 22,
    OP_SYSTEM_REQUEST = 23,
    OP_SYSTEM_STATUS_REQUEST = 24,
    OP_ADD_REPLICA = 33,
    OP_DROP_REPLICA = 34,
    OP_GET_REPLICA_STATS = 35,
    OP_CHANGE_STREAM_CONSUMER = 43,
    OP_CHANGE_STREAM_POLL = 44,
} wire_op_t;

typedef enum {
    WIRE_NO_ERROR = 0,
    WIRE_UNKNOWN_OPERATION = 1,
    WIRE_TABLE_NOT_FOUND = 2,
    WIRE_INDEX_NOT_FOUND = 3,
    WIRE_ILLEGAL_ARGUMENT = 4,
    WIRE_ROW_SIZE_LIMIT_EXCEEDED = 5,
    WIRE_KEY_SIZE_LIMIT_EXCEEDED = 6,
    WIRE_BATCH_OP_NUMBER_LIMIT_EXCEEDED = 7,
    WIRE_REQUEST_SIZE_LIMIT_EXCEEDED = 8,
    WIRE_TABLE_EXISTS = 9,
    WIRE_INDEX_EXISTS = 10,
    WIRE_INVALID_AUTHORIZATION = 11,
    WIRE_INSUFFICIENT_PERMISSION = 12,
    WIRE_RESOURCE_EXISTS = 13,
    WIRE_RESOURCE_NOT_FOUND = 14,
    WIRE_TABLE_LIMIT_EXCEEDED = 15,
    WIRE_INDEX_LIMIT_EXCEEDED = 16,
    WIRE_BAD_PROTOCOL_MESSAGE = 17,
    WIRE_EVOLUTION_LIMIT_EXCEEDED = 18,
    WIRE_OPERATION_NOT_SUPPORTED = 21,
    WIRE_ETAG_MISMATCH = 22,
    WIRE_UNSUPPORTED_PROTOCOL = 24,
    WIRE_TABLE_NOT_READY = 26,
    WIRE_SIZE_LIMIT_EXCEEDED = 52,
    WIRE_REQUEST_TIMEOUT = 100,
    WIRE_SERVER_ERROR = 101,
    WIRE_SERVICE_UNAVAILABLE = 102,
    WIRE_UNKNOWN_ERROR = 125,
    WIRE_ILLEGAL_STATE = 126,
} wire_code_t;

/* Table states in TableResult `as`. */
enum { TABLE_STATE_ACTIVE = 0, TABLE_STATE_CREATING = 1, TABLE_STATE_DROPPED = 2,
       TABLE_STATE_DROPPING = 3, TABLE_STATE_UPDATING = 4 };

/* The protocol code a client must see for an error of ours. */
int wire_code_from_err(cs_err_t err);
/* The cs_err_t a client reports for a protocol code (unknown codes: CS_EIO). */
cs_err_t wire_err_from_code(int code);
/* Human name of an op code ("Put", "ChangeStreamPoll"), NULL if unknown. */
const char *wire_op_name(int op);

#endif
