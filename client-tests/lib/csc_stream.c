/*
 * csc_stream.c - Change Streams consumer of the reference client (see
 * csc_stream.h).
 *
 * Payload layouts follow borneo's nson.py serializers field for field:
 *   ChangeStreamConsumer: mm cu? gr? ma? cc? mi? fr? ct?[ {to se? so ir?} ]
 *   ChangeStreamPoll:     me cu
 * Replies are read like borneo's deserializers: scalar types exactly
 * (cu BINARY, er LONG, md/xp LONG, pi/ri/vs/ty INTEGER, ei/n/to/cc
 * STRING), every event a BINARY holding one NSON MAP (trailing bytes
 * ignored), unknown fields skipped.
 */
#include "csc_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "csc_internal.h"
#include "csc_nson_raw.h"
#include "csc_table.h"
#include "nson_json.h"
#include "wire.h"

/* ------------------------------------------------------------------------
 * representation
 * ------------------------------------------------------------------------ */

typedef struct table_cfg {
    char *name;                 /* as given when not an OCID, else NULL */
    char *ocid;                 /* given, or resolved by validate */
    char *compartment;          /* NULL = default */
    csc_start_location_t start;
    bool is_remove;
} table_cfg_t;

struct csc_consumer_builder {
    csc_handle_t *h;            /* borrowed */
    char *group_id;
    char *compartment;
    bool manual;
    bool has_max_poll;
    int64_t max_poll_ms;
    bool force_reset;
    bool lazy_json;             /* client side only */
    table_cfg_t *tables;
    size_t n, cap;
    cs_error_t sticky;          /* first setter mistake, code CS_OK when none */
};

