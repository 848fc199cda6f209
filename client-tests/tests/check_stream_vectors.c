/*
 * check_stream_vectors.c - the reference client's Change Streams consumer
 * (csc_stream.h) speaks exactly like borneo, proven against the golden
 * vectors ($CSEMU_VECTORS) and a scripted fake server (support/
 * fake_server.h) that answers like the vector generator did:
 *
 *  - the consumer API replaying the generator's call sequences sends the
 *    req-cs-*.bin bodies byte for byte (cursors included: the fake server
 *    hands out the same cursors the generator's did);
 *  - replies decode to what borneo returned (resp-cs-*.json client_decoded);
 *  - the reply contract (cursor required / forbidden, strict types, missing
 *    arrays), the local closed state, builder checks and the poll loop
 *    behave as borneo's.
 * No csemu server needed.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csc.h"
#include "fake_server.h"
#include "timefmt.h"
#include "wire.h"

#define USERS_OCID "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000001"
#define ORDERS_OCID "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000002"
#define ITEMS_OCID "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000003"
#define AUDIT_OCID "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000004"

static const char *vec_dir;

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static uint8_t *slurp(const char *name, const char *ext, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", vec_dir, name, ext);
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

static json_t *vec_json(const char *name)
{
    char path[1024];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s.json", vec_dir, name);
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    return j;
}

static void expect_bytes(const char *name, const uint8_t *got, size_t got_len)
{
    size_t len;
    uint8_t *want = slurp(name, ".bin", &len);
    size_t i = 0;
    while (i < len && i < got_len && got[i] == want[i])
        i++;
    ck_assert_msg(got_len == len && i == len,
                  "%s: client body differs at byte %zu (length %zu, vector %zu)", name, i,
                  got_len, len);
    free(want);
}

/* The i-th body the fake server received must equal the vector. */
static void expect_request(fake_server_t *f, size_t i, const char *name)
{
    fake_body_t b;
    ck_assert_msg(fake_server_request(f, i, &b), "%s: request %zu was not sent", name, i);
    expect_bytes(name, b.data, b.len);
    free(b.data);
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i < n && 2 * i + 2 < cap; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void expect_hex(const csc_bytes_t *b, const char *hex)
{
    char s[512];
    ck_assert_ptr_nonnull(b->data);
    hex_of(b->data, b->len, s, sizeof s);
    ck_assert_str_eq(s, hex);
}

static cs_err_t reply_of(const char *name, csc_reply_t *r, csc_error_t *err)
{
    size_t len;
    uint8_t *b = slurp(name, ".bin", &len);
    csc_error_clear(err);
    cs_err_t rc = csc_reply_decode(b, len, r, err);
    free(b);
    return rc;
}

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
    h = NULL;
    fake_server_stop(&fake);
}

/* Queue a reply built by the caller's writer calls (MAP already open). */
typedef void (*reply_fn)(nson_writer_t *w);

static void queue_reply(reply_fn fn)
{
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    fn(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    fake_server_queue(&fake, b.data, b.len);
    buf_free(&b);
}

static void queue_vector_reply(const char *name)
{
    size_t len;
    uint8_t *b = slurp(name, ".bin", &len);
    fake_server_queue(&fake, b, len);
    free(b);
}

static csc_consumer_t *build_minimal(void)
{
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "users-group");
    csc_builder_add_table(b, USERS_OCID, NULL, NULL);
    csc_consumer_t *c;
    csc_error_t err;
    ck_assert_msg(csc_consumer_build(b, &c, &err) == CS_OK, "build: %s", err.e.msg);
    csc_builder_free(b);
    return c;
}

/* ------------------------------------------------------------------------
 * requests: the consumer API sends the vectors' bodies
 * ------------------------------------------------------------------------ */

START_TEST(test_lifecycle_bodies)
{
    /* gen_requests.py consumer_lifecycle, call for call */
    csc_error_t err;
    csc_bundle_t setup, b;
    csc_consumer_t *c = build_minimal();
    ck_assert_int_eq(csc_consumer_poll(c, 0, 0, &setup, &err), CS_OK);
    ck_assert(csc_bundle_is_empty(&setup));
    csc_start_location_t latest = csc_start_latest();
    ck_assert_int_eq(csc_consumer_add_table(c, ORDERS_OCID, NULL, &latest, &err), CS_OK);
    ck_assert_int_eq(csc_consumer_remove_table(c, ORDERS_OCID, NULL, &err), CS_OK);
    ck_assert_int_eq(csc_consumer_commit(c, 0, &err), CS_OK);
    ck_assert_int_eq(csc_bundle_commit(&setup, 30000, &err), CS_OK);
    ck_assert_int_eq(csc_consumer_reset(c, &err), CS_OK);
    ck_assert_int_eq(csc_consumer_poll(c, 100, 0, &b, &err), CS_OK);
    csc_bundle_free(&b);
    ck_assert_int_eq(csc_consumer_poll(c, 0, 0, &b, &err), CS_OK);
    csc_bundle_free(&b);
    ck_assert_int_eq(csc_consumer_close(c, &err), CS_OK);
    ck_assert(csc_consumer_is_closed(c));
    size_t n;
    ck_assert_ptr_null(csc_consumer_cursor(c, &n));

    ck_assert_uint_eq(fake_server_count(&fake), 10);
    expect_request(&fake, 0, "req-cs-create-minimal");
    /* request 1 is the unlabelled set-up poll */
    expect_request(&fake, 2, "req-cs-update-add-table");
    expect_request(&fake, 3, "req-cs-update-remove-table");
    expect_request(&fake, 4, "req-cs-commit");
    expect_request(&fake, 5, "req-cs-commit-bundle");
    expect_request(&fake, 6, "req-cs-reset");
    expect_request(&fake, 7, "req-cs-poll");
    expect_request(&fake, 8, "req-cs-poll-zero");
    expect_request(&fake, 9, "req-cs-close");
    csc_bundle_free(&setup);
    csc_consumer_free(c);
}
END_TEST

