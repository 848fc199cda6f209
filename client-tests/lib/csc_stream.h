/*
 * csc_stream.h - the Change Streams consumer of the reference client, the C
 * counterpart of borneo.changestream (ConsumerBuilder, Consumer,
 * MessageBundle, Message, Event, Record, Image, StartLocation).
 *
 * Wire: ChangeStreamConsumer (op 43, modes CREATE/UPDATE/CLOSE/DELETE/
 * COMMIT/RESET) and ChangeStreamPoll (op 44), PROTOCOL.md 4.14/4.15,
 * payloads field for field in borneo's order. Behaviour mirrors borneo:
 *
 *  - build() resolves every table given by name to its OCID with one
 *    GetTable per table, in add order (a name starting "ocid1.nosqltable.",
 *    case-insensitively, is an OCID and is not looked up), then sends CREATE.
 *  - Cursor hand-over: the consumer's cursor is replaced by the "cu" of every
 *    CREATE, UPDATE, COMMIT and RESET reply and of every poll reply that has
 *    one; a reply of those modes without "cu" is an error (borneo's texts).
 *  - poll(limit, wait_ms) re-polls every 100 ms until a non-empty bundle or
 *    until waiting another 100 ms would pass wait_ms; a bundle keeps the
 *    consumer's cursor as it was after that poll, so csc_bundle_commit()
 *    commits exactly what that poll (and every earlier one) returned.
 *  - close() sends CLOSE once and marks the consumer closed locally; every
 *    later call except close() fails locally with CS_ESTATE "Consumer has
 *    been closed." (borneo's IllegalStateException).
 *
 * Errors. A server error keeps its code and message verbatim: err->e.code is
 * its cs_err_t, err->proto_code its wire code (e.g. 14 for a bad cursor),
 * err->e.msg its text. Local argument mistakes are CS_EINVAL (borneo's
 * IllegalArgumentException), local state mistakes CS_ESTATE, malformed
 * replies CS_EPROTO. A failed name lookup in build()/add_table/remove_table
 * is CS_EINVAL "Can't get table 'T' information: <Exception>: <message>" as
 * in borneo, with err->proto_code still the GetTable reply's code.
 * csc_stream_not_supported() tells whether an error is borneo's "Change
 * Streams not supported by server".
 *
 * Ownership. A builder, consumer and bundle belong to the caller. The handle
 * is borrowed and must outlive builders and consumers using it; a bundle
 * borrows its consumer (commit through a bundle whose consumer was freed is
 * a bug). Nothing here is thread-safe (one consumer per thread, as borneo's
 * poll). All values (keys, images, metadata) come as csc_row_t (csc_value.h):
 * the NSON bytes exactly as the server sent them, borrowed from the
 * bundle's storage (valid until csc_bundle_free), and their plain JSON -
 * rendered during poll by default, or only when csc_row_json() asks for it
 * in a consumer set to lazy JSON (csc_builder_set_lazy_json), which is what
 * makes polling cheap when the records are not all looked at as JSON.
 *
 * Cost. A poll decodes the reply once and checks each event once, in
 * full, so a malformed event fails the poll in either mode with the same
 * error: eagerly into a tree that is rendered to JSON; lazily in place
 * (csc_nson_raw.h), no tree, nothing copied. A bundle's messages, events,
 * records and strings live in one arena that also holds the reply's bytes
 * the rows point into: no allocation per record besides JSON.
 */
#ifndef CSC_STREAM_H
#define CSC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csc_handle.h"
#include "csc_value.h"

#define CSC_STREAM_POLL_INTERVAL_MS 100     /* borneo Consumer._POLL_INTERVAL_MS */
#define CSC_TABLE_OCID_PREFIX "ocid1.nosqltable."

/* ---- start locations (wire "so", "se") ---- */

typedef enum {
    CSC_START_FIRST_UNCOMMITTED = 1,    /* the group's committed position (default) */
    CSC_START_EARLIEST = 2,             /* the oldest retained event */
    CSC_START_LATEST = 3,               /* events written after the consumer starts */
    CSC_START_AT_TIME = 4               /* first event with modification time >= time */
} csc_start_kind_t;

