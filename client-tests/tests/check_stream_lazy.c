/*
 * check_stream_lazy.c - the consumer's lazy JSON mode and the way a bundle
 * keeps its records (csc_stream.h, csc_value.h):
 *
 *  - a lazy bundle holds the same records as an eager one: same strings,
 *    scalars, images, the same row bytes (exactly the server's), and
 *    csc_row_json() renders the JSON the eager bundle has, once (cached);
 *  - row.json stays NULL in a lazy row until asked for; eager rows are
 *    untouched (csc_row_json returns their JSON);
 *  - whatever a reply holds - well-formed or broken in any field, at any
 *    level - both modes give the same result or the same error, through
 *    csc_poll_reply_decode[_lazy] and through a consumer's poll (which
 *    keeps the reply's bytes instead of copying them);
 *  - a bundle outlives the reply it was decoded from, events over the fast
 *    path's size take the checked path, and a real server's stream reads
 *    the same lazily.
 * Runs against the golden vectors, a scripted fake server and csemu.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csc.h"
#include "csc_nson_raw.h"
#include "fake_server.h"
#include "stream_env.h"

#define USERS_OCID "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000001"

static const char *vec_dir;

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.bin", vec_dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Every row of a bundle, in order, through fn. */
static void each_row(const csc_bundle_t *b, void (*fn)(const csc_row_t *, void *), void *ud)
{
    for (size_t m = 0; m < b->num_messages; m++)
        for (size_t e = 0; e < b->messages[m].num_events; e++)
            for (size_t r = 0; r < b->messages[m].events[e].num_records; r++) {
                const csc_record_t *rec = &b->messages[m].events[e].records[r];
                fn(&rec->key, ud);
                fn(&rec->current.value, ud);
                fn(&rec->current.metadata, ud);
                fn(&rec->before.value, ud);
                fn(&rec->before.metadata, ud);
            }
}

static void no_json_yet(const csc_row_t *r, void *ud)
{
    (void)ud;
    ck_assert_ptr_null(r->json);
}

static void render(const csc_row_t *r, void *ud)
{
    (void)ud;
    ck_assert_int_eq(csc_row_json(r) != NULL, r->nson != NULL);
}

static void same_str(const char *a, const char *b)
{
    ck_assert_int_eq(a == NULL, b == NULL);
    if (a)
        ck_assert_str_eq(a, b);
}

/* Both absent, or the same bytes (one whole NSON value) and equal JSON;
 * the lazy row's JSON is cached: asked twice, the same object. */
static void same_row(const csc_row_t *eager, const csc_row_t *lazy)
{
    ck_assert_int_eq(eager->nson == NULL, lazy->nson == NULL);
    ck_assert_int_eq(eager->json == NULL, eager->nson == NULL);
    if (!eager->nson) {
        ck_assert_ptr_null(csc_row_json(lazy));
        return;
    }
    ck_assert_uint_eq(eager->nson_len, lazy->nson_len);
    ck_assert(memcmp(eager->nson, lazy->nson, eager->nson_len) == 0);
    ck_assert_uint_eq(csc_nson_check(lazy->nson, lazy->nson_len), lazy->nson_len);
    json_t *j = csc_row_json(lazy);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_equal(j, eager->json));
    ck_assert_ptr_eq(csc_row_json(lazy), j);
    ck_assert_ptr_eq(lazy->json, j);
    ck_assert_ptr_eq(csc_row_json(eager), eager->json);
}