START_TEST(test_create_variant_bodies)
{
    csc_error_t err;
    csc_consumer_t *c;
    csc_consumer_builder_t *b = csc_builder_new();
    csc_start_location_t fu = csc_start_first_uncommitted(), ea = csc_start_earliest(),
                         la = csc_start_latest(), at = csc_start_at_time(1767225600000LL);
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "orders-group");
    csc_builder_set_compartment(b, "groupcompartment");
    csc_builder_set_commit_manual(b);
    csc_builder_set_max_poll_interval(b, 30000);
    csc_builder_set_force_reset_start_location(b);
    csc_builder_add_table(b, USERS_OCID, NULL, &fu);
    csc_builder_add_table(b, ORDERS_OCID, NULL, &ea);
    csc_builder_add_table(b, ITEMS_OCID, NULL, &la);
    csc_builder_add_table(b, AUDIT_OCID, NULL, &at);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_OK);
    csc_consumer_free(c);
    csc_builder_free(b);

    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "g-manual");
    csc_builder_set_commit_manual(b);
    csc_builder_add_table(b, USERS_OCID, NULL, &ea);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_OK);
    csc_consumer_free(c);
    csc_builder_free(b);

    /* names: one GetTable each, in add order, then CREATE with their OCIDs */
    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "g-names");
    csc_builder_add_table(b, "users", "tablecompartment", NULL);
    csc_builder_add_table(b, "orders", NULL, NULL);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_OK);
    ck_assert_str_eq(csc_builder_table_ocid(b, 0), USERS_OCID);
    ck_assert_str_eq(csc_builder_table_ocid(b, 1), ORDERS_OCID);
    csc_consumer_free(c);
    /* a second build does not look the names up again */
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_OK);
    csc_consumer_free(c);
    csc_builder_free(b);

    ck_assert_uint_eq(fake_server_count(&fake), 6);
    expect_request(&fake, 0, "req-cs-create-all-locations");
    expect_request(&fake, 1, "req-cs-create-manual");
    expect_request(&fake, 2, "req-cs-resolve-get-table");
    expect_request(&fake, 3, "req-cs-resolve-get-table-2");
    expect_request(&fake, 4, "req-cs-create-by-name");
    expect_request(&fake, 5, "req-cs-create-by-name");
}
END_TEST

START_TEST(test_delete_group_bodies)
{
    csc_error_t err;
    ck_assert_int_eq(csc_consumer_delete_group(h, "users-group", NULL, false, &err), CS_OK);
    ck_assert_int_eq(csc_consumer_delete_group(h, "users-group", "groupcompartment", true, &err),
                     CS_OK);
    ck_assert_uint_eq(fake_server_count(&fake), 2);
    expect_request(&fake, 0, "req-cs-delete-group");
    expect_request(&fake, 1, "req-cs-delete-group-force");
}
END_TEST