typedef struct csc_start_location {
    csc_start_kind_t kind;
    int64_t start_time_ms;      /* AT_TIME only (sent as "se" when > 0); else 0 */
} csc_start_location_t;

static inline csc_start_location_t csc_start_first_uncommitted(void)
{
    return (csc_start_location_t){ CSC_START_FIRST_UNCOMMITTED, 0 };
}
static inline csc_start_location_t csc_start_earliest(void)
{
    return (csc_start_location_t){ CSC_START_EARLIEST, 0 };
}
static inline csc_start_location_t csc_start_latest(void)
{
    return (csc_start_location_t){ CSC_START_LATEST, 0 };
}
static inline csc_start_location_t csc_start_at_time(int64_t ms)
{
    return (csc_start_location_t){ CSC_START_AT_TIME, ms };
}

/* True when s starts with "ocid1.nosqltable." (case-insensitive): borneo
 * then treats it as a table OCID and skips the GetTable lookup. */
bool csc_is_table_ocid(const char *s);

/* ---- builder (borneo ConsumerBuilder) ---- */

typedef struct csc_consumer_builder csc_consumer_builder_t;

/* New empty builder: automatic commit, no compartment, no max poll
 * interval, no force reset, no tables. NULL when out of memory. */
csc_consumer_builder_t *csc_builder_new(void);
void csc_builder_free(csc_consumer_builder_t *b);

/* Setters copy their strings. A mistake (NULL group id, max poll <= 0, a
 * bad start location, out of memory) is remembered and reported by
 * csc_builder_validate()/csc_consumer_build() - the first one wins. */
void csc_builder_set_handle(csc_consumer_builder_t *b, csc_handle_t *h);
void csc_builder_set_group_id(csc_consumer_builder_t *b, const char *group_id);
void csc_builder_set_compartment(csc_consumer_builder_t *b, const char *compartment); /* NULL = default */
void csc_builder_set_commit_automatic(csc_consumer_builder_t *b);
void csc_builder_set_commit_manual(csc_consumer_builder_t *b);
void csc_builder_set_max_poll_interval(csc_consumer_builder_t *b, int64_t ms);
void csc_builder_set_force_reset_start_location(csc_consumer_builder_t *b);
/* Lazy JSON (not in borneo; default off): records' rows come without JSON
 * (row.json NULL) until csc_row_json() renders and caches it. Only the
 * client side changes: nothing is sent. */
void csc_builder_set_lazy_json(csc_consumer_builder_t *b, bool on);
/* Add a table by name or OCID; compartment NULL = default, start NULL =
 * first uncommitted. Adding the same name/OCID with the same compartment
 * again (case-insensitive) is ignored, as in borneo. */
void csc_builder_add_table(csc_consumer_builder_t *b, const char *table,
                           const char *compartment, const csc_start_location_t *start);
/* Append a removal entry (no de-duplication; start "first uncommitted"). */
void csc_builder_remove_table(csc_consumer_builder_t *b, const char *table,
                              const char *compartment);
size_t csc_builder_num_tables(const csc_consumer_builder_t *b);
/* The OCID of the i-th table entry once known (given or resolved), else NULL. */
const char *csc_builder_table_ocid(const csc_consumer_builder_t *b, size_t i);

/* borneo validate(): the remembered setter error, then "Consumer builder
 * missing NoSQLHandle." / "... missing tables information." (CS_EINVAL),
 * then one GetTable per entry still without an OCID. Entries resolved
 * earlier are not looked up again. */
cs_err_t csc_builder_validate(csc_consumer_builder_t *b, csc_error_t *err);

/* ---- consumer (borneo Consumer) ---- */

typedef struct csc_consumer csc_consumer_t;

/* build(): validate, then CREATE. On CS_OK *out is a new open consumer
 * (free with csc_consumer_free). The builder is not kept and may be freed
 * or reused afterwards; its tables keep their resolved OCIDs. */
cs_err_t csc_consumer_build(csc_consumer_builder_t *b, csc_consumer_t **out, csc_error_t *err);

/* Free the local object without telling the server (like dropping a borneo
 * Consumer without close(): the server expires it after its max poll
 * interval). NULL is fine. */
void csc_consumer_free(csc_consumer_t *c);