struct csc_consumer {
    csc_handle_t *h;            /* borrowed */
    csc_bytes_t cursor;         /* data NULL once closed */
    csc_row_t metadata;         /* "cm" */
    bool closed;
    bool lazy_json;             /* polls leave rows without JSON */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool bytes_copy(csc_bytes_t *dst, const uint8_t *p, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        return false;
    memcpy(d, p, len);
    free(dst->data);
    dst->data = d;
    dst->len = len;
    return true;
}

/* Take *src's bytes into *dst (freeing dst's old bytes). */
static void bytes_move(csc_bytes_t *dst, csc_bytes_t *src)
{
    free(dst->data);
    *dst = *src;
    src->data = NULL;
    src->len = 0;
}

bool csc_is_table_ocid(const char *s)
{
    return s && strncasecmp(s, CSC_TABLE_OCID_PREFIX, sizeof CSC_TABLE_OCID_PREFIX - 1) == 0;
}

/* ------------------------------------------------------------------------
 * builder
 * ------------------------------------------------------------------------ */

csc_consumer_builder_t *csc_builder_new(void)
{
    return calloc(1, sizeof(csc_consumer_builder_t));
}

static void cfg_free(table_cfg_t *t)
{
    free(t->name);
    free(t->ocid);
    free(t->compartment);
}

void csc_builder_free(csc_consumer_builder_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        cfg_free(&b->tables[i]);
    free(b->tables);
    free(b->group_id);
    free(b->compartment);
    free(b);
}

static void builder_fail(csc_consumer_builder_t *b, cs_err_t code, const char *msg)
{
    if (b->sticky.code == CS_OK)
        cs_fail(&b->sticky, code, "%s", msg);
}

/* Replace *dst with a copy of s (NULL allowed). */
static void set_str(csc_consumer_builder_t *b, char **dst, const char *s)
{
    char *copy = NULL;
    if (s && !(copy = strdup(s))) {
        builder_fail(b, CS_ENOMEM, "out of memory");
        return;
    }
    free(*dst);
    *dst = copy;
}

void csc_builder_set_handle(csc_consumer_builder_t *b, csc_handle_t *h)
{
    if (!h)
        builder_fail(b, CS_EINVAL, "handle must be not-none.");
    b->h = h;
}

void csc_builder_set_group_id(csc_consumer_builder_t *b, const char *group_id)
{
    if (!group_id) {
        builder_fail(b, CS_EINVAL, "group_id must be a string");
        return;
    }
    set_str(b, &b->group_id, group_id);
}

void csc_builder_set_compartment(csc_consumer_builder_t *b, const char *compartment)
{
    set_str(b, &b->compartment, compartment);
}

void csc_builder_set_commit_automatic(csc_consumer_builder_t *b) { b->manual = false; }
void csc_builder_set_commit_manual(csc_consumer_builder_t *b) { b->manual = true; }
void csc_builder_set_force_reset_start_location(csc_consumer_builder_t *b) { b->force_reset = true; }
void csc_builder_set_lazy_json(csc_consumer_builder_t *b, bool on) { b->lazy_json = on; }

void csc_builder_set_max_poll_interval(csc_consumer_builder_t *b, int64_t ms)
{
    if (ms <= 0) {
        builder_fail(b, CS_EINVAL, "max_poll_interval_ms must be greater than 0");
        return;
    }
    b->has_max_poll = true;
    b->max_poll_ms = ms;
}

static bool same_compartment(const char *a, const char *b)
{
    if (!a)
        return b == NULL;
    return b && strcasecmp(a, b) == 0;
}

/* borneo _table_index: an entry whose name or OCID equals table
 * (case-insensitively) in the same compartment. */
static bool has_table(const csc_consumer_builder_t *b, const char *table, const char *compartment)
{
    for (size_t i = 0; i < b->n; i++) {
        const table_cfg_t *t = &b->tables[i];
        bool match = (t->name && strcasecmp(t->name, table) == 0) ||
                     (t->ocid && strcasecmp(t->ocid, table) == 0);
        if (match && same_compartment(t->compartment, compartment))
            return true;
    }
    return false;
}

static void append_table(csc_consumer_builder_t *b, const char *table, const char *compartment,
                         const csc_start_location_t *start, bool is_remove)
{
    if (!table) {
        builder_fail(b, CS_EINVAL, "table_name must be a string");
        return;
    }
    csc_start_location_t loc = start ? *start : csc_start_first_uncommitted();
    if (loc.kind < CSC_START_FIRST_UNCOMMITTED || loc.kind > CSC_START_AT_TIME) {
        builder_fail(b, CS_EINVAL, "Invalid Change Streams start location type");
        return;
    }
    if (loc.start_time_ms < 0 || (loc.kind != CSC_START_AT_TIME && loc.start_time_ms != 0)) {
        builder_fail(b, CS_EINVAL, "start_time_ms can only be set for AT_TIME start locations.");
        return;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4;
        table_cfg_t *t = realloc(b->tables, cap * sizeof *t);
        if (!t) {
            builder_fail(b, CS_ENOMEM, "out of memory");
            return;
        }
        b->tables = t;
        b->cap = cap;
    }
    table_cfg_t t = { .start = loc, .is_remove = is_remove };
    bool ocid = csc_is_table_ocid(table);
    char *copy = strdup(table);
    char *comp = compartment ? strdup(compartment) : NULL;
    if (!copy || (compartment && !comp)) {
        free(copy);
        free(comp);
        builder_fail(b, CS_ENOMEM, "out of memory");
        return;
    }
    if (ocid)
        t.ocid = copy;
    else
        t.name = copy;
    t.compartment = comp;
    b->tables[b->n++] = t;
}

void csc_builder_add_table(csc_consumer_builder_t *b, const char *table,
                           const char *compartment, const csc_start_location_t *start)
{
    if (table && has_table(b, table, compartment))
        return;
    append_table(b, table, compartment, start, false);
}

void csc_builder_remove_table(csc_consumer_builder_t *b, const char *table,
                              const char *compartment)
{
    append_table(b, table, compartment, NULL, true);
}

size_t csc_builder_num_tables(const csc_consumer_builder_t *b)
{
    return b->n;
}

const char *csc_builder_table_ocid(const csc_consumer_builder_t *b, size_t i)
{
    return i < b->n ? b->tables[i].ocid : NULL;
}

/* The exception class borneo raises for a wire error code, as its
 * "Can't get table" wrapper names it; NULL for IllegalArgumentException
 * (whose text alone is used). */
static const char *borneo_exception(int code)
{
    switch (code) {
    case 2: return "TableNotFoundException";
    case 4: case 17: case 22: return NULL;
    case 11: return "InvalidAuthorizationException";
    case 12: return "UnauthorizedException";
    case 14: return "ResourceNotFoundException";
    case 21: return "OperationNotSupportedException";
    case 26: return "TableNotReadyException";
    case 100: return "RequestTimeoutException";
    case 101: case 102: return "SystemException";
    case 126: return "IllegalStateException";
    default: return "NoSQLException";
    }
}

/* borneo validate_table_config: one GetTable for an entry without OCID. */
static cs_err_t resolve_table(csc_handle_t *h, table_cfg_t *t, csc_error_t *err)
{
    if (t->ocid)
        return CS_OK;
    if (!t->name || !*t->name)
        return cs_fail(&err->e, CS_EINVAL, "missing table name in consumer configuration.");
    csc_get_table_request_t req = { .table_name = t->name };
    csc_table_result_t res;
    csc_error_t gerr;
    csc_error_clear(&gerr);
    cs_err_t rc = csc_get_table(h, &req, &res, &gerr);
    if (rc == CS_OK && !res.table_id) {
        rc = CS_EINVAL;
        cs_fail(&gerr.e, CS_EINVAL, "table OCID is not available.");
    }
    if (rc == CS_OK) {
        t->ocid = res.table_id;
        res.table_id = NULL;
        csc_table_result_free(&res);
        return CS_OK;
    }
    csc_table_result_free(&res);
    const char *cls = gerr.proto_code ? borneo_exception(gerr.proto_code) : "NoSQLException";
    if (rc == CS_EINVAL && gerr.proto_code == 0)
        cls = NULL; /* our own IllegalArgumentException */
    err->proto_code = gerr.proto_code;
    err->http_status = gerr.http_status;
    return cs_fail(&err->e, CS_EINVAL, "Can't get table '%s' information: %s%s%s", t->name,
                   cls ? cls : "", cls ? ": " : "", gerr.e.msg);
}

cs_err_t csc_builder_validate(csc_consumer_builder_t *b, csc_error_t *err)
{
    csc_error_clear(err);
    if (b->sticky.code != CS_OK)
        return cs_fail(&err->e, b->sticky.code, "%s", b->sticky.msg);
    if (!b->h)
        return cs_fail(&err->e, CS_EINVAL, "Consumer builder missing NoSQLHandle.");
    if (b->n == 0)
        return cs_fail(&err->e, CS_EINVAL, "Consumer builder missing tables information.");
    for (size_t i = 0; i < b->n; i++) {
        cs_err_t rc = resolve_table(b->h, &b->tables[i], err);
        if (rc)
            return rc;
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * encoding
 * ------------------------------------------------------------------------ */

static cs_err_t build_consumer_req(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                   csc_error_t *err)
{
    const csc_cs_request_t *req = rq;
    const csc_consumer_builder_t *b = req->builder;
    if (req->mode < CSC_CS_CREATE || req->mode > CSC_CS_RESET)
        return cs_fail(&err->e, CS_EINVAL, "Invalid Change Streams consumer request mode: %d",
                       (int)req->mode);
    bool needs_cursor = req->mode == CSC_CS_CLOSE || req->mode == CSC_CS_UPDATE ||
                        req->mode == CSC_CS_COMMIT || req->mode == CSC_CS_RESET;
    bool needs_builder = req->mode == CSC_CS_CREATE || req->mode == CSC_CS_UPDATE ||
                         req->mode == CSC_CS_DELETE;
    if (needs_builder && !b)
        return cs_fail(&err->e, CS_EINVAL, "ChangeStreamConsumerRequest requires a builder.");
    if (needs_cursor && !req->cursor)
        return cs_fail(&err->e, CS_EINVAL, "ChangeStreamConsumerRequest requires a cursor.");
    hdr->op = OP_CHANGE_STREAM_CONSUMER;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_kv_int(w, "mm", (int32_t)req->mode);
    if (req->cursor)
        nson_w_kv_binary(w, "cu", req->cursor, req->cursor_len);
    if (!b)
        return CS_OK;
    if (b->group_id)
        nson_w_kv_string(w, "gr", b->group_id);
    if (b->manual)
        nson_w_kv_bool(w, "ma", true);
    if (b->compartment)
        nson_w_kv_string(w, "cc", b->compartment);
    if (b->has_max_poll)
        nson_w_kv_long(w, "mi", b->max_poll_ms);
    if (b->force_reset)
        nson_w_kv_bool(w, "fr", true);
    if (b->n == 0)
        return CS_OK; /* borneo: no tables, no "ct" */
    nson_w_key(w, "ct");
    nson_w_array_begin(w);
    for (size_t i = 0; i < b->n; i++) {
        const table_cfg_t *t = &b->tables[i];
        if (!t->ocid || !*t->ocid)
            return cs_fail(&err->e, CS_EINVAL, "Consumer builder missing table OCID.");
        nson_w_map_begin(w);
        nson_w_kv_string(w, "to", t->ocid);
        if (t->start.start_time_ms > 0) /* borneo: "se" before "so" */
            nson_w_kv_long(w, "se", t->start.start_time_ms);
        nson_w_kv_int(w, "so", (int32_t)t->start.kind);
        if (t->is_remove)
            nson_w_kv_bool(w, "ir", true);
        nson_w_map_end(w);
    }
    nson_w_array_end(w);
    return CS_OK;
}

typedef struct poll_req {
    const uint8_t *cursor;
    size_t cursor_len;
    int limit;
    int timeout_ms;
} poll_req_t;

static cs_err_t build_poll_req(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                               csc_error_t *err)
{
    const poll_req_t *req = rq;
    if (req->limit < 0)
        return cs_fail(&err->e, CS_EINVAL, "limit must be >= 0");
    if (!req->cursor)
        return cs_fail(&err->e, CS_EINVAL, "ChangeStreamPollRequest requires a cursor.");
    hdr->op = OP_CHANGE_STREAM_POLL;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_kv_int(w, "me", req->limit);
    nson_w_kv_binary(w, "cu", req->cursor, req->cursor_len);
    return CS_OK;
}

cs_err_t csc_cs_request_encode(const csc_handle_t *h, const csc_cs_request_t *req, buf_t *body,
                               csc_error_t *err)
{
    return csc_op_encode(h, build_consumer_req, req, body, err);
}

cs_err_t csc_cs_poll_encode(const csc_handle_t *h, const uint8_t *cursor, size_t cursor_len,
                            int limit, int timeout_ms, buf_t *body, csc_error_t *err)
{
    poll_req_t req = { cursor, cursor_len, limit, timeout_ms };
    return csc_op_encode(h, build_poll_req, &req, body, err);
}

/* ------------------------------------------------------------------------
 * decoding
 * ------------------------------------------------------------------------ */

cs_err_t csc_cs_reply_decode(const nson_value_t *reply, csc_bytes_t *cursor,
                             csc_row_t *metadata, csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(cursor, 0, sizeof *cursor);
    memset(metadata, 0, sizeof *metadata);
    csc_dec_bytes(&d, reply, "cu", cursor);
    csc_dec_row(&d, reply, "cm", metadata);
    if (d.rc) {
        csc_bytes_free(cursor);
        csc_row_free(metadata);
    }
    return d.rc;
}

/* A bundle's storage: one arena for its messages, events, records and
 * strings and for the event bytes its rows borrow. A polled bundle takes
 * over the reply's arena, where the decoded reply already holds those
 * bytes, so nothing is copied; a bundle decoded from a caller's tree
 * copies each event's bytes once. */
struct csc_bundle_mem {
    arena_t arena;
};

/* Messages + events + records one bundle may hold: arrays are allocated
 * only within this budget, so a reply cannot make us allocate more than
 * about CSC_BUNDLE_MAX_ITEMS * sizeof(csc_record_t). */
#define CSC_BUNDLE_MAX_ITEMS (1u << 20)

/* Event trees are scratch: dropped after an event once they hold this. */
#define SCRATCH_KEEP_BYTES (256u << 10)

void csc_bundle_free(csc_bundle_t *b)
{
    if (!b)
        return;
    /* rows borrow their bytes from the storage; only their JSON is theirs */
    for (size_t m = 0; m < b->num_messages; m++) {
        const csc_message_t *msg = &b->messages[m];
        for (size_t e = 0; e < msg->num_events; e++) {
            const csc_event_t *ev = &msg->events[e];
            for (size_t r = 0; r < ev->num_records; r++) {
                csc_record_t *rec = &ev->records[r];
                csc_row_free(&rec->key);
                csc_row_free(&rec->current.value);
                csc_row_free(&rec->current.metadata);
                csc_row_free(&rec->before.value);
                csc_row_free(&rec->before.metadata);
            }
        }
    }
    if (b->mem) {
        arena_free(&b->mem->arena);
        free(b->mem);
    }
    csc_bytes_free(&b->cursor);
    memset(b, 0, sizeof *b);
}

bool csc_bundle_is_empty(const csc_bundle_t *b)
{
    return b->num_messages == 0;
}

size_t csc_bundle_num_records(const csc_bundle_t *b)
{
    size_t n = 0;
    for (size_t m = 0; m < b->num_messages; m++)
        for (size_t e = 0; e < b->messages[m].num_events; e++)
            n += b->messages[m].events[e].num_records;
    return n;
}

/* ---- raw NSON ----
 * Rows are the exact bytes of their value inside the event. nson_decode
 * builds a tree but keeps no offsets, so the tree path walks the same
 * bytes in step with the tree's items (same order) to find where each
 * value lies (csc_nson_raw.h: bounded, containers skipped in O(1)). */

typedef struct span {
    const uint8_t *p;   /* NULL = none */
    size_t len;
} span_t;

/* Index of a two-letter key in keys[0..n), -1 when none. */
static int key_index(const char *key, size_t len, const char (*keys)[3], int n)
{
    if (len != 2)
        return -1;
    for (int i = 0; i < n; i++)
        if (key[0] == keys[i][0] && key[1] == keys[i][1])
            return i;
    return -1;
}

/* The last entry (the one nson_map_get returns) for each of keys in the
 * MAP tree m, with its bytes from raw (the same MAP's bytes). */
static void map_fields(const nson_value_t *m, span_t raw, const char (*keys)[3], int n,
                       const nson_value_t **val, span_t *bytes)
{
    csc_nson_iter_t it;
    csc_nson_iter_init(&it, raw.p, raw.len);
    for (int i = 0; i < n; i++) {
        val[i] = NULL;
        bytes[i] = (span_t){ NULL, 0 };
    }
    for (uint32_t i = 0; i < m->u.map.count; i++) {
        const char *key;
        size_t klen;
        span_t v = { NULL, 0 };
        if (!csc_nson_iter_next(&it, &key, &klen, &v.p, &v.len))
            v = (span_t){ NULL, 0 };
        const nson_entry_t *e = &m->u.map.items[i];
        int k = key_index(e->key, e->key_len, keys, n);
        if (k >= 0) {
            val[k] = e->val;
            bytes[k] = v;
        }
    }
}

/* The same straight from the bytes of a MAP; false when raw is not one
 * (or its items do not all fit). */
static bool raw_fields(span_t raw, const char (*keys)[3], int n, span_t *bytes)
{
    csc_nson_iter_t it;
    for (int i = 0; i < n; i++)
        bytes[i] = (span_t){ NULL, 0 };
    if (!csc_nson_iter_init(&it, raw.p, raw.len) || !it.map)
        return false;
    const char *key;
    size_t klen;
    span_t v;
    while (csc_nson_iter_next(&it, &key, &klen, &v.p, &v.len)) {
        int k = key_index(key, klen, keys, n);
        if (k >= 0)
            bytes[k] = v;
    }
    return it.left == 0;
}

/* ---- decoding ---- */

typedef struct bundle_dec {
    csc_dec_t d;
    arena_t *mem;           /* the bundle's storage */
    arena_t scratch;        /* event trees */
    bool copy_events;       /* event bytes live in the caller's tree */
    bool lazy;              /* rows without JSON until csc_row_json() */
    size_t left;            /* CSC_BUNDLE_MAX_ITEMS budget */
} bundle_dec_t;

static bool take_budget(csc_dec_t *d, size_t *left, uint32_t n)
{
    if (d->rc)
        return false;
    if (n > *left) {
        d->rc = cs_fail(&d->err->e, CS_ETOOBIG,
                        "poll reply holds more than %u messages, events and records",
                        CSC_BUNDLE_MAX_ITEMS);
        return false;
    }
    *left -= n;
    return true;
}

/* An array of n zeroed items from the bundle's storage. */
static void *bundle_array(bundle_dec_t *bd, uint32_t n, size_t size)
{
    if (bd->d.rc)
        return NULL;
    void *p = arena_calloc(bd->mem, n ? n : 1, size);
    if (!p)
        bd->d.rc = cs_fail(&bd->d.err->e, CS_ENOMEM, "out of memory");
    return p;
}

/* An ARRAY field in borneo's terms: "Bad type in <what>: T should be ARRAY". */
static const nson_value_t *want_array(csc_dec_t *d, const nson_value_t *v, const char *what)
{
    if (d->rc)
        return NULL;
    if (v->type != NSON_ARRAY) {
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "Bad type in %s: %d should be ARRAY", what,
                        (int)v->type);
        return NULL;
    }
    return v;
}

static bool want_map(csc_dec_t *d, const nson_value_t *v, const char *what)
{
    if (d->rc)
        return false;
    if (v->type != NSON_MAP) {
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "%s is %s, not MAP", what,
                        nson_type_name(v->type));
        return false;
    }
    return true;
}

/* A record's row v (field key) over its bytes sp, with its JSON now
 * unless lazy. null_absent: a NULL value counts as absent (None), as for
 * images. */
static bool take_row(bundle_dec_t *bd, const char *key, const nson_value_t *v, span_t sp,
                     bool null_absent, csc_row_t *out)
{
    csc_dec_t *d = &bd->d;
    if (d->rc || !v || (null_absent && v->type == NSON_NULL))
        return false;
    if (!sp.p) { /* cannot happen on bytes nson_decode accepted */
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "bad change record: \"%s\" not found", key);
        return false;
    }
    *out = csc_row_borrow(sp.p, sp.len);
    if (!bd->lazy && !(out->json = nson_json_render_plain(v))) {
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "cannot render a reply value as JSON");
        return false;
    }
    return true;
}