/* The encoders alone (no handle) with the vectors' cursors. */
START_TEST(test_encoders)
{
    static const struct { const char *name; csc_cs_mode_t mode; const char *cursor; int t; } cases[] = {
        { "req-cs-close", CSC_CS_CLOSE, "csemu-cursor-0009", 0 },
        { "req-cs-commit", CSC_CS_COMMIT, "csemu-cursor-0004", 0 },
        { "req-cs-commit-bundle", CSC_CS_COMMIT, "csemu-cursor-0002", 30000 },
        { "req-cs-reset", CSC_CS_RESET, "csemu-cursor-0006", 0 },
    };
    csc_error_t err;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf_t body;
        buf_init(&body, 0);
        csc_cs_request_t req = { .mode = cases[i].mode, .cursor = (const uint8_t *)cases[i].cursor,
                                 .cursor_len = strlen(cases[i].cursor),
                                 .timeout_ms = cases[i].t };
        ck_assert_int_eq(csc_cs_request_encode(NULL, &req, &body, &err), CS_OK);
        expect_bytes(cases[i].name, body.data, body.len);
        buf_free(&body);
    }
    buf_t body;
    buf_init(&body, 0);
    ck_assert_int_eq(csc_cs_poll_encode(NULL, (const uint8_t *)"csemu-cursor-0007", 17, 100, 0,
                                        &body, &err), CS_OK);
    expect_bytes("req-cs-poll", body.data, body.len);
    buf_reset(&body);

    /* a builder entry without an OCID cannot be encoded */
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_group_id(b, "g");
    csc_builder_add_table(b, "users", NULL, NULL);
    csc_cs_request_t req = { .mode = CSC_CS_CREATE, .builder = b };
    ck_assert_int_eq(csc_cs_request_encode(NULL, &req, &body, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg, "Consumer builder missing table OCID.");
    /* modes needing a cursor or a builder */
    req = (csc_cs_request_t){ .mode = CSC_CS_COMMIT };
    ck_assert_int_eq(csc_cs_request_encode(NULL, &req, &body, &err), CS_EINVAL);
    req = (csc_cs_request_t){ .mode = CSC_CS_DELETE };
    ck_assert_int_eq(csc_cs_request_encode(NULL, &req, &body, &err), CS_EINVAL);
    req = (csc_cs_request_t){ .mode = 7, .builder = b };
    ck_assert_int_eq(csc_cs_request_encode(NULL, &req, &body, &err), CS_EINVAL);
    ck_assert_int_eq(csc_cs_poll_encode(NULL, (const uint8_t *)"c", 1, -1, 0, &body, &err),
                     CS_EINVAL);
    csc_builder_free(b);
    buf_free(&body);
}
END_TEST

/* ------------------------------------------------------------------------
 * replies: what borneo returned
 * ------------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Does actual (plain JSON of the NSON value) hold what borneo's Python value
 * (the vector's rendering) holds? Decimal -> NUMBER text, bytearray ->
 * base64, datetime -> the same instant. */
static bool py_matches(const json_t *want, const json_t *got)
{
    if (json_is_object(want) && json_object_size(want) >= 1) {
        const json_t *dec = json_object_get(want, "Decimal");
        const json_t *ba = json_object_get(want, "bytearray");
        const json_t *dt = json_object_get(want, "datetime");
        if (dec)
            return json_is_string(got) && strcmp(json_string_value(dec), json_string_value(got)) == 0;
        if (ba) {
            const char *hex = json_string_value(ba);
            size_t n = strlen(hex) / 2;
            uint8_t raw[256];
            char enc[400];
            size_t k = 0;
            for (size_t i = 0; i < n && i < sizeof raw; i++) {
                unsigned v;
                sscanf(hex + 2 * i, "%2x", &v);
                raw[i] = (uint8_t)v;
            }
            for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)raw[i] << 16 | (i + 1 < n ? raw[i + 1] << 8 : 0) |
                             (i + 2 < n ? raw[i + 2] : 0);
                enc[k++] = b64[v >> 18 & 63];
                enc[k++] = b64[v >> 12 & 63];
                enc[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
                enc[k++] = i + 2 < n ? b64[v & 63] : '=';
            }
            enc[k] = 0;
            return json_is_string(got) && strcmp(enc, json_string_value(got)) == 0;
        }
        if (dt) {
            cs_ts_t a, b;
            cs_error_t e;
            const char *ws = json_string_value(dt), *gs = json_string_value(got);
            return gs && timefmt_parse(ws, strlen(ws), &a, &e) == CS_OK &&
                   timefmt_parse(gs, strlen(gs), &b, &e) == CS_OK && a.sec == b.sec &&
                   a.nsec == b.nsec;
        }
    }
    if (json_is_object(want)) {
        if (!json_is_object(got) || json_object_size(want) != json_object_size(got))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)want, k, v)
            if (!py_matches(v, json_object_get(got, k)))
                return false;
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!py_matches(json_array_get(want, i), json_array_get(got, i)))
                return false;
        return true;
    }
    return json_equal((json_t *)want, (json_t *)got);
}