/* The current cursor (borrowed; changes with every call), NULL when closed. */
const uint8_t *csc_consumer_cursor(const csc_consumer_t *c, size_t *len);
/* Consumer metadata "cm" of the last CREATE/UPDATE reply that had one;
 * borrowed; json NULL when none. */
const csc_row_t *csc_consumer_metadata(const csc_consumer_t *c);
bool csc_consumer_is_closed(const csc_consumer_t *c);
/* Switch lazy JSON (see csc_builder_set_lazy_json) for the next polls. */
void csc_consumer_set_lazy_json(csc_consumer_t *c, bool on);
bool csc_consumer_lazy_json(const csc_consumer_t *c);
/* Use another handle from now on (e.g. the same server restarted on a new
 * port); the cursor is kept. h is borrowed. */
void csc_consumer_set_handle(csc_consumer_t *c, csc_handle_t *h);
/* Replace the cursor with arbitrary bytes (tests: forged or foreign
 * cursors). CS_ENOMEM. */
cs_err_t csc_consumer_set_cursor(csc_consumer_t *c, const uint8_t *cursor, size_t len,
                                 csc_error_t *err);

/* ---- bundles (borneo MessageBundle, Message, Event, Record, Image) ---- */

typedef struct csc_image {
    bool present;           /* value or metadata was sent ("rv"/"rm", "pv"/"pm") */
    csc_row_t value;        /* json NULL when absent */
    csc_row_t metadata;
} csc_image_t;

/* Everything a bundle holds (strings, arrays, rows' bytes) is its own and
 * lives until csc_bundle_free(); callers read it and never free parts. */
typedef struct csc_record {
    char *event_id;             /* "ei", NULL when absent */
    csc_row_t key;              /* "rk" */
    csc_image_t current;        /* "rv"/"rm": absent on a delete */
    csc_image_t before;         /* "pv"/"pm": absent on an insert */
    int64_t modification_time;  /* "md", ms */
    int64_t expiration_time;    /* "xp", ms, 0 = none */
    int partition_id;           /* "pi" */
    int region_id;              /* "ri" */
} csc_record_t;

typedef struct csc_event {
    csc_record_t *records;
    size_t num_records;
} csc_event_t;

typedef struct csc_message {
    char *table_name;           /* "n" */
    char *table_ocid;           /* "to" */
    char *compartment;          /* "cc" */
    csc_event_t *events;
    size_t num_events;
} csc_message_t;

typedef struct csc_bundle {
    csc_message_t *messages;
    size_t num_messages;
    int64_t events_remaining;   /* "er" (0 when absent) */
    csc_bytes_t cursor;         /* the consumer's cursor after this poll */
    csc_consumer_t *consumer;   /* borrowed; NULL for a bundle only decoded */
    struct csc_bundle_mem *mem; /* private: the storage everything above lives in */
} csc_bundle_t;

void csc_bundle_free(csc_bundle_t *b);
bool csc_bundle_is_empty(const csc_bundle_t *b);      /* no messages */
size_t csc_bundle_num_records(const csc_bundle_t *b); /* over all messages and events */

/* poll(limit, wait_ms): limit >= 0 events (0 = heartbeat, returns nothing),
 * wait_ms >= 0. On CS_OK *out is a bundle (maybe empty) to free with
 * csc_bundle_free(). CS_EINVAL for negative arguments, CS_ESTATE when
 * closed, server errors as they come (polls are never retried). */
cs_err_t csc_consumer_poll(csc_consumer_t *c, int limit, int wait_ms, csc_bundle_t *out,
                           csc_error_t *err);

/* COMMIT the consumer's current cursor; timeout_ms 0 = the handle's
 * default (header "t"). */
cs_err_t csc_consumer_commit(csc_consumer_t *c, int timeout_ms, csc_error_t *err);
/* COMMIT a bundle's own cursor (borneo commit_bundle). CS_EINVAL when the
 * bundle has no cursor. */
cs_err_t csc_consumer_commit_bundle(csc_consumer_t *c, const csc_bundle_t *b, int timeout_ms,
                                    csc_error_t *err);
/* bundle.commit(): through the bundle's consumer; CS_ESTATE without one. */
cs_err_t csc_bundle_commit(const csc_bundle_t *b, int timeout_ms, csc_error_t *err);