enum { F_MD, F_XP, F_EI, F_PI, F_RI, F_RK, F_RV, F_RM, F_PV, F_PM, F_NUM };
static const char record_keys[F_NUM][3] = { "md", "xp", "ei", "pi", "ri",
                                            "rk", "rv", "rm", "pv", "pm" };

/* One record MAP (tree m over the bytes raw): fields checked in this order,
 * so the first error is the one borneo would meet. */
static void dec_record(bundle_dec_t *bd, const nson_value_t *m, span_t raw, csc_record_t *r)
{
    csc_dec_t *d = &bd->d;
    const nson_value_t *f[F_NUM], *v;
    span_t sp[F_NUM];
    if (!want_map(d, m, "a change record"))
        return;
    map_fields(m, raw, record_keys, F_NUM, f, sp);
    if ((v = csc_dec_typed(d, f[F_MD], "md", NSON_LONG)))
        r->modification_time = v->u.l;
    if ((v = csc_dec_typed(d, f[F_XP], "xp", NSON_LONG)))
        r->expiration_time = v->u.l;
    if ((v = csc_dec_typed(d, f[F_EI], "ei", NSON_STRING)) && !v->u.str.is_null &&
        !(r->event_id = arena_strndup(bd->mem, v->u.str.ptr, v->u.str.len)))
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "out of memory");
    if ((v = csc_dec_typed(d, f[F_PI], "pi", NSON_INTEGER)))
        r->partition_id = v->u.i;
    if ((v = csc_dec_typed(d, f[F_RI], "ri", NSON_INTEGER)))
        r->region_id = v->u.i;
    take_row(bd, "rk", f[F_RK], sp[F_RK], false, &r->key);
    bool cv = take_row(bd, "rv", f[F_RV], sp[F_RV], true, &r->current.value);
    bool cm = take_row(bd, "rm", f[F_RM], sp[F_RM], true, &r->current.metadata);
    bool pv = take_row(bd, "pv", f[F_PV], sp[F_PV], true, &r->before.value);
    bool pm = take_row(bd, "pm", f[F_PM], sp[F_PM], true, &r->before.metadata);
    r->current.present = cv || cm;
    r->before.present = pv || pm;
}

