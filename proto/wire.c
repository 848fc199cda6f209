/* wire.c - op names and the cs_err_t <-> wire error code tables. */
#include "wire.h"

#include <stddef.h>

static const struct { cs_err_t err; int code; } err_codes[] = {
    { CS_EINVAL, WIRE_ILLEGAL_ARGUMENT },
    { CS_EPROTO, WIRE_BAD_PROTOCOL_MESSAGE },
    { CS_EUNKNOWNOP, WIRE_BAD_PROTOCOL_MESSAGE },
    { CS_ENOTABLE, WIRE_TABLE_NOT_FOUND },
    { CS_ETABLEEXISTS, WIRE_TABLE_EXISTS },
    { CS_ENOINDEX, WIRE_INDEX_NOT_FOUND },
    { CS_EINDEXEXISTS, WIRE_INDEX_EXISTS },
    { CS_ENOTFOUND, WIRE_RESOURCE_NOT_FOUND },
    { CS_EEXIST, WIRE_RESOURCE_EXISTS },
    { CS_ENOTSUP, WIRE_OPERATION_NOT_SUPPORTED },
    { CS_ESTATE, WIRE_ILLEGAL_STATE },
    { CS_ETOOBIG, WIRE_REQUEST_SIZE_LIMIT_EXCEEDED },
    { CS_EROWSIZE, WIRE_ROW_SIZE_LIMIT_EXCEEDED },
    { CS_EKEYSIZE, WIRE_KEY_SIZE_LIMIT_EXCEEDED },
    { CS_EBATCH, WIRE_BATCH_OP_NUMBER_LIMIT_EXCEEDED },
    { CS_EETAG, WIRE_ETAG_MISMATCH },
    { CS_ESPACE, WIRE_SIZE_LIMIT_EXCEEDED },
    { CS_EAUTH, WIRE_INVALID_AUTHORIZATION },
    { CS_EPERM, WIRE_INSUFFICIENT_PERMISSION },
    { CS_ETABLELIMIT, WIRE_TABLE_LIMIT_EXCEEDED },
    { CS_EBUSY, WIRE_SERVICE_UNAVAILABLE },
    { CS_ENOMEM, WIRE_SERVER_ERROR },
    { CS_EIO, WIRE_SERVER_ERROR },
    { CS_ECORRUPT, WIRE_SERVER_ERROR },
};

int wire_code_from_err(cs_err_t err)
{
    for (size_t i = 0; i < sizeof err_codes / sizeof err_codes[0]; i++)
        if (err_codes[i].err == err)
            return err_codes[i].code;
    return err == CS_OK ? WIRE_NO_ERROR : WIRE_UNKNOWN_ERROR;
}

cs_err_t wire_err_from_code(int code)
{
    if (code == WIRE_NO_ERROR)
        return CS_OK;
    for (size_t i = 0; i < sizeof err_codes / sizeof err_codes[0]; i++)
        if (err_codes[i].code == code)
            return err_codes[i].err;   /* first match is the canonical one */
    switch (code) {
    case WIRE_UNKNOWN_OPERATION: return CS_EUNKNOWNOP;
    case WIRE_INDEX_LIMIT_EXCEEDED:
    case WIRE_EVOLUTION_LIMIT_EXCEEDED: return CS_ETABLELIMIT;
    case WIRE_UNSUPPORTED_PROTOCOL: return CS_EPROTO;
    case WIRE_TABLE_NOT_READY: return CS_EBUSY;
    case WIRE_REQUEST_TIMEOUT: return CS_EBUSY;
    default: return CS_EIO;
    }
}

const char *wire_op_name(int op)
{
    switch (op) {
    case OP_DELETE: return "Delete";
    case OP_DELETE_IF_VERSION: return "DeleteIfVersion";
    case OP_GET: return "Get";
    case OP_PUT: return "Put";
    case OP_PUT_IF_ABSENT: return "PutIfAbsent";
    case OP_PUT_IF_PRESENT: return "PutIfPresent";
    case OP_PUT_IF_VERSION: return "PutIfVersion";
    case OP_QUERY: return "Query";
    case OP_PREPARE: return "Prepare";
    case OP_WRITE_MULTIPLE: return "WriteMultiple";
    case OP_MULTI_DELETE: return "MultiDelete";
    case OP_GET_TABLE: return "GetTable";
    case OP_GET_INDEXES: return "GetIndexes";
    case OP_GET_TABLE_USAGE: return "GetTableUsage";
    case OP_LIST_TABLES: return "ListTables";
    case OP_TABLE_REQUEST: return "TableRequest";
    case OP_SYSTEM_REQUEST: return "SystemRequest";
    case OP_SYSTEM_STATUS_REQUEST: return "SystemStatusRequest";
    case OP_ADD_REPLICA: return "AddReplica";
    case OP_DROP_REPLICA: return "DropReplica";
    case OP_GET_REPLICA_STATS: return "GetReplicaStats";
    case OP_CHANGE_STREAM_CONSUMER: return "ChangeStreamConsumer";
    case OP_CHANGE_STREAM_POLL: return "ChangeStreamPoll";
    default: return NULL;
    }
}