/* RESET: uncommitted events are delivered again; nothing is committed. */
cs_err_t csc_consumer_reset(csc_consumer_t *c, csc_error_t *err);
/* CLOSE (automatic mode: the server commits the last poll). A no-op when
 * already closed. A reply carrying a cursor is CS_EPROTO "Consumer not
 * closed on server side." and leaves the consumer open. */
cs_err_t csc_consumer_close(csc_consumer_t *c, csc_error_t *err);

/* UPDATE: add a table (by name or OCID; start NULL = first uncommitted) to,
 * or remove one from, the consumer's group. Names are resolved first. */
cs_err_t csc_consumer_add_table(csc_consumer_t *c, const char *table, const char *compartment,
                                const csc_start_location_t *start, csc_error_t *err);
cs_err_t csc_consumer_remove_table(csc_consumer_t *c, const char *table,
                                   const char *compartment, csc_error_t *err);

/* Consumer.delete_group(handle, group_id, compartment, force_stop): DELETE
 * with "gr", "cc" (when given), "fr" true (force stop). */
cs_err_t csc_consumer_delete_group(csc_handle_t *h, const char *group_id,
                                   const char *compartment, bool force_stop, csc_error_t *err);

/* borneo's recognition of a server without Change Streams: the message
 * contains "unknown opcode"/"unknown operation", or code 21 with "change
 * stream" and not "serial version" (case-insensitive). */
bool csc_stream_not_supported(const csc_error_t *err);

/* ---- encoding and decoding, exposed for tests against the vectors ---- */

typedef enum {
    CSC_CS_CREATE = 1,
    CSC_CS_UPDATE = 2,
    CSC_CS_CLOSE = 3,
    CSC_CS_DELETE = 4,
    CSC_CS_COMMIT = 5,
    CSC_CS_RESET = 6
} csc_cs_mode_t;

/* One ChangeStreamConsumer request, as borneo's ChangeStreamConsumerRequest:
 * payload mm, cu (when cursor), then from the builder (when given) gr, ma
 * (manual only), cc, mi (LONG), fr (only true), ct (when it has tables;
 * every entry must have an OCID: "Consumer builder missing table OCID."). */
typedef struct csc_cs_request {
    csc_cs_mode_t mode;
    const uint8_t *cursor;      /* NULL = not sent */
    size_t cursor_len;
    const csc_consumer_builder_t *builder; /* NULL = none */
    int timeout_ms;             /* 0 = handle default */
} csc_cs_request_t;

/* The complete request bodies (00 04 + NSON) the consumer POSTs; h may be
 * NULL (default timeouts). */
cs_err_t csc_cs_request_encode(const csc_handle_t *h, const csc_cs_request_t *req, buf_t *body,
                               csc_error_t *err);
cs_err_t csc_cs_poll_encode(const csc_handle_t *h, const uint8_t *cursor, size_t cursor_len,
                            int limit, int timeout_ms, buf_t *body, csc_error_t *err);

/* Consumer reply ("cu", "cm"): *cursor (data NULL = none) and *metadata
 * (json NULL = none) are the caller's to free. */
cs_err_t csc_cs_reply_decode(const nson_value_t *reply, csc_bytes_t *cursor,
                             csc_row_t *metadata, csc_error_t *err);
/* Poll reply into *out (consumer NULL; cursor = the reply's "cu", data NULL
 * when absent). CS_EPROTO as borneo fails: "eb" without "cu" ("Poll
 * returned invalid cursor."), a message without "es", an event that is not
 * a BINARY holding an NSON MAP with "es", wrong scalar types; CS_ETOOBIG
 * when messages + events + records exceed 2^20 (nothing is allocated past
 * that). Free *out with csc_bundle_free() whatever the result. */
cs_err_t csc_poll_reply_decode(const nson_value_t *reply, csc_bundle_t *out, csc_error_t *err);
/* The same with lazy JSON rows (checks and errors unchanged). Both copy
 * what the bundle needs: reply may be freed before the bundle. */
cs_err_t csc_poll_reply_decode_lazy(const nson_value_t *reply, csc_bundle_t *out,
                                    csc_error_t *err);

#endif