enum { E_VS, E_TY, E_ES, E_NUM };
static const char event_keys[E_NUM][3] = { "vs", "ty", "es" };

/* The records of one event MAP (tree m over the bytes raw). */
static void dec_records(bundle_dec_t *bd, const nson_value_t *m, span_t raw, csc_event_t *ev)
{
    csc_dec_t *d = &bd->d;
    const nson_value_t *f[E_NUM];
    span_t sp[E_NUM];
    map_fields(m, raw, event_keys, E_NUM, f, sp);
    csc_dec_typed(d, f[E_VS], "vs", NSON_INTEGER);
    csc_dec_typed(d, f[E_TY], "ty", NSON_INTEGER);
    const nson_value_t *es = f[E_ES];
    if (!es && !d->rc)
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "Missing events in message.");
    if (!es || !want_array(d, es, "events") || !take_budget(d, &bd->left, es->u.arr.count))
        return;
    if (!(ev->records = bundle_array(bd, es->u.arr.count, sizeof *ev->records)))
        return;
    csc_nson_iter_t it;
    csc_nson_iter_init(&it, sp[E_ES].p, sp[E_ES].len);
    for (uint32_t i = 0; !d->rc && i < es->u.arr.count; i++) {
        const char *key;
        size_t klen;
        span_t rec = { NULL, 0 };
        if (!csc_nson_iter_next(&it, &key, &klen, &rec.p, &rec.len))
            rec = (span_t){ NULL, 0 };
        ev->num_records = i + 1;
        dec_record(bd, es->u.arr.items[i], rec, &ev->records[i]);
    }
}