/* Same records (and, with cursors, the same cursor and "er"). */
static void same_bundle(const csc_bundle_t *a, const csc_bundle_t *b, bool cursors)
{
    ck_assert_uint_eq(a->num_messages, b->num_messages);
    if (cursors) {
        ck_assert_int_eq(a->events_remaining, b->events_remaining);
        ck_assert_uint_eq(a->cursor.len, b->cursor.len);
        if (a->cursor.len)
            ck_assert(memcmp(a->cursor.data, b->cursor.data, a->cursor.len) == 0);
    }
    for (size_t m = 0; m < a->num_messages; m++) {
        const csc_message_t *x = &a->messages[m], *y = &b->messages[m];
        same_str(x->table_name, y->table_name);
        same_str(x->table_ocid, y->table_ocid);
        same_str(x->compartment, y->compartment);
        ck_assert_uint_eq(x->num_events, y->num_events);
        for (size_t e = 0; e < x->num_events; e++) {
            ck_assert_uint_eq(x->events[e].num_records, y->events[e].num_records);
            for (size_t r = 0; r < x->events[e].num_records; r++) {
                const csc_record_t *p = &x->events[e].records[r], *q = &y->events[e].records[r];
                same_str(p->event_id, q->event_id);
                ck_assert(p->modification_time == q->modification_time);
                ck_assert(p->expiration_time == q->expiration_time);
                ck_assert_int_eq(p->partition_id, q->partition_id);
                ck_assert_int_eq(p->region_id, q->region_id);
                ck_assert_int_eq(p->current.present, q->current.present);
                ck_assert_int_eq(p->before.present, q->before.present);
                same_row(&p->key, &q->key);
                same_row(&p->current.value, &q->current.value);
                same_row(&p->current.metadata, &q->current.metadata);
                same_row(&p->before.value, &q->before.value);
                same_row(&p->before.metadata, &q->before.metadata);
            }
        }
    }
}

/* Decode body both ways; same rc, same message, same bundle. Returns rc. */
static cs_err_t both_ways(const char *what, const uint8_t *body, size_t len)
{
    csc_reply_t r;
    csc_error_t e1, e2;
    csc_bundle_t eager, lazy;
    csc_error_clear(&e1);
    ck_assert_msg(csc_reply_decode(body, len, &r, &e1) == CS_OK, "%s: %s", what, e1.e.msg);
    cs_err_t rc1 = csc_poll_reply_decode(r.root, &eager, &e1);
    cs_err_t rc2 = csc_poll_reply_decode_lazy(r.root, &lazy, &e2);
    csc_reply_free(&r); /* bundles copy what they keep */
    ck_assert_msg(rc1 == rc2, "%s: eager %d (%s), lazy %d (%s)", what, rc1, e1.e.msg, rc2,
                  e2.e.msg);
    if (rc1) {
        ck_assert_str_eq(e1.e.msg, e2.e.msg);
    } else {
        each_row(&lazy, no_json_yet, NULL);
        same_bundle(&eager, &lazy, true);
    }
    csc_bundle_free(&eager);
    csc_bundle_free(&lazy);
    return rc1;
}

/* ---- poll replies built field by field ---- */

enum {
    V_GOOD, V_MD_INTEGER, V_EI_INTEGER, V_EI_NULL, V_PI_LONG, V_VS_LONG, V_TY_STRING,
    V_NO_ES, V_ES_MAP, V_RECORD_INTEGER, V_BAD_UTF8, V_TRUNCATED, V_TRAILING, V_DUP_MD,
    V_DUP_RV_NULL, V_NULL_VALUE_META, V_EVENT_ARRAY, V_DEEP_VALUE, V_EXTRAS, V_LONG_KEYS,
    V_EMPTY_EVENT, V_NULL_KEY, V_NO_RECORDS, V_BINARY_NULL, V_EVENT_STRING, V_COUNT
};

static void w_row(nson_writer_t *w, const char *key, int id, const char *name)
{
    nson_w_key(w, key);
    nson_w_map_begin(w);
    nson_w_kv_int(w, "id", id);
    if (name)
        nson_w_kv_string(w, "name", name);
    nson_w_map_end(w);
}

static void w_meta(nson_writer_t *w, const char *key, int64_t md)
{
    nson_w_key(w, key);
    nson_w_map_begin(w);
    nson_w_kv_long(w, "modificationTime", md);
    nson_w_kv_binary(w, "version", "\x01\x02", 2);
    nson_w_map_end(w);
}

/* n ARRAYs nested around an INTEGER, spliced in raw (the writer itself
 * refuses to open that many containers). */
static void w_nested(nson_writer_t *w, int n)
{
    size_t total = (size_t)n * 9 + 2;
    uint8_t *p = malloc(total);
    for (int i = 0; i < n; i++) {
        p[i * 9] = NSON_ARRAY;
        be32_store(p + i * 9 + 1, (uint32_t)(total - (size_t)i * 9 - 5));
        be32_store(p + i * 9 + 5, 1);
    }
    p[n * 9] = NSON_INTEGER;
    p[n * 9 + 1] = 0x80;
    nson_w_raw(w, p, total);
    free(p);
}