static void expect_image(const char *what, const json_t *want, const csc_image_t *got)
{
    if (json_is_null(want)) {
        ck_assert_msg(!got->present, "%s: image present, borneo had None", what);
        return;
    }
    ck_assert_msg(got->present, "%s: image missing", what);
    char *ws = json_dumps(json_object_get(want, "value"), JSON_COMPACT | JSON_ENCODE_ANY);
    char *gs = got->value.json ? json_dumps(got->value.json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    ck_assert_msg(py_matches(json_object_get(want, "value"), got->value.json ? got->value.json
                                                                              : json_null()),
                  "%s value: want %s, got %s", what, ws, gs ? gs : "(none)");
    free(ws);
    free(gs);
    ck_assert_msg(py_matches(json_object_get(want, "metadata"), got->metadata.json),
                  "%s metadata differs", what);
}

/* Compare a decoded bundle with a response vector's client_decoded. */
static void expect_bundle(const char *name, const csc_bundle_t *b)
{
    json_t *v = vec_json(name);
    json_t *d = json_object_get(v, "client_decoded");
    ck_assert_int_eq(csc_bundle_is_empty(b), json_is_true(json_object_get(d, "is_empty")));
    ck_assert_int_eq(b->events_remaining, json_integer_value(json_object_get(d, "events_remaining")));
    expect_hex(&b->cursor, json_string_value(json_object_get(json_object_get(d, "bundle_cursor"),
                                                             "bytearray")));
    json_t *msgs = json_object_get(d, "messages");
    ck_assert_uint_eq(b->num_messages, json_array_size(msgs));
    json_t *counts = json_object_get(d, "counts");
    ck_assert_uint_eq(csc_bundle_num_records(b),
                      (size_t)json_integer_value(json_object_get(counts, "records")));
    for (size_t m = 0; m < b->num_messages; m++) {
        const csc_message_t *msg = &b->messages[m];
        json_t *wm = json_array_get(msgs, m);
        ck_assert_str_eq(msg->table_name, json_string_value(json_object_get(wm, "table_name")));
        ck_assert_str_eq(msg->table_ocid, json_string_value(json_object_get(wm, "table_ocid")));
        ck_assert_str_eq(msg->compartment,
                         json_string_value(json_object_get(wm, "compartment_ocid")));
        json_t *wevs = json_object_get(wm, "events (each a list of records)");
        ck_assert_uint_eq(msg->num_events, json_array_size(wevs));
        for (size_t e = 0; e < msg->num_events; e++) {
            json_t *wrecs = json_array_get(wevs, e);
            ck_assert_uint_eq(msg->events[e].num_records, json_array_size(wrecs));
            for (size_t r = 0; r < msg->events[e].num_records; r++) {
                const csc_record_t *rec = &msg->events[e].records[r];
                json_t *w = json_array_get(wrecs, r);
                ck_assert_str_eq(rec->event_id, json_string_value(json_object_get(w, "event_id")));
                ck_assert_int_eq(rec->modification_time,
                                 json_integer_value(json_object_get(w, "modification_time")));
                ck_assert_int_eq(rec->expiration_time,
                                 json_integer_value(json_object_get(w, "expiration_time")));
                ck_assert_int_eq(rec->partition_id,
                                 json_integer_value(json_object_get(w, "partition_id")));
                ck_assert_int_eq(rec->region_id, json_integer_value(json_object_get(w, "region_id")));
                ck_assert(py_matches(json_object_get(w, "record_key"), rec->key.json));
                ck_assert_ptr_nonnull(rec->key.nson);
                ck_assert_int_eq(rec->key.nson[0], NSON_MAP);
                expect_image(rec->event_id, json_object_get(w, "current_image"), &rec->current);
                expect_image(rec->event_id, json_object_get(w, "before_image"), &rec->before);
            }
        }
    }
    json_decref(v);
}

START_TEST(test_decode_polls)
{
    static const char *const names[] = { "resp-cs-poll-two-tables", "resp-cs-poll-group-event",
                                         "resp-cs-poll-empty" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        csc_reply_t r;
        csc_error_t err;
        csc_bundle_t b;
        ck_assert_int_eq(reply_of(names[i], &r, &err), CS_OK);
        ck_assert_msg(csc_poll_reply_decode(r.root, &b, &err) == CS_OK, "%s: %s", names[i],
                      err.e.msg);
        ck_assert_ptr_null(b.consumer);
        expect_bundle(names[i], &b);
        csc_bundle_free(&b);
        csc_reply_free(&r);
    }
}
END_TEST

/* The consumer's view of a poll reply: the bundle and the consumer's cursor
 * are the reply's "cu", images and raw NSON available. */
START_TEST(test_poll_through_consumer)
{
    csc_error_t err;
    csc_bundle_t b;
    csc_consumer_t *c = build_minimal();
    queue_vector_reply("resp-cs-poll-two-tables");
    ck_assert_int_eq(csc_consumer_poll(c, 100, 0, &b, &err), CS_OK);
    expect_bundle("resp-cs-poll-two-tables", &b);
    ck_assert_ptr_eq(b.consumer, c);
    size_t n;
    const uint8_t *cu = csc_consumer_cursor(c, &n);
    ck_assert_uint_eq(n, b.cursor.len);
    ck_assert_mem_eq(cu, b.cursor.data, n);
    /* the delete: no current image, before image only, xp 0 */
    const csc_record_t *del = &b.messages[0].events[3].records[0];
    ck_assert(!del->current.present);
    ck_assert_ptr_null(del->current.value.json);
    ck_assert(del->before.present);
    ck_assert_str_eq(json_string_value(json_object_get(del->before.value.json, "name")), "v2");
    ck_assert_int_eq(del->before.value.nson[0], NSON_MAP);
    /* the TTL put */
    ck_assert_int_eq(b.messages[0].events[2].records[0].expiration_time, 1767398400000LL);
    /* bundle.commit sends the bundle's cursor */
    ck_assert_int_eq(csc_bundle_commit(&b, 0, &err), CS_OK);
    fake_body_t last;
    ck_assert(fake_server_request(&fake, fake_server_count(&fake) - 1, &last));
    ck_assert_ptr_nonnull(memmem(last.data, last.len, b.cursor.data, b.cursor.len));
    free(last.data);
    csc_bundle_free(&b);
    csc_consumer_free(c);
}
END_TEST

START_TEST(test_decode_consumer_replies)
{
    static const struct { const char *name; bool cursor; bool meta; } cases[] = {
        { "resp-cs-create", true, true }, { "resp-cs-update", true, false },
        { "resp-cs-commit", true, false }, { "resp-cs-reset", true, false },
        { "resp-cs-close", false, false }, { "resp-cs-delete-group", false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        csc_reply_t r;
        csc_error_t err;
        csc_bytes_t cu;
        csc_row_t cm;
        ck_assert_int_eq(reply_of(cases[i].name, &r, &err), CS_OK);
        ck_assert_int_eq(csc_cs_reply_decode(r.root, &cu, &cm, &err), CS_OK);
        ck_assert_int_eq(cu.data != NULL, cases[i].cursor);
        ck_assert_int_eq(cm.json != NULL, cases[i].meta);
        if (cases[i].cursor) {
            json_t *v = vec_json(cases[i].name);
            expect_hex(&cu, json_string_value(json_object_get(
                json_object_get(json_object_get(v, "client_decoded"), "consumer_cursor"),
                "bytearray")));
            if (cases[i].meta)
                ck_assert(py_matches(json_object_get(json_object_get(v, "client_decoded"),
                                                     "consumer_metadata"), cm.json));
            json_decref(v);
        }
        csc_bytes_free(&cu);
        csc_row_free(&cm);
        csc_reply_free(&r);
    }
    /* CREATE's metadata is kept by the consumer */
    queue_vector_reply("resp-cs-create");
    csc_consumer_t *c = build_minimal();
    const csc_row_t *meta = csc_consumer_metadata(c);
    ck_assert_str_eq(json_string_value(json_object_get(meta->json, "groupId")), "users-group");
    csc_consumer_free(c);
}
END_TEST

START_TEST(test_decode_errors)
{
    static const struct { const char *name; int code; cs_err_t err; const char *msg; } cases[] = {
        { "resp-error-cs-bad-cursor", 14, CS_ENOTFOUND, "Consumer not found or closed" },
        { "resp-error-cs-table-not-found", 2, CS_ENOTABLE,
          "Table not found: ocid1.nosqltable.oc1.csemu.nosuch" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        csc_reply_t r;
        csc_error_t err;
        ck_assert_int_eq(reply_of(cases[i].name, &r, &err), cases[i].err);
        ck_assert_int_eq(err.proto_code, cases[i].code);
        ck_assert_str_eq(err.e.msg, cases[i].msg);
        ck_assert(!csc_stream_not_supported(&err));
        csc_reply_free(&r);
    }
    /* through the consumer: the server's code and message, untouched */
    csc_consumer_t *c = build_minimal();
    queue_vector_reply("resp-error-cs-bad-cursor");
    csc_bundle_t b;
    csc_error_t err;
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_ENOTFOUND);
    ck_assert_int_eq(err.proto_code, 14);
    ck_assert_str_eq(err.e.msg, "Consumer not found or closed");
    ck_assert(!csc_consumer_is_closed(c));
    csc_consumer_free(c);

    csc_consumer_builder_t *bl = csc_builder_new();
    csc_builder_set_handle(bl, h);
    csc_builder_set_group_id(bl, "g");
    csc_builder_add_table(bl, "ocid1.nosqltable.oc1.csemu.nosuch", NULL, NULL);
    queue_vector_reply("resp-error-cs-table-not-found");
    ck_assert_int_eq(csc_consumer_build(bl, &c, &err), CS_ENOTABLE);
    ck_assert_int_eq(err.proto_code, 2);
    ck_assert_ptr_null(c);
    csc_builder_free(bl);
}
END_TEST

/* ------------------------------------------------------------------------
 * limits and errors
 * ------------------------------------------------------------------------ */

static void r_ok(nson_writer_t *w) { nson_w_kv_int(w, "e", 0); }
static void r_cursor(nson_writer_t *w)
{
    nson_w_kv_int(w, "e", 0);
    nson_w_kv_binary(w, "cu", "queued-cursor", 13);
}
static void r_eb_no_cursor(nson_writer_t *w)
{
    nson_w_kv_int(w, "e", 0);
    nson_w_key(w, "eb");
    nson_w_array_begin(w);
    nson_w_array_end(w);
}
static void r_er_int(nson_writer_t *w)
{
    r_cursor(w);
    nson_w_kv_int(w, "er", 3);
}
static void r_eb_map(nson_writer_t *w)
{
    r_cursor(w);
    nson_w_key(w, "eb");
    nson_w_map_begin(w);
    nson_w_map_end(w);
}
static void r_msg_no_es(nson_writer_t *w)
{
    r_cursor(w);
    nson_w_key(w, "eb");
    nson_w_array_begin(w);
    nson_w_map_begin(w);
    nson_w_kv_string(w, "n", "users");
    nson_w_map_end(w);
    nson_w_array_end(w);
}
static void r_event_is_map(nson_writer_t *w)
{
    r_cursor(w);
    nson_w_key(w, "eb");
    nson_w_array_begin(w);
    nson_w_map_begin(w);
    nson_w_kv_string(w, "n", "users");
    nson_w_key(w, "es");
    nson_w_array_begin(w);
    nson_w_map_begin(w);
    nson_w_kv_int(w, "vs", 1);
    nson_w_map_end(w);
    nson_w_array_end(w);
    nson_w_map_end(w);
    nson_w_array_end(w);
}
static void r_event_bad_md(nson_writer_t *w)
{
    /* event binary: {es: [{md: INTEGER}]} - md must be LONG */
    buf_t ev;
    nson_writer_t ew;
    buf_init(&ev, 0);
    nson_writer_init(&ew, &ev);
    nson_w_map_begin(&ew);
    nson_w_key(&ew, "es");
    nson_w_array_begin(&ew);
    nson_w_map_begin(&ew);
    nson_w_kv_int(&ew, "md", 5);
    nson_w_map_end(&ew);
    nson_w_array_end(&ew);
    nson_w_map_end(&ew);
    r_cursor(w);
    nson_w_key(w, "eb");
    nson_w_array_begin(w);
    nson_w_map_begin(w);
    nson_w_key(w, "es");
    nson_w_array_begin(w);
    nson_w_binary(w, ev.data, ev.len);
    nson_w_array_end(w);
    nson_w_map_end(w);
    nson_w_array_end(w);
    buf_free(&ev);
}
static void r_unknown_opcode(nson_writer_t *w)
{
    nson_w_kv_int(w, "e", 17);
    nson_w_kv_string(w, "x", "unknown opcode: 43");
}

START_TEST(test_reply_contract)
{
    csc_error_t err;
    csc_consumer_t *c;
    csc_bundle_t b;
    csc_consumer_builder_t *bl = csc_builder_new();
    csc_builder_set_handle(bl, h);
    csc_builder_set_group_id(bl, "g");
    csc_builder_add_table(bl, USERS_OCID, NULL, NULL);

    queue_reply(r_ok); /* CREATE without a cursor */
    ck_assert_int_eq(csc_consumer_build(bl, &c, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Server returned invalid consumer cursor.");

    queue_reply(r_unknown_opcode);
    ck_assert_int_eq(csc_consumer_build(bl, &c, &err), wire_err_from_code(17));
    ck_assert_int_eq(err.proto_code, 17);
    ck_assert_str_eq(err.e.msg, "unknown opcode: 43");
    ck_assert(csc_stream_not_supported(&err));

    ck_assert_int_eq(csc_consumer_build(bl, &c, &err), CS_OK);
    size_t n0;
    const uint8_t *cu0 = csc_consumer_cursor(c, &n0);
    char before[64];
    hex_of(cu0, n0, before, sizeof before);

    queue_reply(r_ok);
    ck_assert_int_eq(csc_consumer_commit(c, 0, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Consumer not committed on server side.");
    queue_reply(r_ok);
    ck_assert_int_eq(csc_consumer_reset(c, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Consumer not reset on server side.");
    queue_reply(r_ok);
    ck_assert_int_eq(csc_consumer_add_table(c, ORDERS_OCID, NULL, NULL, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Server returned invalid consumer cursor.");

    /* a poll reply with neither "cu" nor "eb": empty, cursor unchanged */
    queue_reply(r_ok);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_OK);
    ck_assert(csc_bundle_is_empty(&b));
    char now[64], bun[64];
    size_t n1;
    const uint8_t *cu1 = csc_consumer_cursor(c, &n1);
    hex_of(cu1, n1, now, sizeof now);
    hex_of(b.cursor.data, b.cursor.len, bun, sizeof bun);
    ck_assert_str_eq(now, before);
    ck_assert_str_eq(bun, before);
    csc_bundle_free(&b);

    queue_reply(r_eb_no_cursor);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Poll returned invalid cursor.");
    queue_reply(r_er_int);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    queue_reply(r_eb_map);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Bad type in message bundle: 6 should be ARRAY");
    queue_reply(r_msg_no_es);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Missing EVENTS in message bundle.");
    queue_reply(r_event_is_map);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Expected type 1, received type 6");
    queue_reply(r_event_bad_md);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 0, &b, &err), CS_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.e.msg, "md"));

    /* CLOSE answered with a cursor: an error, and the consumer stays open */
    queue_reply(r_cursor);
    ck_assert_int_eq(csc_consumer_close(c, &err), CS_EPROTO);
    ck_assert_str_eq(err.e.msg, "Consumer not closed on server side.");
    ck_assert(!csc_consumer_is_closed(c));
    ck_assert_int_eq(csc_consumer_close(c, &err), CS_OK);
    csc_consumer_free(c);
    csc_builder_free(bl);
}
END_TEST

START_TEST(test_closed_state)
{
    csc_error_t err;
    csc_bundle_t b;
    csc_consumer_t *c = build_minimal();
    ck_assert_int_eq(csc_consumer_poll(c, 5, 0, &b, &err), CS_OK); /* a bundle from before */
    ck_assert_int_eq(csc_consumer_close(c, &err), CS_OK);
    size_t sent = fake_server_count(&fake);
    ck_assert_int_eq(csc_consumer_close(c, &err), CS_OK); /* no second CLOSE */
    csc_bundle_t b2;
    ck_assert_int_eq(csc_consumer_poll(c, 5, 0, &b2, &err), CS_ESTATE);
    ck_assert_str_eq(err.e.msg, "Consumer has been closed.");
    ck_assert_int_eq(csc_consumer_commit(c, 0, &err), CS_ESTATE);
    ck_assert_int_eq(csc_bundle_commit(&b, 0, &err), CS_ESTATE);
    ck_assert_int_eq(csc_consumer_reset(c, &err), CS_ESTATE);
    ck_assert_int_eq(csc_consumer_add_table(c, ORDERS_OCID, NULL, NULL, &err), CS_ESTATE);
    ck_assert_int_eq(csc_consumer_remove_table(c, ORDERS_OCID, NULL, &err), CS_ESTATE);
    ck_assert_uint_eq(fake_server_count(&fake), sent);
    /* a bundle only decoded has no consumer */
    csc_bundle_t lone = { 0 };
    ck_assert_int_eq(csc_bundle_commit(&lone, 0, &err), CS_ESTATE);
    csc_bundle_free(&b);
    csc_consumer_free(c);
}
END_TEST

static void r_table_not_found(nson_writer_t *w)
{
    nson_w_kv_int(w, "e", 2);
    nson_w_kv_string(w, "x", "Table not found: nosuch");
}
static void r_table_no_ocid(nson_writer_t *w)
{
    nson_w_kv_int(w, "e", 0);
    nson_w_kv_string(w, "n", "users");
    nson_w_kv_int(w, "as", 0);
}

START_TEST(test_builder_checks)
{
    csc_error_t err;
    csc_consumer_t *c = NULL;
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_group_id(b, "g");
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg, "Consumer builder missing NoSQLHandle.");
    csc_builder_set_handle(b, h);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg, "Consumer builder missing tables information.");

    /* duplicates are dropped case-insensitively per compartment; removals are not */
    csc_builder_add_table(b, "users", NULL, NULL);
    csc_builder_add_table(b, "USERS", NULL, NULL);
    csc_builder_add_table(b, "users", "c1", NULL);
    csc_builder_add_table(b, "users", "C1", NULL);
    csc_builder_add_table(b, USERS_OCID, NULL, NULL);
    csc_builder_add_table(b, "OCID1.NOSQLTABLE.oc1.csemu.aaaaaaaa00000001", NULL, NULL);
    ck_assert_uint_eq(csc_builder_num_tables(b), 3);
    csc_builder_remove_table(b, "orders", NULL);
    csc_builder_remove_table(b, "orders", NULL);
    ck_assert_uint_eq(csc_builder_num_tables(b), 5);
    ck_assert_str_eq(csc_builder_table_ocid(b, 2), USERS_OCID);
    ck_assert_ptr_null(csc_builder_table_ocid(b, 0));
    csc_builder_free(b);

    /* lookup failures: borneo's wrapper text, the server's code kept */
    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, "g");
    csc_builder_add_table(b, "nosuch", NULL, NULL);
    queue_reply(r_table_not_found);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg,
                     "Can't get table 'nosuch' information: TableNotFoundException: Table not "
                     "found: nosuch");
    ck_assert_int_eq(err.proto_code, 2);
    csc_builder_free(b);
    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_add_table(b, "users", NULL, NULL);
    queue_reply(r_table_no_ocid);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg, "Can't get table 'users' information: table OCID is not available.");
    csc_builder_free(b);

    /* setter mistakes are reported by build */
    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_builder_add_table(b, USERS_OCID, NULL, NULL);
    csc_builder_set_max_poll_interval(b, 0);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    csc_builder_free(b);
    b = csc_builder_new();
    csc_builder_set_handle(b, h);
    csc_start_location_t bad = { CSC_START_LATEST, 5 };
    csc_builder_add_table(b, USERS_OCID, NULL, &bad);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    ck_assert_str_eq(err.e.msg, "start_time_ms can only be set for AT_TIME start locations.");
    csc_builder_free(b);
    b = csc_builder_new();
    csc_builder_set_group_id(b, NULL);
    csc_builder_set_handle(b, h);
    csc_builder_add_table(b, USERS_OCID, NULL, NULL);
    ck_assert_int_eq(csc_consumer_build(b, &c, &err), CS_EINVAL);
    csc_builder_free(b);
    ck_assert_ptr_null(c);

    ck_assert_int_eq(csc_consumer_delete_group(NULL, "g", NULL, false, &err), CS_EINVAL);
    ck_assert_int_eq(csc_consumer_delete_group(h, NULL, NULL, false, &err), CS_EINVAL);

    /* negative poll arguments */
    c = build_minimal();
    csc_bundle_t bd;
    ck_assert_int_eq(csc_consumer_poll(c, -1, 0, &bd, &err), CS_EINVAL);
    ck_assert_int_eq(csc_consumer_poll(c, 1, -1, &bd, &err), CS_EINVAL);
    csc_consumer_free(c);
    ck_assert(csc_is_table_ocid("Ocid1.NoSqlTable.x"));
    ck_assert(!csc_is_table_ocid("users"));
    ck_assert(!csc_is_table_ocid(NULL));
}
END_TEST

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* borneo's loop: re-poll every 100 ms until something arrives or waiting
 * another 100 ms would pass wait_ms. */
START_TEST(test_poll_wait_loop)
{
    csc_error_t err;
    csc_bundle_t b;
    csc_consumer_t *c = build_minimal();
    size_t before = fake_server_count(&fake);
    int64_t t0 = mono_ms();
    ck_assert_int_eq(csc_consumer_poll(c, 10, 350, &b, &err), CS_OK);
    int64_t took = mono_ms() - t0;
    size_t polls = fake_server_count(&fake) - before;
    ck_assert(csc_bundle_is_empty(&b));
    ck_assert_msg(polls >= 2 && polls <= 4, "%zu polls in %lld ms", polls, (long long)took);
    ck_assert_msg(took >= 200 && took < 1000, "took %lld ms", (long long)took);
    csc_bundle_free(&b);

    /* something on the second poll: returned at once */
    queue_reply(r_cursor);
    queue_vector_reply("resp-cs-poll-group-event");
    before = fake_server_count(&fake);
    ck_assert_int_eq(csc_consumer_poll(c, 10, 5000, &b, &err), CS_OK);
    ck_assert_uint_eq(fake_server_count(&fake) - before, 2);
    ck_assert_uint_eq(csc_bundle_num_records(&b), 3);
    csc_bundle_free(&b);

    /* wait 0: exactly one request */
    before = fake_server_count(&fake);
    ck_assert_int_eq(csc_consumer_poll(c, 0, 0, &b, &err), CS_OK);
    ck_assert_uint_eq(fake_server_count(&fake) - before, 1);
    csc_bundle_free(&b);
    csc_consumer_free(c);
}
END_TEST

/* A reply cannot make the decoder allocate without bound. */
START_TEST(test_decode_budget)
{
    buf_t body;
    nson_writer_t w;
    buf_init(&body, 0);
    nson_writer_init(&w, &body);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "e", 0);
    nson_w_kv_binary(&w, "cu", "c", 1);
    nson_w_key(&w, "eb");
    nson_w_array_begin(&w);
    nson_w_map_begin(&w);
    nson_w_key(&w, "es");
    nson_w_array_begin(&w);
    for (uint32_t i = 0; i < (1u << 20); i++)
        nson_w_binary(&w, "", 0);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    csc_reply_t r;
    csc_error_t err;
    csc_bundle_t b;
    csc_error_clear(&err);
    ck_assert_int_eq(csc_reply_decode(body.data, body.len, &r, &err), CS_OK);
    ck_assert_int_eq(csc_poll_reply_decode(r.root, &b, &err), CS_ETOOBIG);
    ck_assert_ptr_null(b.messages[0].events);
    csc_bundle_free(&b);
    csc_reply_free(&r);
    buf_free(&body);
}
END_TEST

static Suite *stream_vectors_suite(void)
{
    Suite *s = suite_create("stream_vectors");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, fake_setup, fake_teardown);
    tcase_add_test(core, test_lifecycle_bodies);
    tcase_add_test(core, test_create_variant_bodies);
    tcase_add_test(core, test_delete_group_bodies);
    tcase_add_test(core, test_encoders);
    tcase_add_test(core, test_decode_polls);
    tcase_add_test(core, test_poll_through_consumer);
    tcase_add_test(core, test_decode_consumer_replies);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, fake_setup, fake_teardown);
    tcase_set_timeout(lim, 30);
    tcase_add_test(lim, test_decode_errors);
    tcase_add_test(lim, test_reply_contract);
    tcase_add_test(lim, test_closed_state);
    tcase_add_test(lim, test_builder_checks);
    tcase_add_test(lim, test_poll_wait_loop);
    tcase_add_test(lim, test_decode_budget);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    vec_dir = getenv("CSEMU_VECTORS");
    if (!vec_dir || !*vec_dir)
        vec_dir = "../shared/protocol/vectors";
    SRunner *sr = srunner_create(stream_vectors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
