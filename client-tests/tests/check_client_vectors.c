/*
 * check_client_vectors.c - the reference client encodes every request the
 * way borneo does and decodes replies the way borneo does, proven against
 * the golden vectors ($CSEMU_VECTORS): for each req-*.bin, the client call
 * equivalent to the vector's sdk_call must produce exactly those bytes; for
 * response vectors the client's result must hold what borneo returned
 * (client_decoded). No server needed.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csc.h"
#include "nson_json.h"

static const char *vec_dir;

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

/* body must equal the vector's .bin byte for byte; frees body. */
static void expect_vector(const char *name, buf_t *body)
{
    size_t len;
    uint8_t *want = slurp(name, ".bin", &len);
    size_t i = 0;
    while (i < len && i < body->len && body->data[i] == want[i])
        i++;
    ck_assert_msg(body->len == len && i == len, "%s: client encoding differs at byte %zu "
                  "(length %zu, vector %zu)", name, i, body->len, len);
    free(want);
    buf_free(body);
}

static json_t *J(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

#define ENC(fn, req, name)                                              \
    do {                                                                \
        buf_t b_;                                                       \
        csc_error_t e_;                                                 \
        buf_init(&b_, 0);                                               \
        ck_assert_msg(fn(NULL, (req), &b_, &e_) == CS_OK, "%s: %s", name, e_.e.msg); \
        expect_vector(name, &b_);                                       \
    } while (0)

static const uint8_t V1234[] = { 1, 2, 3, 4 };

/* ------------------------------------------------------------------------
 * requests
 * ------------------------------------------------------------------------ */

START_TEST(test_encode_get)
{
    json_t *key = J("{\"id\": 1, \"sk\": \"a\"}");
    csc_get_request_t g = { .table_name = "users", .key = csc_json(key) };
    ENC(csc_get_encode, &g, "req-get");
    g.absolute = true;
    ENC(csc_get_encode, &g, "req-get-absolute");
    json_decref(key);
}
END_TEST

START_TEST(test_encode_put)
{
    json_t *row = J("{\"id\": 1, \"sk\": \"a\", \"name\": \"jane\"}");
    csc_put_request_t p = { .table_name = "users", .value = csc_json(row) };
    ENC(csc_put_encode, &p, "req-put");
    p.option = CSC_PUT_IF_ABSENT;
    ENC(csc_put_encode, &p, "req-put-if-absent");
    p.return_row = true;
    ENC(csc_put_encode, &p, "req-put-return-row");
    p.return_row = false;
    p.option = CSC_PUT_IF_PRESENT;
    ENC(csc_put_encode, &p, "req-put-if-present");
    p.option = CSC_PUT_IF_VERSION;
    p.match_version = V1234;
    p.match_version_len = sizeof V1234;
    ENC(csc_put_encode, &p, "req-put-if-version");

    csc_put_request_t q = { .table_name = "users", .value = csc_json(row) };
    q.ttl = "5 DAYS";
    ENC(csc_put_encode, &q, "req-put-ttl-days");
    q.ttl = "10 HOURS";
    ENC(csc_put_encode, &q, "req-put-ttl-hours");
    q.ttl = NULL;
    q.use_table_default_ttl = true;
    ENC(csc_put_encode, &q, "req-put-table-default-ttl");
    q.use_table_default_ttl = false;
    q.exact_match = true;
    ENC(csc_put_encode, &q, "req-put-exact-match");
    q.exact_match = false;
    q.identity_cache_size = 100;
    ENC(csc_put_encode, &q, "req-put-identity-cache");
    q.identity_cache_size = 0;
    q.has_durability = true;
    q.durability = 1 | (2 << 2) | (2 << 4); /* SYNC, NO_SYNC, SIMPLE_MAJORITY */
    ENC(csc_put_encode, &q, "req-put-durability");
    json_decref(row);
}
END_TEST

/* A row with every NSON type goes in as raw NSON (typed values JSON cannot
 * carry). borneo wrote its negative ints non-minimally; the client writes
 * the same tree with minimal ints, i.e. exactly the re-encoded vector. */
START_TEST(test_encode_put_all_types_raw)
{
    json_t *js = vec_json("req-put-all-types");
    json_t *nson = json_object_get(js, "nson");
    /* p.l of the typed tree */
    json_t *payload = json_array_get(json_array_get(json_object_get(nson, "MAP"), 1), 1);
    json_t *l = json_array_get(json_array_get(json_object_get(payload, "MAP"), 1), 1);
    uint8_t *row;
    size_t rlen;
    cs_error_t e;
    ck_assert_int_eq(nson_json_encode_typed(l, &row, &rlen, &e), CS_OK);
    csc_put_request_t p = { .table_name = "users", .value = csc_nson(row, rlen) };
    buf_t body;
    csc_error_t err;
    buf_init(&body, 0);
    ck_assert_int_eq(csc_put_encode(NULL, &p, &body, &err), CS_OK);
    uint8_t *want;
    size_t wlen;
    ck_assert_int_eq(nson_json_encode_typed(nson, &want, &wlen, &e), CS_OK);
    ck_assert_uint_eq(body.len, wlen + 2);
    ck_assert(memcmp(body.data + 2, want, wlen) == 0);
    /* and the vector itself decodes to the same tree */
    size_t vlen;
    uint8_t *vec = slurp("req-put-all-types", ".bin", &vlen);
    arena_t a;
    arena_init(&a, 1 << 20);
    nson_value_t *v = nson_decode(&a, vec + 2, vlen - 2, false, &e);
    ck_assert_ptr_nonnull(v);
    json_t *t = nson_json_render_typed(v);
    ck_assert(json_equal(t, nson));
    json_decref(t);
    arena_free(&a);
    free(vec);
    free(want);
    buf_free(&body);
    free(row);
    json_decref(js);
}
END_TEST

START_TEST(test_encode_delete)
{
    json_t *key = J("{\"id\": 1, \"sk\": \"a\"}");
    csc_delete_request_t d = { .table_name = "users", .key = csc_json(key) };
    ENC(csc_delete_encode, &d, "req-delete");
    d.return_row = true;
    ENC(csc_delete_encode, &d, "req-delete-return-row");
    d.return_row = false;
    d.match_version = V1234;
    d.match_version_len = sizeof V1234;
    ENC(csc_delete_encode, &d, "req-delete-if-version");
    json_decref(key);
}
END_TEST

START_TEST(test_encode_write_multiple)
{
    json_t *r0 = J("{\"id\": 0, \"sk\": \"a\", \"name\": \"w0\"}");
    json_t *r1 = J("{\"id\": 1, \"sk\": \"a\", \"name\": \"w1\"}");
    json_t *r2 = J("{\"id\": 2, \"sk\": \"a\", \"name\": \"w2\"}");
    json_t *k9 = J("{\"id\": 9, \"sk\": \"a\"}");
    csc_write_op_t ops[4] = {
        { .put = { .table_name = "users", .value = csc_json(r0) }, .abort_if_unsuccessful = true },
        { .put = { .table_name = "users", .value = csc_json(r1) }, .abort_if_unsuccessful = true },
        { .put = { .table_name = "users", .value = csc_json(r2) }, .abort_if_unsuccessful = true },
        { .is_delete = true, .del = { .table_name = "users", .key = csc_json(k9) } },
    };
    csc_write_multiple_request_t wm = { .ops = ops, .num_ops = 4 };
    ENC(csc_write_multiple_encode, &wm, "req-write-multiple");

    json_t *jane = J("{\"id\": 1, \"sk\": \"a\", \"name\": \"jane\"}");
    json_t *k2 = J("{\"id\": 2, \"sk\": \"a\"}");
    static const uint8_t v0a0b[] = { 0x0a, 0x0b };
    csc_write_op_t cond[2] = {
        { .put = { .table_name = "users", .value = csc_json(jane), .option = CSC_PUT_IF_ABSENT,
                   .ttl = "1 DAYS", .return_row = true },
          .abort_if_unsuccessful = true },
        { .is_delete = true,
          .del = { .table_name = "users", .key = csc_json(k2), .match_version = v0a0b,
                   .match_version_len = 2, .return_row = true },
          .abort_if_unsuccessful = true },
    };
    csc_write_multiple_request_t wc = { .ops = cond, .num_ops = 2 };
    ENC(csc_write_multiple_encode, &wc, "req-write-multiple-conditional");

    json_t *addr = J("{\"id\": 1, \"sk\": \"a\", \"aid\": 1, \"city\": \"Oslo\"}");
    csc_write_op_t pc[2] = {
        { .put = { .table_name = "users", .value = csc_json(jane) }, .abort_if_unsuccessful = true },
        { .put = { .table_name = "users.addresses", .value = csc_json(addr) },
          .abort_if_unsuccessful = true },
    };
    csc_write_multiple_request_t wpc = { .ops = pc, .num_ops = 2 };
    ENC(csc_write_multiple_encode, &wpc, "req-write-multiple-parent-child");

    /* ops on unrelated tables are refused, like borneo */
    csc_write_op_t bad[2] = {
        { .put = { .table_name = "users", .value = csc_json(jane) } },
        { .put = { .table_name = "orders", .value = csc_json(jane) } },
    };
    csc_write_multiple_request_t wbad = { .ops = bad, .num_ops = 2 };
    buf_t b;
    csc_error_t err;
    buf_init(&b, 0);
    ck_assert_int_eq(csc_write_multiple_encode(NULL, &wbad, &b, &err), CS_EINVAL);
    buf_free(&b);

    json_decref(addr);
    json_decref(k2);
    json_decref(jane);
    json_decref(k9);
    json_decref(r2);
    json_decref(r1);
    json_decref(r0);
}
END_TEST

START_TEST(test_encode_multi_delete)
{
    json_t *key = J("{\"sk\": \"a\"}");
    json_t *one = json_integer(1), *ten = json_integer(10);
    csc_field_range_t rg = { .field_path = "id", .start = csc_json(one), .start_inclusive = true,
                             .end = csc_json(ten), .end_inclusive = false };
    csc_multi_delete_request_t md = { .table_name = "users", .key = csc_json(key), .range = &rg };
    ENC(csc_multi_delete_encode, &md, "req-multi-delete");
    json_decref(ten);
    json_decref(one);
    json_decref(key);
}
END_TEST

START_TEST(test_encode_table_requests)
{
    csc_table_limits_t l50 = { 50, 50, 1, 0 };
    csc_table_request_t t = {
        .statement = "CREATE TABLE IF NOT EXISTS users(id INTEGER, sk STRING, name STRING, "
                     "PRIMARY KEY(SHARD(sk), id))",
        .limits = &l50,
    };
    ENC(csc_table_request_encode, &t, "req-table-create");

    csc_table_limits_t od = { 0, 0, 5, CSC_LIMITS_ON_DEMAND };
    csc_table_request_t t2 = {
        .statement = "CREATE TABLE orders(id LONG, total NUMBER, placed TIMESTAMP(3), "
                     "PRIMARY KEY(id))",
        .limits = &od,
    };
    ENC(csc_table_request_encode, &t2, "req-table-create-on-demand");

    csc_table_limits_t l10 = { 10, 10, 1, CSC_LIMITS_PROVISIONED };
    json_t *dt = J("{\"ops\": {\"team\": \"blue\"}}"), *ff = J("{\"env\": \"test\"}");
    csc_table_request_t t3 = {
        .statement = "CREATE TABLE audit(id INTEGER, what JSON, PRIMARY KEY(id))",
        .limits = &l10, .defined_tags = dt, .free_form_tags = ff,
    };
    ENC(csc_table_request_encode, &t3, "req-table-create-tags");
    json_decref(dt);
    json_decref(ff);

    csc_table_request_t t4 = { .statement = "ALTER TABLE users (ADD age INTEGER)",
                               .match_etag = "etag-0001" };
    ENC(csc_table_request_encode, &t4, "req-table-alter-etag");
    csc_table_request_t t5 = {
        .statement = "CREATE TABLE users.addresses(aid INTEGER, city STRING, PRIMARY KEY(aid))" };
    ENC(csc_table_request_encode, &t5, "req-table-create-child");
    csc_table_request_t t6 = { .statement = "CREATE INDEX idx_name ON users(name)" };
    ENC(csc_table_request_encode, &t6, "req-table-create-index");
    csc_table_request_t t7 = { .statement = "DROP TABLE IF EXISTS users" };
    ENC(csc_table_request_encode, &t7, "req-table-drop");

    csc_table_limits_t l100 = { 100, 20, 2, 0 };
    csc_table_request_t t8 = { .table_name = "users", .limits = &l100 };
    ENC(csc_table_request_encode, &t8, "req-table-limits");

    csc_table_request_t ce = { .table_name = "users", .change_streaming = CSC_STREAMING_ENABLE };
    ENC(csc_table_request_encode, &ce, "req-table-enable-streaming");
    ENC(csc_table_request_encode, &ce, "req-table-enable-streaming-compartment");
    ce.change_streaming = CSC_STREAMING_DISABLE;
    ENC(csc_table_request_encode, &ce, "req-table-disable-streaming");
    ce.table_name = "orders";
    ce.change_streaming = CSC_STREAMING_ENABLE;
    ENC(csc_table_request_encode, &ce, "req-table-enable-streaming-direct");

    /* neither statement nor name: refused locally */
    csc_table_request_t empty = { 0 };
    buf_t b;
    csc_error_t err;
    buf_init(&b, 0);
    ck_assert_int_eq(csc_table_request_encode(NULL, &empty, &b, &err), CS_EINVAL);
    buf_free(&b);
}
END_TEST

START_TEST(test_encode_table_reads)
{
    csc_get_table_request_t g = { .table_name = "users" };
    ENC(csc_get_table_encode, &g, "req-get-table");
    ENC(csc_get_table_encode, &g, "req-get-table-compartment");
    csc_get_table_request_t go = { .table_name = "orders", .operation_id = "op-0042" };
    ENC(csc_get_table_encode, &go, "req-get-table-operation-id");

    csc_list_tables_request_t l = { 0 };
    ENC(csc_list_tables_encode, &l, "req-list-tables");
    l.limit = 10;
    l.start_index = 20;
    ENC(csc_list_tables_encode, &l, "req-list-tables-paged");

    csc_get_indexes_request_t gi = { .table_name = "users" };
    ENC(csc_get_indexes_encode, &gi, "req-get-indexes");
    gi.index_name = "idx_name";
    ENC(csc_get_indexes_encode, &gi, "req-get-indexes-one");

    csc_table_usage_request_t u = { .table_name = "users" };
    ENC(csc_table_usage_encode, &u, "req-table-usage");
    csc_table_usage_request_t ur = { .table_name = "users", .start_time = 1767225600000LL,
                                     .end_time = 1767229200000LL, .limit = 5, .start_index = 2 };
    ENC(csc_table_usage_encode, &ur, "req-table-usage-range");

    csc_system_request_t s = { .statement = "CREATE NAMESPACE ns1" };
    ENC(csc_system_request_encode, &s, "req-system-request");
    csc_system_status_request_t ss = { .operation_id = "sysop-1",
                                       .statement = "CREATE NAMESPACE ns1" };
    ENC(csc_system_status_encode, &ss, "req-system-status");
}
END_TEST

/* ------------------------------------------------------------------------
 * replies
 * ------------------------------------------------------------------------ */

/* Decode a response vector's body; the caller frees the reply. */
static cs_err_t reply_of(const char *name, csc_reply_t *r, csc_error_t *err)
{
    size_t len;
    uint8_t *b = slurp(name, ".bin", &len);
    csc_error_clear(err);
    cs_err_t rc = csc_reply_decode(b, len, r, err);
    free(b);
    return rc;
}

static void hex_eq(const csc_bytes_t *b, const char *hex)
{
    char s[256] = "";
    for (size_t i = 0; i < b->len && 2 * i + 2 < sizeof s; i++)
        snprintf(s + 2 * i, 3, "%02x", b->data[i]);
    ck_assert_ptr_nonnull(b->data);
    ck_assert_str_eq(s, hex);
}

START_TEST(test_decode_rows)
{
    csc_reply_t r;
    csc_error_t err;

    ck_assert_int_eq(reply_of("resp-get-row", &r, &err), CS_OK);
    csc_get_result_t g;
    ck_assert_int_eq(csc_get_result_decode(r.root, &g, &err), CS_OK);
    ck_assert(g.found);
    hex_eq(&g.version, "00000001002a");
    ck_assert_int_eq(g.creation_time, 1767225600000LL);
    ck_assert_str_eq(json_string_value(json_object_get(g.value.json, "name")), "jane");
    ck_assert_str_eq(json_string_value(json_object_get(g.value.json, "bin")), "AAH+/w==");
    ck_assert_str_eq(json_string_value(json_object_get(g.value.json, "num")),
                     "12345678901234567890.125");
    ck_assert_ptr_nonnull(g.value.nson);
    ck_assert_int_eq(g.value.nson[0], NSON_MAP);
    csc_get_result_free(&g);
    csc_reply_free(&r);

    ck_assert_int_eq(reply_of("resp-get-missing", &r, &err), CS_OK);
    ck_assert_int_eq(csc_get_result_decode(r.root, &g, &err), CS_OK);
    ck_assert(!g.found);
    ck_assert_ptr_null(g.value.json);
    ck_assert_ptr_null(g.version.data);
    csc_get_result_free(&g);
    csc_reply_free(&r);

    csc_put_result_t p;
    ck_assert_int_eq(reply_of("resp-put-if-absent-failed", &r, &err), CS_OK);
    ck_assert_int_eq(csc_put_result_decode(r.root, &p, &err), CS_OK);
    ck_assert(!p.success);
    ck_assert(p.existing.present);
    hex_eq(&p.existing.existing_version, "00000001002b");
    ck_assert_int_eq(p.existing.existing_modification_time, 1767225605000LL);
    ck_assert_str_eq(json_string_value(json_object_get(p.existing.existing_value.json, "name")),
                     "jane");
    csc_put_result_free(&p);
    csc_reply_free(&r);

    ck_assert_int_eq(reply_of("resp-put-generated", &r, &err), CS_OK);
    ck_assert_int_eq(csc_put_result_decode(r.root, &p, &err), CS_OK);
    ck_assert(p.success);
    hex_eq(&p.version, "000000020001");
    ck_assert_int_eq(json_integer_value(p.generated.json), 1001);
    ck_assert_int_eq(p.consumed.write_kb, 1);
    csc_put_result_free(&p);
    csc_reply_free(&r);

    csc_delete_result_t d;
    ck_assert_int_eq(reply_of("resp-delete-if-version-mismatch", &r, &err), CS_OK);
    ck_assert_int_eq(csc_delete_result_decode(r.root, &d, &err), CS_OK);
    ck_assert(!d.success);
    hex_eq(&d.existing.existing_version, "00000001002b");
    csc_delete_result_free(&d);
    csc_reply_free(&r);
    ck_assert_int_eq(reply_of("resp-delete-success", &r, &err), CS_OK);
    ck_assert_int_eq(csc_delete_result_decode(r.root, &d, &err), CS_OK);
    ck_assert(d.success);
    csc_delete_result_free(&d);
    csc_reply_free(&r);

    csc_write_multiple_result_t wm;
    ck_assert_int_eq(reply_of("resp-write-multiple-success", &r, &err), CS_OK);
    ck_assert_int_eq(csc_write_multiple_result_decode(r.root, &wm, &err), CS_OK);
    ck_assert_int_eq(wm.failed_operation_index, -1);
    ck_assert_uint_eq(wm.num_results, 4);
    ck_assert(wm.results[0].success && !wm.results[3].success);
    hex_eq(&wm.results[2].version, "000000010032");
    ck_assert_int_eq(wm.consumed.write_kb, 4);
    csc_write_multiple_result_free(&wm);
    csc_reply_free(&r);
    ck_assert_int_eq(reply_of("resp-write-multiple-aborted", &r, &err), CS_OK);
    ck_assert_int_eq(csc_write_multiple_result_decode(r.root, &wm, &err), CS_OK);
    ck_assert_int_eq(wm.failed_operation_index, 1);
    ck_assert_uint_eq(wm.num_results, 1);
    ck_assert(!wm.results[0].success);
    ck_assert_str_eq(json_string_value(json_object_get(wm.results[0].existing.existing_value.json,
                                                       "name")), "old");
    csc_write_multiple_result_free(&wm);
    csc_reply_free(&r);
}
END_TEST

START_TEST(test_decode_tables)
{
    csc_reply_t r;
    csc_error_t err;
    csc_table_result_t t;
    ck_assert_int_eq(reply_of("resp-get-table-active", &r, &err), CS_OK);
    ck_assert_int_eq(csc_table_result_decode(r.root, &t, &err), CS_OK);
    ck_assert_str_eq(t.table_name, "users");
    ck_assert_int_eq(t.state, CSC_TABLE_ACTIVE);
    ck_assert_str_eq(t.table_id, "ocid1.nosqltable.oc1.csemu.aaaaaaaa00000001");
    ck_assert(t.has_limits);
    ck_assert_int_eq(t.limits.read_units, 50);
    ck_assert_int_eq(t.limits.mode, CSC_LIMITS_PROVISIONED);
    ck_assert_str_eq(t.match_etag, "etag-0001");
    ck_assert_ptr_null(t.operation_id);
    csc_table_result_free(&t);
    csc_reply_free(&r);

    ck_assert_int_eq(reply_of("resp-table-request-creating", &r, &err), CS_OK);
    ck_assert_int_eq(csc_table_result_decode(r.root, &t, &err), CS_OK);
    ck_assert_int_eq(t.state, CSC_TABLE_CREATING);
    ck_assert_ptr_nonnull(t.operation_id);
    csc_table_result_free(&t);
    csc_reply_free(&r);
}
END_TEST

START_TEST(test_decode_errors)
{
    static const struct { const char *name; int code; cs_err_t err; } cases[] = {
        { "resp-error-table-not-found", 2, CS_ENOTABLE },
        { "resp-error-with-consumed", 2, CS_ENOTABLE },
        { "resp-error-illegal-argument", 4, CS_EINVAL },
        { "resp-error-table-exists", 9, CS_ETABLEEXISTS },
        { "resp-error-unknown-opcode", 17, CS_EPROTO },
        { "resp-error-unknown-opcode-code1", 1, CS_EUNKNOWNOP },
        { "resp-error-v3-style", 4, CS_EINVAL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        csc_reply_t r;
        csc_error_t err;
        cs_err_t rc = reply_of(cases[i].name, &r, &err);
        ck_assert_msg(rc == cases[i].err, "%s: %d %s", cases[i].name, rc, err.e.msg);
        ck_assert_int_eq(err.proto_code, cases[i].code);
        /* the message is the server's, verbatim ("x", or the V3 text) */
        json_t *js = vec_json(cases[i].name);
        const char *msg = json_string_value(
            json_object_get(json_object_get(js, "client_decoded"), "message"));
        size_t k;
        json_t *pair;
        json_array_foreach(json_object_get(json_object_get(js, "nson"), "MAP"), k, pair)
            if (strcmp(json_string_value(json_array_get(pair, 0)), "x") == 0)
                msg = json_string_value(json_object_get(json_array_get(pair, 1), "STRING"));
        ck_assert_ptr_nonnull(msg);
        ck_assert_msg(strcmp(msg, err.e.msg) == 0, "%s: '%s' vs '%s'", cases[i].name,
                      err.e.msg, msg);
        json_decref(js);
        csc_reply_free(&r);
    }
}
END_TEST

START_TEST(test_decode_bad_error_layout)
{
    /* "x" before "e": borneo silently drops the error; the client reports it */
    uint8_t buf[64];
    buf_t b = { .data = NULL };
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_string(&w, "x", "Table not found: t");
    nson_w_kv_int(&w, "e", 2);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    csc_reply_t r;
    csc_error_t err;
    csc_error_clear(&err);
    ck_assert_int_eq(csc_reply_decode(b.data, b.len, &r, &err), CS_EPROTO);
    ck_assert_int_eq(err.proto_code, 2);
    csc_reply_free(&r);
    buf_free(&b);
    /* "e" as LONG is rejected as borneo does */
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_long(&w, "e", 0);
    nson_w_map_end(&w);
    ck_assert_int_eq(csc_reply_decode(b.data, b.len, &r, &err), CS_EPROTO);
    csc_reply_free(&r);
    buf_free(&b);
    /* garbage that is neither NSON nor a V3 error */
    memset(buf, 0xff, sizeof buf);
    ck_assert_int_eq(csc_reply_decode(buf, sizeof buf, &r, &err), CS_EPROTO);
    csc_reply_free(&r);
    ck_assert_int_eq(csc_reply_decode(buf, 0, &r, &err), CS_EIO);
    csc_reply_free(&r);
}
END_TEST

static Suite *client_vectors_suite(void)
{
    Suite *s = suite_create("client_vectors");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, test_encode_get);
    tcase_add_test(core, test_encode_put);
    tcase_add_test(core, test_encode_put_all_types_raw);
    tcase_add_test(core, test_encode_delete);
    tcase_add_test(core, test_encode_write_multiple);
    tcase_add_test(core, test_encode_multi_delete);
    tcase_add_test(core, test_encode_table_requests);
    tcase_add_test(core, test_encode_table_reads);
    tcase_add_test(core, test_decode_rows);
    tcase_add_test(core, test_decode_tables);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, test_decode_errors);
    tcase_add_test(lim, test_decode_bad_error_layout);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    vec_dir = getenv("CSEMU_VECTORS");
    if (!vec_dir || !*vec_dir)
        vec_dir = "../shared/protocol/vectors";
    SRunner *sr = srunner_create(client_vectors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