/* One record (insert, or update when id is odd) shaped by variant v. */
static void w_record(nson_writer_t *w, int v, int id)
{
    int64_t md = 1767225609000LL + id;
    if (v == V_RECORD_INTEGER && id % 10 == 1) {
        nson_w_int(w, 7);
        return;
    }
    nson_w_map_begin(w);
    if (v == V_EXTRAS)
        nson_w_kv_string(w, "zz", "future");
    if (v == V_DUP_MD)
        nson_w_kv_int(w, "md", 5); /* an earlier duplicate: the last one counts */
    if (v == V_MD_INTEGER)
        nson_w_kv_int(w, "md", 5);
    else
        nson_w_kv_long(w, "md", md);
    nson_w_kv_long(w, "xp", id == 2 ? 1767398400000LL : 0);
    char ei[32];
    snprintf(ei, sizeof ei, "ev:%d", id);
    if (v == V_EI_INTEGER)
        nson_w_kv_int(w, "ei", id);
    else if (v == V_EI_NULL)
        nson_w_kv_string(w, "ei", NULL);
    else
        nson_w_kv_string(w, "ei", ei);
    if (v == V_PI_LONG)
        nson_w_kv_long(w, "pi", 1);
    else
        nson_w_kv_int(w, "pi", id % 3);
    nson_w_kv_int(w, "ri", 0);
    if (v == V_LONG_KEYS) {
        nson_w_kv_int(w, "rkx", 1);
        nson_w_kv_int(w, "r", 1);
    }
    if (v == V_NULL_KEY) {
        nson_w_key(w, "rk");
        nson_w_null(w);
    } else {
        w_row(w, "rk", id, NULL);
    }
    if (v == V_DUP_RV_NULL) {
        w_row(w, "rv", id, "gone");
        nson_w_key(w, "rv");
        nson_w_null(w);
        w_meta(w, "rm", md);
    } else if (v == V_NULL_VALUE_META) {
        nson_w_key(w, "rv");
        nson_w_null(w);
        w_meta(w, "rm", md);
    } else if (v == V_BAD_UTF8 && id % 10 == 1) {
        nson_w_key(w, "rv");
        nson_w_map_begin(w);
        nson_w_key(w, "name");
        nson_w_stringn(w, "\xC0\x80", 2);
        nson_w_map_end(w);
    } else if (v == V_DEEP_VALUE && id % 10 == 1) {
        nson_w_key(w, "rv");
        w_nested(w, NSON_MAX_DEPTH); /* with the enclosing maps: too deep */
    } else {
        w_row(w, "rv", id, "now");
        w_meta(w, "rm", md);
    }
    if (id % 2) {
        w_row(w, "pv", id, "before");
        w_meta(w, "pm", md - 1);
    }
    if (v == V_EXTRAS) {
        nson_w_key(w, "zm");
        nson_w_map_begin(w);
        nson_w_kv_binary(w, "b", "x", 1);
        nson_w_key(w, "d");
        nson_w_double(w, 1.5);
        nson_w_key(w, "t");
        nson_w_timestamp(w, "2026-01-01T00:00:00Z");
        nson_w_key(w, "n");
        nson_w_number(w, "1.25");
        nson_w_key(w, "j");
        nson_w_json_null(w);
        nson_w_key(w, "e");
        nson_w_empty(w);
        nson_w_kv_bool(w, "o", true);
        nson_w_map_end(w);
    }
    nson_w_map_end(w);
}