/* Events larger than this take the tree path: their tree could reach the
 * scratch arena's ceiling, which csc_nson_check does not model. */
#define FAST_EVENT_MAX (1u << 20)

/* A lazy record from its checked bytes; false when it is not the plain
 * case (not a MAP, a field of another type, out of memory). */
static bool fast_record(bundle_dec_t *bd, span_t raw, csc_record_t *r)
{
    span_t f[F_NUM];
    const char *s;
    size_t n;
    bool is_null;
    if (!raw_fields(raw, record_keys, F_NUM, f))
        return false;
    if ((f[F_MD].p && !csc_nson_get_long(f[F_MD].p, f[F_MD].len, &r->modification_time)) ||
        (f[F_XP].p && !csc_nson_get_long(f[F_XP].p, f[F_XP].len, &r->expiration_time)) ||
        (f[F_PI].p && !csc_nson_get_int(f[F_PI].p, f[F_PI].len, &r->partition_id)) ||
        (f[F_RI].p && !csc_nson_get_int(f[F_RI].p, f[F_RI].len, &r->region_id)))
        return false;
    if (f[F_EI].p) {
        if (!csc_nson_get_string(f[F_EI].p, f[F_EI].len, &s, &n, &is_null))
            return false;
        if (!is_null && !(r->event_id = arena_strndup(bd->mem, s, n)))
            return false;
    }
    csc_row_t *rows[F_NUM] = { [F_RK] = &r->key,
                               [F_RV] = &r->current.value, [F_RM] = &r->current.metadata,
                               [F_PV] = &r->before.value, [F_PM] = &r->before.metadata };
    for (int i = F_RK; i < F_NUM; i++) {
        /* an image part of type NULL is absent (None); a NULL key is a key */
        if (f[i].p && (i == F_RK || f[i].p[0] != NSON_NULL))
            *rows[i] = csc_row_borrow(f[i].p, f[i].len);
    }
    r->current.present = r->current.value.nson || r->current.metadata.nson;
    r->before.present = r->before.value.nson || r->before.metadata.nson;
    return true;
}

/* Lazy poll fast path: the event's records straight from its bytes once
 * csc_nson_check has accepted them - no tree, nothing copied. false,
 * leaving ev as it was and reporting nothing, whenever the event is not
 * the plain well-formed case (too large, not valid NSON, a field of an
 * unexpected type, over budget): the tree path then decides and words
 * the error exactly as it always has. */
static bool fast_event(bundle_dec_t *bd, span_t raw, csc_event_t *ev)
{
    span_t f[E_NUM];
    int32_t i32;
    csc_nson_iter_t it;
    if (raw.len > FAST_EVENT_MAX || !csc_nson_check(raw.p, raw.len) ||
        !raw_fields(raw, event_keys, E_NUM, f))
        return false;
    if ((f[E_VS].p && !csc_nson_get_int(f[E_VS].p, f[E_VS].len, &i32)) ||
        (f[E_TY].p && !csc_nson_get_int(f[E_TY].p, f[E_TY].len, &i32)) ||
        !f[E_ES].p || f[E_ES].p[0] != NSON_ARRAY ||
        !csc_nson_iter_init(&it, f[E_ES].p, f[E_ES].len) || it.left > bd->left)
        return false;
    uint32_t count = it.left;
    csc_record_t *recs = arena_calloc(bd->mem, count ? count : 1, sizeof *recs);
    if (!recs)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        const char *key;
        size_t klen;
        span_t rec;
        /* on failure recs stays in the arena, unused: its rows own nothing */
        if (!csc_nson_iter_next(&it, &key, &klen, &rec.p, &rec.len) ||
            !fast_record(bd, rec, &recs[i]))
            return false;
    }
    bd->left -= count;
    ev->records = recs;
    ev->num_records = count;
    return true;
}

/* One element of a message's "es": a BINARY holding an event MAP. */
static void dec_event(bundle_dec_t *bd, const nson_value_t *v, csc_event_t *ev)
{
    csc_dec_t *d = &bd->d;
    if (d->rc)
        return;
    if (v->type != NSON_BINARY || v->u.bin.is_null) {
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "Expected type 1, received type %d",
                        (int)v->type);
        return;
    }
    span_t raw = { v->u.bin.ptr, v->u.bin.len };
    if (bd->copy_events && !(raw.p = arena_memdup(bd->mem, raw.p, raw.len))) {
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "out of memory");
        return;
    }
    if (bd->lazy && fast_event(bd, raw, ev))
        return;
    if (bd->scratch.used > SCRATCH_KEEP_BYTES)
        arena_free(&bd->scratch); /* keeps its ceiling: ready for reuse */
    cs_error_t derr;
    /* borneo ignores bytes after the event MAP */
    const nson_value_t *m = nson_decode(&bd->scratch, raw.p, raw.len, true, &derr);
    if (!m)
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "bad change event: %s", derr.msg);
    else if (want_map(d, m, "a change event"))
        dec_records(bd, m, raw, ev);
}

static void dec_message(bundle_dec_t *bd, const nson_value_t *m, csc_message_t *msg)
{
    csc_dec_t *d = &bd->d;
    if (!want_map(d, m, "a message"))
        return;
    csc_dec_str_in(d, m, "to", bd->mem, &msg->table_ocid);
    csc_dec_str_in(d, m, "n", bd->mem, &msg->table_name);
    csc_dec_str_in(d, m, "cc", bd->mem, &msg->compartment);
    const nson_value_t *es = nson_map_get(m, "es");
    if (!es && !d->rc)
        d->rc = cs_fail(&d->err->e, CS_EPROTO, "Missing EVENTS in message bundle.");
    if (!es || !want_array(d, es, "message events") || !take_budget(d, &bd->left, es->u.arr.count))
        return;
    if (!(msg->events = bundle_array(bd, es->u.arr.count, sizeof *msg->events)))
        return;
    for (uint32_t i = 0; !d->rc && i < es->u.arr.count; i++) {
        msg->num_events = i + 1;
        dec_event(bd, es->u.arr.items[i], &msg->events[i]);
    }
}

/* Decode a poll reply into *out, which takes over *storage (left empty)
 * as its storage whatever the result. copy_events: the reply's event bytes
 * do not live in *storage and are copied into it. */
static cs_err_t bundle_decode(const nson_value_t *reply, arena_t *storage, bool copy_events,
                              bool lazy, csc_bundle_t *out, csc_error_t *err)
{
    memset(out, 0, sizeof *out);
    out->mem = malloc(sizeof *out->mem);
    if (!out->mem) {
        arena_free(storage);
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    }
    out->mem->arena = *storage;
    arena_init(storage, storage->max);
    /* room for the arrays within the item budget, the strings and copied
     * events (each no larger than the reply) */
    out->mem->arena.max = out->mem->arena.used + 2 * (size_t)CSC_MAX_REPLY_BYTES +
                          (size_t)CSC_BUNDLE_MAX_ITEMS * sizeof(csc_record_t);

    bundle_dec_t bd = { .d = { err, CS_OK }, .mem = &out->mem->arena,
                        .copy_events = copy_events, .lazy = lazy,
                        .left = CSC_BUNDLE_MAX_ITEMS };
    arena_init(&bd.scratch, 4 * (size_t)CSC_MAX_REPLY_BYTES);
    csc_dec_t *d = &bd.d;
    csc_dec_bytes(d, reply, "cu", &out->cursor);
    csc_dec_long(d, reply, "er", &out->events_remaining);
    const nson_value_t *eb = nson_map_get(reply, "eb");
    if (eb && !d->rc && !out->cursor.data)
        d->rc = cs_fail(&err->e, CS_EPROTO, "Poll returned invalid cursor.");
    if (eb && want_array(d, eb, "message bundle") && take_budget(d, &bd.left, eb->u.arr.count) &&
        (out->messages = bundle_array(&bd, eb->u.arr.count, sizeof *out->messages))) {
        for (uint32_t i = 0; !d->rc && i < eb->u.arr.count; i++) {
            out->num_messages = i + 1;
            dec_message(&bd, eb->u.arr.items[i], &out->messages[i]);
        }
    }
    arena_free(&bd.scratch);
    return d->rc;
}

cs_err_t csc_poll_reply_decode(const nson_value_t *reply, csc_bundle_t *out, csc_error_t *err)
{
    arena_t storage;
    arena_init(&storage, 0);
    return bundle_decode(reply, &storage, true, false, out, err);
}

cs_err_t csc_poll_reply_decode_lazy(const nson_value_t *reply, csc_bundle_t *out,
                                    csc_error_t *err)
{
    arena_t storage;
    arena_init(&storage, 0);
    return bundle_decode(reply, &storage, true, true, out, err);
}

/* ------------------------------------------------------------------------
 * consumer operations
 * ------------------------------------------------------------------------ */