/* The bytes of one event (a MAP {vs, ty, es: [records]}) for variant v. */
static void event_bytes(int v, int first_id, buf_t *out)
{
    nson_writer_t w;
    nson_writer_init(&w, out);
    if (v == V_EMPTY_EVENT)
        return;
    if (v == V_EVENT_ARRAY) {
        nson_w_array_begin(&w);
        nson_w_int(&w, 1);
        nson_w_array_end(&w);
        return;
    }
    if (v == V_EVENT_STRING) {
        nson_w_string(&w, "not an event");
        return;
    }
    nson_w_map_begin(&w);
    if (v == V_VS_LONG)
        nson_w_kv_long(&w, "vs", 1);
    else
        nson_w_kv_int(&w, "vs", 1);
    if (v == V_TY_STRING)
        nson_w_kv_string(&w, "ty", "2");
    else
        nson_w_kv_int(&w, "ty", 2);
    if (v == V_EXTRAS) {
        nson_w_key(&w, "xx");
        nson_w_array_begin(&w);
        nson_w_int(&w, 1);
        nson_w_array_end(&w);
    }
    if (v == V_ES_MAP) {
        nson_w_key(&w, "es");
        nson_w_map_begin(&w);
        nson_w_map_end(&w);
    } else if (v != V_NO_ES) {
        nson_w_key(&w, "es");
        nson_w_array_begin(&w);
        if (v != V_NO_RECORDS)
            for (int i = 0; i < 3; i++)
                w_record(&w, v, first_id + i);
        nson_w_array_end(&w);
    }
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    if (v == V_TRUNCATED)
        out->len -= 3;
    if (v == V_TRAILING)
        buf_append(out, "\x0b\x0b\xff", 3);
}

/* A whole poll reply: two messages, the second holding the variant's
 * event between two good ones. */
static void reply_bytes(int v, buf_t *out)
{
    nson_writer_t w;
    buf_t ev;
    nson_writer_init(&w, out);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "e", 0);
    nson_w_kv_binary(&w, "cu", "cursor-1", 8);
    nson_w_kv_long(&w, "er", 42);
    nson_w_key(&w, "eb");
    nson_w_array_begin(&w);
    for (int m = 0; m < 2; m++) {
        nson_w_map_begin(&w);
        nson_w_kv_string(&w, "to", USERS_OCID);
        nson_w_kv_string(&w, "n", m ? "users" : "orders");
        nson_w_kv_string(&w, "cc", "tenant");
        nson_w_key(&w, "es");
        nson_w_array_begin(&w);
        for (int e = 0; e < 3; e++) {
            int ev_v = m == 1 && e == 1 ? v : V_GOOD;
            if (ev_v == V_BINARY_NULL) {
                nson_w_binary(&w, NULL, 0);
                continue;
            }
            buf_init(&ev, 0);
            event_bytes(ev_v, 100 * m + 10 * e, &ev);
            nson_w_binary(&w, ev.data ? ev.data : (const uint8_t *)"", ev.len);
            buf_free(&ev);
        }
        nson_w_array_end(&w);
        nson_w_map_end(&w);
    }
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
}

/* ---- fake server and consumers ---- */

static fake_server_t fake;
static csc_handle_t *h;

static void fake_setup(void)
{
    cs_error_t err;
    ck_assert_msg(fake_server_start(&fake, &err) == CS_OK, "%s", err.msg);
    h = csc_handle_new(fake.endpoint, "vector_tenant");
    ck_assert_ptr_nonnull(h);
}

static void fake_teardown(void)
{
    csc_handle_free(h);
    fake_server_stop(&fake);
}

static csc_consumer_t *fake_consumer(bool lazy)
{
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "g");
    csc_builder_add_table(b, USERS_OCID, NULL, NULL);
    if (lazy)
        csc_builder_set_lazy_json(b, true);
    csc_consumer_t *c;
    csc_error_t err;
    ck_assert_msg(csc_consumer_build(b, &c, &err) == CS_OK, "%s", err.e.msg);
    csc_builder_free(b);
    ck_assert_int_eq(csc_consumer_lazy_json(c), lazy);
    return c;
}

/* Poll body through an eager and a lazy consumer: same result. */
static void both_consumers(const char *what, const uint8_t *body, size_t len)
{
    csc_consumer_t *ce = fake_consumer(false), *cl = fake_consumer(true);
    csc_bundle_t be, bl;
    csc_error_t e1, e2;
    fake_server_queue(&fake, body, len);
    cs_err_t rc1 = csc_consumer_poll(ce, 10, 0, &be, &e1);
    fake_server_queue(&fake, body, len);
    cs_err_t rc2 = csc_consumer_poll(cl, 10, 0, &bl, &e2);
    ck_assert_msg(rc1 == rc2, "%s: eager %d (%s), lazy %d (%s)", what, rc1, e1.e.msg, rc2,
                  e2.e.msg);
    if (rc1) {
        ck_assert_str_eq(e1.e.msg, e2.e.msg);
    } else {
        ck_assert_ptr_eq(bl.consumer, cl);
        each_row(&bl, no_json_yet, NULL);
        same_bundle(&be, &bl, false); /* two consumers, two cursors */
    }
    csc_bundle_free(&be);
    csc_bundle_free(&bl);
    csc_consumer_free(ce);
    csc_consumer_free(cl);
}