bool csc_stream_not_supported(const csc_error_t *err)
{
    const char *m = err->e.msg;
    if (strcasestr(m, "unknown opcode") || strcasestr(m, "unknown operation"))
        return true;
    return err->proto_code == WIRE_OPERATION_NOT_SUPPORTED && strcasestr(m, "change stream") &&
           !strcasestr(m, "serial version");
}

/* Send one consumer request; *cu and *cm get the reply's "cu" and "cm"
 * (caller frees; either may be NULL to ignore it). */
static cs_err_t consumer_call(csc_handle_t *h, const csc_cs_request_t *req, csc_bytes_t *cu,
                              csc_row_t *cm, csc_error_t *err)
{
    csc_reply_t reply;
    csc_bytes_t cursor;
    csc_row_t meta;
    cs_err_t rc = csc_op_send(h, build_consumer_req, req, &reply, err);
    if (!rc)
        rc = csc_cs_reply_decode(reply.root, &cursor, &meta, err);
    csc_reply_free(&reply);
    if (rc)
        return rc;
    if (cu)
        *cu = cursor;
    else
        csc_bytes_free(&cursor);
    if (cm)
        *cm = meta;
    else
        csc_row_free(&meta);
    return CS_OK;
}

static cs_err_t check_open(const csc_consumer_t *c, csc_error_t *err)
{
    csc_error_clear(err);
    if (c->closed)
        return cs_fail(&err->e, CS_ESTATE, "Consumer has been closed.");
    return CS_OK;
}

cs_err_t csc_consumer_build(csc_consumer_builder_t *b, csc_consumer_t **out, csc_error_t *err)
{
    *out = NULL;
    if (!b) {
        csc_error_clear(err);
        return cs_fail(&err->e, CS_EINVAL, "builder must be an instance of ConsumerBuilder.");
    }
    cs_err_t rc = csc_builder_validate(b, err);
    if (rc)
        return rc;
    csc_consumer_t *c = calloc(1, sizeof *c);
    if (!c)
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    c->h = b->h;
    c->lazy_json = b->lazy_json;
    csc_cs_request_t req = { .mode = CSC_CS_CREATE, .builder = b };
    rc = consumer_call(b->h, &req, &c->cursor, &c->metadata, err);
    if (!rc && !c->cursor.data)
        rc = cs_fail(&err->e, CS_EPROTO, "Server returned invalid consumer cursor.");
    if (rc) {
        csc_consumer_free(c);
        return rc;
    }
    *out = c;
    return CS_OK;
}

void csc_consumer_free(csc_consumer_t *c)
{
    if (!c)
        return;
    csc_bytes_free(&c->cursor);
    csc_row_free(&c->metadata);
    free(c);
}

const uint8_t *csc_consumer_cursor(const csc_consumer_t *c, size_t *len)
{
    *len = c->cursor.len;
    return c->cursor.data;
}

const csc_row_t *csc_consumer_metadata(const csc_consumer_t *c)
{
    return &c->metadata;
}

bool csc_consumer_is_closed(const csc_consumer_t *c)
{
    return c->closed;
}

void csc_consumer_set_lazy_json(csc_consumer_t *c, bool on)
{
    c->lazy_json = on;
}

bool csc_consumer_lazy_json(const csc_consumer_t *c)
{
    return c->lazy_json;
}

void csc_consumer_set_handle(csc_consumer_t *c, csc_handle_t *h)
{
    c->h = h;
}

cs_err_t csc_consumer_set_cursor(csc_consumer_t *c, const uint8_t *cursor, size_t len,
                                 csc_error_t *err)
{
    csc_error_clear(err);
    if (!bytes_copy(&c->cursor, cursor, len))
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    return CS_OK;
}

/* One ChangeStreamPoll (borneo _poll_once). */
static cs_err_t poll_once(csc_consumer_t *c, int limit, csc_bundle_t *out, csc_error_t *err)
{
    poll_req_t req = { c->cursor.data, c->cursor.len, limit, 0 };
    csc_reply_t reply;
    cs_err_t rc = csc_op_send(c->h, build_poll_req, &req, &reply, err);
    /* the bundle takes over the reply's arena: its rows borrow the event
     * bytes the reply decoding already copied there */
    if (!rc)
        rc = bundle_decode(reply.root, &reply.arena, false, c->lazy_json, out, err);
    csc_reply_free(&reply);
    if (rc) {
        csc_bundle_free(out);
        return rc;
    }
    if (out->cursor.data) {
        /* hand-over: the consumer takes the reply's cursor, the bundle keeps a copy */
        csc_bytes_t copy = { 0 };
        if (!bytes_copy(&copy, out->cursor.data, out->cursor.len)) {
            csc_bundle_free(out);
            return cs_fail(&err->e, CS_ENOMEM, "out of memory");
        }
        bytes_move(&c->cursor, &copy);
    } else if (!bytes_copy(&out->cursor, c->cursor.data, c->cursor.len)) {
        csc_bundle_free(out);
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    }
    out->consumer = c;
    return CS_OK;
}