/* ------------------------------------------------------------------------
 * core
 * ------------------------------------------------------------------------ */

START_TEST(test_vectors_lazy_equals_eager)
{
    static const char *const names[] = { "resp-cs-poll-two-tables", "resp-cs-poll-group-event",
                                         "resp-cs-poll-empty" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t len;
        uint8_t *body = slurp(names[i], &len);
        ck_assert_int_eq(both_ways(names[i], body, len), CS_OK);
        both_consumers(names[i], body, len);
        free(body);
    }
}
END_TEST

/* A lazy row's JSON, checked by value against what was written. */
START_TEST(test_lazy_rows_render_on_demand)
{
    buf_t body;
    buf_init(&body, 0);
    reply_bytes(V_GOOD, &body);
    csc_consumer_t *c = fake_consumer(true);
    fake_server_queue(&fake, body.data, body.len);
    csc_bundle_t b;
    csc_error_t err;
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_OK);
    ck_assert_uint_eq(csc_bundle_num_records(&b), 2 * 3 * 3);
    const csc_record_t *r = &b.messages[1].events[2].records[1]; /* id 121: an update */
    ck_assert_str_eq(r->event_id, "ev:121");
    ck_assert_int_eq(r->partition_id, 121 % 3);
    ck_assert(r->modification_time == 1767225609000LL + 121);
    ck_assert(r->current.present && r->before.present);
    ck_assert_ptr_null(r->key.json);
    ck_assert_int_eq(r->key.nson[0], NSON_MAP);
    ck_assert_int_eq(json_integer_value(json_object_get(csc_row_json(&r->key), "id")), 121);
    ck_assert_str_eq(json_string_value(json_object_get(csc_row_json(&r->current.value), "name")),
                     "now");
    ck_assert_str_eq(json_string_value(json_object_get(csc_row_json(&r->before.value), "name")),
                     "before");
    ck_assert_str_eq(json_string_value(json_object_get(csc_row_json(&r->current.metadata),
                                                       "version")), "AQI=");
    /* untouched rows stay without JSON; the bundle frees what was rendered */
    ck_assert_ptr_null(b.messages[0].events[0].records[0].key.json);
    /* the switch applies to the next poll */
    csc_consumer_set_lazy_json(c, false);
    ck_assert(!csc_consumer_lazy_json(c));
    csc_bundle_t e;
    fake_server_queue(&fake, body.data, body.len);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &e, &err), CS_OK);
    ck_assert_ptr_nonnull(e.messages[0].events[0].records[0].key.json);
    same_bundle(&e, &b, false);
    csc_bundle_free(&e);
    csc_bundle_free(&b);
    csc_consumer_free(c);
    buf_free(&body);
}
END_TEST

/* Decoded bundles do not borrow from the reply they came from. */
START_TEST(test_bundle_outlives_reply)
{
    for (int lazy = 0; lazy < 2; lazy++) {
        buf_t body;
        buf_init(&body, 0);
        reply_bytes(V_EXTRAS, &body);
        csc_reply_t r;
        csc_error_t err;
        csc_bundle_t b;
        ck_assert_int_eq(csc_reply_decode(body.data, body.len, &r, &err), CS_OK);
        ck_assert_int_eq((lazy ? csc_poll_reply_decode_lazy : csc_poll_reply_decode)(r.root, &b,
                                                                                     &err),
                         CS_OK);
        csc_reply_free(&r);
        memset(body.data, 0xEE, body.len); /* the caller's bytes are gone too */
        buf_free(&body);
        const csc_record_t *rec = &b.messages[1].events[1].records[0];
        ck_assert_str_eq(b.messages[1].table_name, "users");
        ck_assert_str_eq(rec->event_id, "ev:110");
        ck_assert_int_eq(json_integer_value(json_object_get(csc_row_json(&rec->key), "id")), 110);
        csc_bundle_free(&b);
    }
}
END_TEST

/* csc_row_json on rows of every origin. */
START_TEST(test_row_json_api)
{
    ck_assert_ptr_null(csc_row_json(NULL));
    csc_row_t absent = { 0 };
    ck_assert_ptr_null(csc_row_json(&absent));
    /* eager row from the row APIs: its own JSON */
    static const uint8_t map[] = { NSON_MAP, 0, 0, 0, 8, 0, 0, 0, 1, 0x80, 'a', 4, 0x81 };
    arena_t a;
    cs_error_t err;
    arena_init(&a, 0);
    nson_value_t *v = nson_decode(&a, map, sizeof map, false, &err);
    ck_assert_ptr_nonnull(v);
    csc_row_t eager;
    ck_assert_int_eq(csc_row_from_nson(v, &eager, &err), CS_OK);
    ck_assert_ptr_eq(csc_row_json(&eager), eager.json);
    csc_row_free(&eager);
    arena_free(&a);
    /* borrowed row over a stack buffer: rendered, cached, freed without
     * touching the bytes (ASan would see a free of the stack) */
    uint8_t bytes[sizeof map];
    memcpy(bytes, map, sizeof map);
    csc_row_t lazy = csc_row_borrow(bytes, sizeof bytes);
    ck_assert_ptr_null(lazy.json);
    json_t *j = csc_row_json(&lazy);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 2);
    ck_assert_ptr_eq(csc_row_json(&lazy), j);
    csc_row_free(&lazy);
    ck_assert_ptr_null(lazy.nson);
    /* bytes that are not one NSON value: no JSON, no crash, asked again */
    static const uint8_t bad[][4] = { { NSON_MAP, 0, 0, 0 }, { NSON_STRING, 0x81, 0xC0, 0x80 },
                                      { NSON_INTEGER, 0x80, NSON_NULL, 0 } };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        csc_row_t r = csc_row_borrow(bad[i], i == 2 ? 3 : 4); /* trailing byte: not one value */
        ck_assert_ptr_null(csc_row_json(&r));
        ck_assert_ptr_null(csc_row_json(&r));
        csc_row_free(&r);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * limits and errors
 * ------------------------------------------------------------------------ */

START_TEST(test_every_variant_same_both_ways)
{
    static const struct { int v; cs_err_t rc; } want[] = {
        { V_GOOD, CS_OK }, { V_MD_INTEGER, CS_EPROTO }, { V_EI_INTEGER, CS_EPROTO },
        { V_EI_NULL, CS_OK }, { V_PI_LONG, CS_EPROTO }, { V_VS_LONG, CS_EPROTO },
        { V_TY_STRING, CS_EPROTO }, { V_NO_ES, CS_EPROTO }, { V_ES_MAP, CS_EPROTO },
        { V_RECORD_INTEGER, CS_EPROTO }, { V_BAD_UTF8, CS_EPROTO }, { V_TRUNCATED, CS_EPROTO },
        { V_TRAILING, CS_OK }, { V_DUP_MD, CS_OK }, { V_DUP_RV_NULL, CS_OK },
        { V_NULL_VALUE_META, CS_OK }, { V_EVENT_ARRAY, CS_EPROTO }, { V_DEEP_VALUE, CS_EPROTO },
        { V_EXTRAS, CS_OK }, { V_LONG_KEYS, CS_OK }, { V_EMPTY_EVENT, CS_EPROTO },
        { V_NULL_KEY, CS_OK }, { V_NO_RECORDS, CS_OK }, { V_BINARY_NULL, CS_EPROTO },
        { V_EVENT_STRING, CS_EPROTO },
    };
    ck_assert_uint_eq(sizeof want / sizeof *want, V_COUNT);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char what[32];
        snprintf(what, sizeof what, "variant %d", want[i].v);
        buf_t body;
        buf_init(&body, 0);
        reply_bytes(want[i].v, &body);
        ck_assert_msg(both_ways(what, body.data, body.len) == want[i].rc, "%s", what);
        both_consumers(what, body.data, body.len);
        buf_free(&body);
    }
}
END_TEST