cs_err_t csc_consumer_poll(csc_consumer_t *c, int limit, int wait_ms, csc_bundle_t *out,
                           csc_error_t *err)
{
    memset(out, 0, sizeof *out);
    cs_err_t rc = check_open(c, err);
    if (rc)
        return rc;
    if (limit < 0)
        return cs_fail(&err->e, CS_EINVAL, "limit must be >= 0");
    if (wait_ms < 0)
        return cs_fail(&err->e, CS_EINVAL, "wait_ms must be >= 0");
    int64_t start = mono_ms();
    for (;;) {
        rc = poll_once(c, limit, out, err);
        if (rc || !csc_bundle_is_empty(out))
            return rc;
        if (mono_ms() - start + CSC_STREAM_POLL_INTERVAL_MS > wait_ms)
            return CS_OK;
        csc_bundle_free(out);
        struct timespec ts = { 0, CSC_STREAM_POLL_INTERVAL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* COMMIT/RESET: send the cursor, take the reply's (required) cursor. */
static cs_err_t cursor_call(csc_consumer_t *c, csc_cs_mode_t mode, const uint8_t *cursor,
                            size_t len, int timeout_ms, const char *missing, csc_error_t *err)
{
    csc_cs_request_t req = { .mode = mode, .cursor = cursor, .cursor_len = len,
                             .timeout_ms = timeout_ms };
    csc_bytes_t cu;
    cs_err_t rc = consumer_call(c->h, &req, &cu, NULL, err);
    if (rc)
        return rc;
    if (!cu.data)
        return cs_fail(&err->e, CS_EPROTO, "%s", missing);
    bytes_move(&c->cursor, &cu);
    return CS_OK;
}

cs_err_t csc_consumer_commit(csc_consumer_t *c, int timeout_ms, csc_error_t *err)
{
    cs_err_t rc = check_open(c, err);
    if (rc)
        return rc;
    return cursor_call(c, CSC_CS_COMMIT, c->cursor.data, c->cursor.len, timeout_ms,
                       "Consumer not committed on server side.", err);
}

cs_err_t csc_consumer_commit_bundle(csc_consumer_t *c, const csc_bundle_t *b, int timeout_ms,
                                    csc_error_t *err)
{
    cs_err_t rc = check_open(c, err);
    if (rc)
        return rc;
    if (!b->cursor.data)
        return cs_fail(&err->e, CS_EINVAL, "MessageBundle does not contain a cursor.");
    return cursor_call(c, CSC_CS_COMMIT, b->cursor.data, b->cursor.len, timeout_ms,
                       "Consumer not committed on server side.", err);
}

cs_err_t csc_bundle_commit(const csc_bundle_t *b, int timeout_ms, csc_error_t *err)
{
    csc_error_clear(err);
    if (!b->consumer)
        return cs_fail(&err->e, CS_ESTATE,
                       "MessageBundle cannot be committed without a consumer.");
    return csc_consumer_commit_bundle(b->consumer, b, timeout_ms, err);
}

cs_err_t csc_consumer_reset(csc_consumer_t *c, csc_error_t *err)
{
    cs_err_t rc = check_open(c, err);
    if (rc)
        return rc;
    return cursor_call(c, CSC_CS_RESET, c->cursor.data, c->cursor.len, 0,
                       "Consumer not reset on server side.", err);
}

cs_err_t csc_consumer_close(csc_consumer_t *c, csc_error_t *err)
{
    csc_error_clear(err);
    if (c->closed)
        return CS_OK;
    csc_cs_request_t req = { .mode = CSC_CS_CLOSE, .cursor = c->cursor.data,
                             .cursor_len = c->cursor.len };
    csc_bytes_t cu;
    cs_err_t rc = consumer_call(c->h, &req, &cu, NULL, err);
    if (rc)
        return rc;
    if (cu.data) {
        csc_bytes_free(&cu);
        return cs_fail(&err->e, CS_EPROTO, "Consumer not closed on server side.");
    }
    csc_bytes_free(&c->cursor);
    c->closed = true;
    return CS_OK;
}

/* borneo _update_tables: a one-entry builder, resolved, sent as UPDATE. */
static cs_err_t update_tables(csc_consumer_t *c, const char *table, const char *compartment,
                              const csc_start_location_t *start, bool remove, csc_error_t *err)
{
    cs_err_t rc = check_open(c, err);
    if (rc)
        return rc;
    csc_consumer_builder_t *b = csc_builder_new();
    if (!b)
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    csc_builder_set_handle(b, c->h);
    if (remove)
        csc_builder_remove_table(b, table, compartment);
    else
        csc_builder_add_table(b, table, compartment, start);
    rc = csc_builder_validate(b, err);
    if (!rc) {
        csc_cs_request_t req = { .mode = CSC_CS_UPDATE, .cursor = c->cursor.data,
                                 .cursor_len = c->cursor.len, .builder = b };
        csc_bytes_t cu;
        csc_row_t cm;
        rc = consumer_call(c->h, &req, &cu, &cm, err);
        if (!rc && !cu.data) {
            csc_row_free(&cm);
            rc = cs_fail(&err->e, CS_EPROTO, "Server returned invalid consumer cursor.");
        }
        if (!rc) {
            bytes_move(&c->cursor, &cu);
            if (cm.nson) {
                csc_row_free(&c->metadata);
                c->metadata = cm;
            }
        }
    }
    csc_builder_free(b);
    return rc;
}

cs_err_t csc_consumer_add_table(csc_consumer_t *c, const char *table, const char *compartment,
                                const csc_start_location_t *start, csc_error_t *err)
{
    return update_tables(c, table, compartment, start, false, err);
}

cs_err_t csc_consumer_remove_table(csc_consumer_t *c, const char *table,
                                   const char *compartment, csc_error_t *err)
{
    return update_tables(c, table, compartment, NULL, true, err);
}

cs_err_t csc_consumer_delete_group(csc_handle_t *h, const char *group_id,
                                   const char *compartment, bool force_stop, csc_error_t *err)
{
    csc_error_clear(err);
    if (!h)
        return cs_fail(&err->e, CS_EINVAL, "handle must be not-none.");
    if (!group_id)
        return cs_fail(&err->e, CS_EINVAL, "group_id must be a string");
    csc_consumer_builder_t *b = csc_builder_new();
    if (!b)
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    csc_builder_set_group_id(b, group_id);
    csc_builder_set_compartment(b, compartment);
    if (force_stop)
        csc_builder_set_force_reset_start_location(b);
    cs_err_t rc = b->sticky.code;
    if (rc)
        cs_fail(&err->e, rc, "%s", b->sticky.msg);
    else {
        csc_cs_request_t req = { .mode = CSC_CS_DELETE, .builder = b };
        rc = consumer_call(h, &req, NULL, NULL, err);
    }
    csc_builder_free(b);
    return rc;
}