/* What the variants mean for the records (checked once, lazily). */
START_TEST(test_variant_details)
{
    static const int vs[] = { V_EI_NULL, V_DUP_MD, V_DUP_RV_NULL, V_NULL_VALUE_META, V_NULL_KEY,
                              V_NO_RECORDS };
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
        buf_t body;
        csc_reply_t r;
        csc_error_t err;
        csc_bundle_t b;
        buf_init(&body, 0);
        reply_bytes(vs[i], &body);
        ck_assert_int_eq(csc_reply_decode(body.data, body.len, &r, &err), CS_OK);
        ck_assert_int_eq(csc_poll_reply_decode_lazy(r.root, &b, &err), CS_OK);
        const csc_event_t *ev = &b.messages[1].events[1];
        const csc_record_t *rec = ev->num_records ? &ev->records[0] : NULL;
        switch (vs[i]) {
        case V_EI_NULL: ck_assert_ptr_null(rec->event_id); break;
        case V_DUP_MD: ck_assert(rec->modification_time == 1767225609000LL + 110); break;
        case V_DUP_RV_NULL:
            ck_assert_ptr_null(rec->current.value.nson);
            ck_assert(rec->current.present); /* "rm" is there */
            break;
        case V_NULL_VALUE_META:
            ck_assert_ptr_null(rec->current.value.nson);
            ck_assert_ptr_nonnull(rec->current.metadata.nson);
            ck_assert(rec->current.present);
            break;
        case V_NULL_KEY:
            ck_assert_uint_eq(rec->key.nson_len, 1);
            ck_assert(json_is_null(csc_row_json(&rec->key)));
            break;
        default: ck_assert_uint_eq(ev->num_records, 0); break;
        }
        csc_bundle_free(&b);
        csc_reply_free(&r);
        buf_free(&body);
    }
}
END_TEST

/* An event larger than the fast path takes: same bundle both ways. */
START_TEST(test_large_event)
{
    size_t big = (1u << 20) + 4096;
    char *s = malloc(big + 1);
    memset(s, 'q', big);
    s[big] = 0;
    buf_t ev, body;
    nson_writer_t w;
    buf_init(&ev, 0);
    nson_writer_init(&w, &ev);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "vs", 1);
    nson_w_key(&w, "es");
    nson_w_array_begin(&w);
    nson_w_map_begin(&w);
    nson_w_kv_long(&w, "md", 1);
    nson_w_key(&w, "rk");
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "id", 1);
    nson_w_map_end(&w);
    nson_w_key(&w, "rv");
    nson_w_map_begin(&w);
    nson_w_kv_string(&w, "big", s);
    nson_w_map_end(&w);
    nson_w_map_end(&w);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    buf_init(&body, 0);
    nson_writer_init(&w, &body);
    nson_w_map_begin(&w);
    nson_w_kv_binary(&w, "cu", "c", 1);
    nson_w_key(&w, "eb");
    nson_w_array_begin(&w);
    nson_w_map_begin(&w);
    nson_w_key(&w, "es");
    nson_w_array_begin(&w);
    nson_w_binary(&w, ev.data, ev.len);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    ck_assert_int_eq(both_ways("large", body.data, body.len), CS_OK);
    csc_reply_t r;
    csc_error_t err;
    csc_bundle_t b;
    ck_assert_int_eq(csc_reply_decode(body.data, body.len, &r, &err), CS_OK);
    ck_assert_int_eq(csc_poll_reply_decode_lazy(r.root, &b, &err), CS_OK);
    const csc_row_t *v = &b.messages[0].events[0].records[0].current.value;
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(csc_row_json(v), "big"))), big);
    csc_bundle_free(&b);
    csc_reply_free(&r);
    buf_free(&ev);
    buf_free(&body);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------------
 * against csemu
 * ------------------------------------------------------------------------ */

static senv_t env;

static void live_setup(void) { senv_start(&env, NULL); }
static void live_teardown(void) { senv_cleanup(&env); }

START_TEST(test_live_lazy_stream)
{
    senv_create_streamed(env.h, "CREATE TABLE lz(id INTEGER, name STRING, PRIMARY KEY(id))",
                         "lz");
    const csc_start_location_t earliest = { CSC_START_EARLIEST, 0 };
    csc_consumer_t *eager = senv_consumer(env.h, "ge", "lz", earliest, true);
    csc_consumer_t *lazy = senv_consumer(env.h, "gl", "lz", earliest, true);
    csc_consumer_set_lazy_json(lazy, true);
    senv_put_range(env.h, "lz", 1, 20, "n");
    senv_put(env.h, "lz", "{\"id\": 3, \"name\": \"changed\"}");
    ck_assert(senv_delete(env.h, "lz", "{\"id\": 4}"));
    csc_bundle_t a[8], b[8];
    size_t na = 0, nb = 0, ra = 0, rb = 0;
    csc_error_t err;
    while (ra < 22 && na < 8) {
        SENV_OK(csc_consumer_poll(eager, 100, 2000, &a[na], &err), &err);
        ra += csc_bundle_num_records(&a[na++]);
    }
    while (rb < 22 && nb < 8) {
        SENV_OK(csc_consumer_poll(lazy, 100, 2000, &b[nb], &err), &err);
        rb += csc_bundle_num_records(&b[nb++]);
    }
    ck_assert_uint_eq(ra, 22);
    ck_assert_uint_eq(rb, 22);
    /* flatten both and compare record by record */
    senv_recs_t fe = { 0 }, fl = { 0 };
    for (size_t i = 0; i < na; i++)
        senv_recs_add_bundle(&fe, &a[i]);
    for (size_t i = 0; i < nb; i++) {
        each_row(&b[i], no_json_yet, NULL);
        if (i < na && csc_bundle_num_records(&a[i]) == csc_bundle_num_records(&b[i]))
            same_bundle(&a[i], &b[i], false);
        each_row(&b[i], render, NULL); /* senv reads row.json directly */
        senv_recs_add_bundle(&fl, &b[i]);
    }
    ck_assert_uint_eq(fe.n, fl.n);
    for (size_t i = 0; i < fe.n; i++) {
        ck_assert_int_eq(fe.v[i].id, fl.v[i].id);
        ck_assert(json_equal(fe.v[i].key, fl.v[i].key));
        ck_assert_int_eq(fe.v[i].value == NULL, fl.v[i].value == NULL);
        if (fe.v[i].value)
            ck_assert(json_equal(fe.v[i].value, fl.v[i].value));
    }
    int upd = senv_recs_find(&fl, "lz", 3);
    ck_assert_int_ge(upd, 0);
    ck_assert_uint_eq(senv_recs_count(&fl, "lz", 3), 2);
    ck_assert_uint_eq(senv_recs_count(&fl, "lz", 4), 2);
    /* commit through a lazy bundle */
    SENV_OK(csc_bundle_commit(&b[nb - 1], 0, &err), &err);
    for (size_t i = 0; i < na; i++)
        csc_bundle_free(&a[i]);
    for (size_t i = 0; i < nb; i++)
        csc_bundle_free(&b[i]);
    senv_recs_free(&fe);
    senv_recs_free(&fl);
    SENV_OK(csc_consumer_close(eager, &err), &err);
    SENV_OK(csc_consumer_close(lazy, &err), &err);
    csc_consumer_free(eager);
    csc_consumer_free(lazy);
}
END_TEST

static Suite *stream_lazy_suite(void)
{
    Suite *s = suite_create("stream_lazy");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, fake_setup, fake_teardown);
    tcase_add_test(core, test_vectors_lazy_equals_eager);
    tcase_add_test(core, test_lazy_rows_render_on_demand);
    tcase_add_test(core, test_bundle_outlives_reply);
    tcase_add_test(core, test_row_json_api);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, fake_setup, fake_teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, test_every_variant_same_both_ways);
    tcase_add_test(lim, test_variant_details);
    tcase_add_test(lim, test_large_event);
    suite_add_tcase(s, lim);
    TCase *live = tcase_create("Live");
    tcase_add_checked_fixture(live, live_setup, live_teardown);
    tcase_set_timeout(live, 60);
    tcase_add_test(live, test_live_lazy_stream);
    suite_add_tcase(s, live);
    return s;
}

int main(void)
{
    vec_dir = getenv("CSEMU_VECTORS");
    if (!vec_dir || !*vec_dir)
        vec_dir = "../shared/protocol/vectors";
    return senv_main(stream_lazy_suite());
}
