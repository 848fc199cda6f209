/*
 * check_client_tables.c - every table operation and its errors, through
 * the reference client against a real csemu ($CSEMU_BIN) on an ephemeral
 * port with a fresh data directory: TableRequest DDL (CREATE TABLE with
 * every column type, child tables, TTL, IF [NOT] EXISTS, DROP, ALTER,
 * CREATE/DROP INDEX, limits, tags, etags, change streaming, syntax
 * errors), GetTable, ListTables, GetIndexes, TableUsage, and all of it
 * again after a clean restart.
 *
 * What is asserted is what an SDK user observes, as the official SDK tests
 * (borneo test/table_request.py, get_table.py, list_tables.py,
 * get_indexes.py, table_limits.py) check it: the transitional state and an
 * operation id in the TableRequest reply, the terminal state after waiting,
 * limits and schema in the result, the error code (hence the exception
 * class) and a message naming the culprit.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "client_env.h"
#include "csc.h"
#include "stream_env.h"

static senv_t E;
static const csc_table_limits_t LIM = { 50, 50, 1, CSC_LIMITS_PROVISIONED };

static void teardown(void)
{
    senv_cleanup(&E);
}

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

/* One TableRequest, no waiting; asserts it succeeded. */
static void table_request(const csc_table_request_t *req, csc_table_result_t *res)
{
    csc_error_t err;
    cs_err_t rc = csc_table_request(E.h, req, res, &err);
    ck_assert_msg(rc == CS_OK, "TableRequest %s: %s (code %d)",
                  req->statement ? req->statement : req->table_name, err.e.msg, err.proto_code);
}

/* Assert the reply of a DDL request that changes something: the
 * transitional state with an operation id, then (after waiting) `final`. */
static void expect_transition(csc_table_result_t *res, int transitional, int final)
{
    ck_assert_msg(res->state == transitional, "state %d, expected %d", res->state,
                  transitional);
    ck_assert_msg(res->operation_id && *res->operation_id, "no operation id in the reply");
    csc_error_t err;
    cs_err_t rc = csc_table_wait_for_completion(E.h, res, 10000, 50, &err);
    ck_assert_msg(rc == CS_OK, "wait: %s (code %d)", err.e.msg, err.proto_code);
    ck_assert_int_eq(res->state, final);
}

static json_t *schema_of(const csc_table_result_t *res)
{
    ck_assert_msg(res->schema != NULL, "table result has no schema");
    json_error_t je;
    json_t *j = json_loads(res->schema, 0, &je);
    ck_assert_msg(j != NULL, "schema is not JSON (%s): %s", je.text, res->schema);
    return j;
}

/* The field object `name` of a schema JSON, or NULL. */
static json_t *field_of(json_t *schema, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(schema, "fields"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    return NULL;
}

static const char *field_type(json_t *schema, const char *name)
{
    json_t *f = field_of(schema, name);
    ck_assert_msg(f != NULL, "schema has no field %s", name);
    return json_string_value(json_object_get(f, "type"));
}

/* The schema's field names in order, comma-separated ("a,b,c"). */
static void field_names(json_t *schema, char *out, size_t cap)
{
    size_t i, used = 0;
    json_t *f;
    out[0] = '\0';
    json_array_foreach(json_object_get(schema, "fields"), i, f) {
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(f, "name")));
        ck_assert_uint_lt(used, cap);
    }
}

static void expect_limits(const csc_table_result_t *res, int ru, int wu, int sg, int mode)
{
    ck_assert_msg(res->has_limits, "no limits in the table result");
    ck_assert_int_eq(res->limits.read_units, ru);
    ck_assert_int_eq(res->limits.write_units, wu);
    ck_assert_int_eq(res->limits.storage_gb, sg);
    ck_assert_int_eq(res->limits.mode, mode);
}

static void expect_no_table(const char *name)
{
    csc_get_table_request_t req = { .table_name = name };
    csc_table_result_t res;
    csc_error_t err;
    CENV_FAILS(csc_get_table(E.h, &req, &res, &err), &err, CENV_TABLE_NOT_FOUND, name);
}

/* The DDL fails with `code` and a message mentioning `needle`. */
static void expect_ddl_fails(const char *stmt, const csc_table_limits_t *lim, int code,
                             const char *needle)
{
    csc_table_request_t req = { .statement = stmt, .limits = lim };
    csc_table_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_table_request(E.h, &req, &res, &err);
    if (rc == CS_OK)
        csc_table_result_free(&res);
    ck_assert_msg(rc != CS_OK, "%s: succeeded, expected error code %d", stmt, code);
    ck_assert_msg(err.proto_code == code, "%s: expected code %d, got %d: %s", stmt, code,
                  err.proto_code, err.e.msg);
    if (needle)
        ck_assert_msg(strcasestr(err.e.msg, needle) != NULL,
                      "%s: message \"%s\" does not mention \"%s\"", stmt, err.e.msg, needle);
}

static bool index_list_is(const char *table, const char *expect)
{
    csc_get_indexes_request_t req = { .table_name = table };
    csc_get_indexes_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_get_indexes(E.h, &req, &res, &err);
    ck_assert_msg(rc == CS_OK, "GetIndexes %s: %s (code %d)", table, err.e.msg, err.proto_code);
    /* "name(f1,f2);name2(f3)" */
    char have[1024];
    size_t used = 0;
    have[0] = '\0';
    for (size_t i = 0; i < res.num_indexes; i++) {
        used += (size_t)snprintf(have + used, sizeof have - used, "%s%s(", i ? ";" : "",
                                 res.indexes[i].index_name);
        for (size_t k = 0; k < res.indexes[i].num_fields; k++)
            used += (size_t)snprintf(have + used, sizeof have - used, "%s%s", k ? "," : "",
                                     res.indexes[i].field_paths[k]);
        used += (size_t)snprintf(have + used, sizeof have - used, ")");
    }
    csc_get_indexes_result_free(&res);
    bool same = strcmp(have, expect) == 0;
    if (!same)
        fprintf(stderr, "indexes of %s: have \"%s\", want \"%s\"\n", table, have, expect);
    return same;
}

/* Is streaming on for `table`, as the admin view reports it? */
static bool admin_streaming(const char *table)
{
    json_t *j = NULL;
    cs_error_t err;
    cs_err_t rc = test_admin_get_json(E.srv.endpoint, SENV_TENANT, "/admin/tables", &j, &err);
    ck_assert_msg(rc == CS_OK, "/admin/tables: %s", err.msg);
    bool on = false, seen = false;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "tables"), i, t) {
        if (strcasecmp(json_string_value(json_object_get(t, "name")), table) == 0) {
            seen = true;
            on = json_is_true(json_object_get(t, "streaming"));
        }
    }
    json_decref(j);
    ck_assert_msg(seen, "/admin/tables does not list %s", table);
    return on;
}

/* ListTables(start, limit) as "a,b,c"; *li gets the last returned index. */
static void list_tables(csc_handle_t *h, int start, int limit, char *out, size_t cap, int *li)
{
    csc_list_tables_request_t req = { .limit = limit, .start_index = start };
    csc_list_tables_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_list_tables(h, &req, &res, &err);
    ck_assert_msg(rc == CS_OK, "ListTables: %s (code %d)", err.e.msg, err.proto_code);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res.num_tables; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", res.tables[i]);
    if (li)
        *li = res.last_index_returned;
    csc_list_tables_result_free(&res);
}

/* ------------------------------------------------------------------------
 * CREATE TABLE
 * ------------------------------------------------------------------------ */

#define EVERY_TYPE_DDL                                                                     \
    "CREATE TABLE Everything (id INTEGER, sk STRING, l LONG NOT NULL DEFAULT 7, f FLOAT, " \
    "d DOUBLE DEFAULT 1.5, n NUMBER, s STRING DEFAULT 'none', b BOOLEAN, bin BINARY, "     \
    "fb BINARY(4), ts TIMESTAMP(3), e ENUM(red, green, blue) DEFAULT red, j JSON, "        \
    "a ARRAY(INTEGER), m MAP(STRING), r RECORD(x LONG, y STRING), "                        \
    "PRIMARY KEY(SHARD(sk), id)) USING TTL 5 DAYS"

START_TEST(test_create_every_type)
{
    senv_start(&E, NULL);
    csc_table_request_t req = { .statement = EVERY_TYPE_DDL, .limits = &LIM };
    csc_table_result_t res;
    table_request(&req, &res);
    /* the reply: CREATING, an operation id, the name as written, the limits */
    ck_assert_str_eq(res.table_name, "Everything");
    ck_assert_msg(res.table_id && strncmp(res.table_id, "ocid1.nosqltable.", 17) == 0,
                  "OCID %s", res.table_id ? res.table_id : "(none)");
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    char *ocid = strdup(res.table_id);
    expect_transition(&res, CSC_TABLE_CREATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);

    /* GetTable: ACTIVE, no operation id, the DDL text and the schema */
    cenv_get_table(E.h, "Everything", &res);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    ck_assert_ptr_null(res.operation_id);
    ck_assert_str_eq(res.table_id, ocid);
    ck_assert_str_eq(res.ddl, EVERY_TYPE_DDL);
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    json_t *s = schema_of(&res);
    char names[512];
    field_names(s, names, sizeof names);
    ck_assert_str_eq(names, "id,sk,l,f,d,n,s,b,bin,fb,ts,e,j,a,m,r");
    const char *types[][2] = {
        { "id", "INTEGER" }, { "sk", "STRING" }, { "l", "LONG" }, { "f", "FLOAT" },
        { "d", "DOUBLE" }, { "n", "NUMBER" }, { "s", "STRING" }, { "b", "BOOLEAN" },
        { "bin", "BINARY" }, { "fb", "FIXED_BINARY" }, { "ts", "TIMESTAMP" }, { "e", "ENUM" },
        { "j", "JSON" }, { "a", "ARRAY" }, { "m", "MAP" }, { "r", "RECORD" },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        ck_assert_msg(strcmp(field_type(s, types[i][0]), types[i][1]) == 0, "%s is %s, not %s",
                      types[i][0], field_type(s, types[i][0]), types[i][1]);
    ck_assert_int_eq(json_integer_value(json_object_get(field_of(s, "ts"), "precision")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(field_of(s, "fb"), "size")), 4);
    ck_assert(cenv_json_eq(json_object_get(field_of(s, "e"), "symbols"),
                           "[\"red\",\"green\",\"blue\"]"));
    ck_assert(cenv_json_eq(json_object_get(field_of(s, "a"), "collection"),
                           "{\"type\":\"INTEGER\"}"));
    ck_assert(cenv_json_eq(json_object_get(field_of(s, "m"), "collection"),
                           "{\"type\":\"STRING\"}"));
    json_t *rf = json_object_get(field_of(s, "r"), "fields");
    ck_assert_uint_eq(json_array_size(rf), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rf, 0), "name")), "x");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rf, 0), "type")), "LONG");
    /* NOT NULL and DEFAULT; key columns are never nullable */
    ck_assert(json_is_false(json_object_get(field_of(s, "l"), "nullable")));
    ck_assert_int_eq(json_integer_value(json_object_get(field_of(s, "l"), "default")), 7);
    ck_assert(json_is_true(json_object_get(field_of(s, "f"), "nullable")));
    ck_assert(json_is_false(json_object_get(field_of(s, "id"), "nullable")));
    ck_assert_str_eq(json_string_value(json_object_get(field_of(s, "s"), "default")), "none");
    ck_assert_str_eq(json_string_value(json_object_get(field_of(s, "e"), "default")), "red");
    ck_assert(cenv_json_eq(json_object_get(s, "primaryKey"), "[\"sk\",\"id\"]"));
    ck_assert(cenv_json_eq(json_object_get(s, "shardKey"), "[\"sk\"]"));
    ck_assert_str_eq(json_string_value(json_object_get(s, "ttl")), "5 DAYS");
    json_decref(s);
    csc_table_result_free(&res);

    /* IDENTITY (with its sequence) and UUID columns */
    cenv_ddl(E.h, "CREATE TABLE ids(id LONG GENERATED ALWAYS AS IDENTITY (START WITH 10 "
                  "INCREMENT BY 5), name STRING, PRIMARY KEY(id))", &LIM, &res);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "ids", &res);
    s = schema_of(&res);
    json_t *ident = json_object_get(s, "identity");
    ck_assert_msg(json_is_object(ident), "no identity in %s", res.schema);
    ck_assert_str_eq(json_string_value(json_object_get(ident, "name")), "id");
    ck_assert(json_is_true(json_object_get(ident, "always")));
    json_t *seq = json_object_get(ident, "sequence");
    ck_assert_int_eq(json_integer_value(json_object_get(seq, "start")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(seq, "increment")), 5);
    json_decref(s);
    csc_table_result_free(&res);

    cenv_ddl(E.h, "CREATE TABLE uuids(u STRING AS UUID GENERATED BY DEFAULT, name STRING, "
                  "PRIMARY KEY(u))", &LIM, NULL);
    cenv_get_table(E.h, "uuids", &res);
    s = schema_of(&res);
    ck_assert(json_is_true(json_object_get(field_of(s, "u"), "as uuid")));
    ck_assert(json_is_true(json_object_get(field_of(s, "u"), "generated")));
    json_decref(s);
    csc_table_result_free(&res);

    /* every table has its own OCID */
    char *o1 = senv_table_ocid(E.h, "ids"), *o2 = senv_table_ocid(E.h, "uuids");
    ck_assert_str_ne(o1, o2);
    ck_assert_str_ne(o1, ocid);
    free(o1);
    free(o2);
    free(ocid);
}
END_TEST

START_TEST(test_create_if_not_exists_and_ttl)
{
    senv_start(&E, NULL);
    const char *ddl = "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id)) "
                      "USING TTL 3 HOURS";
    /* a top-level table needs limits (borneo test testTableRequestCreateDropTable) */
    expect_ddl_fails(ddl, NULL, CENV_ILLEGAL_ARGUMENT, "limits");
    expect_no_table("t1");

    csc_table_result_t res;
    cenv_ddl(E.h, ddl, &LIM, &res);
    json_t *s = schema_of(&res);
    ck_assert_str_eq(json_string_value(json_object_get(s, "ttl")), "3 HOURS");
    json_decref(s);
    csc_table_result_free(&res);

    /* again: TABLE_EXISTS naming the table */
    expect_ddl_fails(ddl, &LIM, CENV_TABLE_EXISTS, "t1");

    /* IF NOT EXISTS: success, ACTIVE at once, the table unchanged */
    csc_table_request_t req = {
        .statement = "CREATE TABLE IF NOT EXISTS t1(other INTEGER, PRIMARY KEY(other))",
        .limits = &LIM };
    table_request(&req, &res);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    ck_assert_str_eq(res.table_name, "t1");
    csc_table_result_free(&res);
    cenv_get_table(E.h, "t1", &res);
    s = schema_of(&res);
    ck_assert_ptr_nonnull(field_of(s, "name"));
    ck_assert_ptr_null(field_of(s, "other"));
    ck_assert_str_eq(res.ddl, ddl);
    json_decref(s);
    csc_table_result_free(&res);

    /* a table without TTL has none in its schema */
    cenv_ddl(E.h, "CREATE TABLE t2(id INTEGER, PRIMARY KEY(id))", &LIM, &res);
    s = schema_of(&res);
    ck_assert_ptr_null(json_object_get(s, "ttl"));
    json_decref(s);
    csc_table_result_free(&res);
}
END_TEST

START_TEST(test_child_tables)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE parent(pid INTEGER, psk STRING, pname STRING, "
                  "PRIMARY KEY(SHARD(psk), pid))", &LIM, NULL);
    const char *child = "CREATE TABLE parent.child(cid INTEGER, cname STRING, PRIMARY KEY(cid))";
    /* a child shares its parent's limits: giving some is refused */
    expect_ddl_fails(child, &LIM, CENV_ILLEGAL_ARGUMENT, "child");
    expect_no_table("parent.child");
    /* a child of a missing parent */
    expect_ddl_fails("CREATE TABLE nosuch.child(cid INTEGER, PRIMARY KEY(cid))", NULL,
                     CENV_TABLE_NOT_FOUND, "nosuch");
    /* a child cannot declare a shard key */
    expect_ddl_fails("CREATE TABLE parent.bad(cid INTEGER, PRIMARY KEY(SHARD(cid)))", NULL,
                     CENV_ILLEGAL_ARGUMENT, "shard");

    csc_table_request_t req = { .statement = child };
    csc_table_result_t res;
    table_request(&req, &res);
    ck_assert_str_eq(res.table_name, "parent.child");
    expect_transition(&res, CSC_TABLE_CREATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);

    /* the child inherits the parent's key (in the parent's key order) and shard key */
    cenv_get_table(E.h, "parent.child", &res);
    ck_assert_str_eq(res.table_name, "parent.child");
    json_t *s = schema_of(&res);
    char names[256];
    field_names(s, names, sizeof names);
    ck_assert_str_eq(names, "psk,pid,cid,cname");
    ck_assert(cenv_json_eq(json_object_get(s, "primaryKey"), "[\"psk\",\"pid\",\"cid\"]"));
    ck_assert(cenv_json_eq(json_object_get(s, "shardKey"), "[\"psk\"]"));
    ck_assert_str_eq(field_type(s, "pid"), "INTEGER");
    json_decref(s);
    csc_table_result_free(&res);

    /* a grandchild inherits both */
    cenv_ddl(E.h, "CREATE TABLE parent.child.grand(gid STRING, PRIMARY KEY(gid))", NULL, &res);
    s = schema_of(&res);
    ck_assert(cenv_json_eq(json_object_get(s, "primaryKey"),
                           "[\"psk\",\"pid\",\"cid\",\"gid\"]"));
    json_decref(s);
    csc_table_result_free(&res);

    /* limits cannot be set on a child table */
    csc_table_limits_t lim2 = { 10, 10, 1, CSC_LIMITS_PROVISIONED };
    csc_table_request_t lreq = { .table_name = "parent.child", .limits = &lim2 };
    csc_error_t err;
    CENV_FAILS(csc_table_request(E.h, &lreq, &res, &err), &err, CENV_ILLEGAL_ARGUMENT,
               "parent.child");

    /* children are listed with their full names */
    char list[256];
    list_tables(E.h, 0, 0, list, sizeof list, NULL);
    ck_assert_msg(strstr(list, "parent.child") && strstr(list, "parent.child.grand"), "%s",
                  list);

    /* a parent with children cannot be dropped; the tables stay */
    expect_ddl_fails("DROP TABLE parent", NULL, CENV_ILLEGAL_ARGUMENT, "child");
    expect_ddl_fails("DROP TABLE parent.child", NULL, CENV_ILLEGAL_ARGUMENT, "child");
    cenv_get_table(E.h, "parent", &res);
    csc_table_result_free(&res);
    /* bottom up works */
    cenv_ddl(E.h, "DROP TABLE parent.child.grand", NULL, NULL);
    cenv_ddl(E.h, "DROP TABLE parent.child", NULL, NULL);
    cenv_ddl(E.h, "DROP TABLE parent", NULL, NULL);
    expect_no_table("parent");
    expect_no_table("parent.child");
}
END_TEST

/* ------------------------------------------------------------------------
 * DROP TABLE
 * ------------------------------------------------------------------------ */

START_TEST(test_drop_table)
{
    senv_start(&E, NULL);
    const char *ddl = "CREATE TABLE dropme(id INTEGER, name STRING, PRIMARY KEY(id))";
    cenv_ddl(E.h, ddl, &LIM, NULL);
    char *ocid = senv_table_ocid(E.h, "dropme");
    cenv_put(E.h, "dropme", "{\"id\": 1, \"name\": \"gone soon\"}", NULL);

    csc_table_request_t req = { .statement = "DROP TABLE dropme" };
    csc_table_result_t res;
    table_request(&req, &res);
    ck_assert_str_eq(res.table_name, "dropme");
    expect_transition(&res, CSC_TABLE_DROPPING, CSC_TABLE_DROPPED);
    /* borneo: no limits (and no schema) once DROPPED */
    ck_assert(!res.has_limits);
    ck_assert_ptr_null(res.schema);
    csc_table_result_free(&res);

    expect_no_table("dropme");
    json_t *key = cenv_json("{\"id\": 1}");
    csc_get_request_t g = { .table_name = "dropme", .key = csc_json(key) };
    csc_get_result_t gr;
    csc_error_t err;
    CENV_FAILS(csc_get(E.h, &g, &gr, &err), &err, CENV_TABLE_NOT_FOUND, "dropme");

    /* DROP IF EXISTS of a missing table: DROPPED at once, no operation id */
    csc_table_request_t ie = { .statement = "DROP TABLE IF EXISTS dropme" };
    table_request(&ie, &res);
    ck_assert_int_eq(res.state, CSC_TABLE_DROPPED);
    ck_assert_ptr_null(res.operation_id);
    csc_table_result_free(&res);
    /* without IF EXISTS: TABLE_NOT_FOUND */
    expect_ddl_fails("DROP TABLE dropme", NULL, CENV_TABLE_NOT_FOUND, "dropme");

    /* the name can be used again: a new table (new OCID), no old rows */
    cenv_ddl(E.h, ddl, &LIM, NULL);
    char *ocid2 = senv_table_ocid(E.h, "dropme");
    ck_assert_str_ne(ocid, ocid2);
    json_t *row = cenv_get(E.h, "dropme", "{\"id\": 1}", NULL);
    ck_assert_msg(row == NULL, "a row of the dropped table came back");
    json_decref(key);
    free(ocid);
    free(ocid2);
}
END_TEST

START_TEST(test_get_table_operation_id)
{
    senv_start(&E, NULL);
    csc_table_request_t req = { .statement = "CREATE TABLE op(id INTEGER, PRIMARY KEY(id))",
                                .limits = &LIM };
    csc_table_result_t res, gt;
    table_request(&req, &res);
    ck_assert_int_eq(res.state, CSC_TABLE_CREATING);
    char *create_od = strdup(res.operation_id);
    csc_table_result_free(&res);

    /* GetTable with the operation id: the terminal state */
    csc_get_table_request_t g = { .table_name = "op", .operation_id = create_od };
    csc_error_t err;
    ck_assert_int_eq(csc_get_table(E.h, &g, &gt, &err), CS_OK);
    ck_assert_int_eq(gt.state, CSC_TABLE_ACTIVE);
    ck_assert_str_eq(gt.table_name, "op");
    csc_table_result_free(&gt);

    /* borneo get_table.py testGetTableWithOperationId: DROPPING or DROPPED */
    csc_table_request_t drop = { .statement = "DROP TABLE IF EXISTS op" };
    table_request(&drop, &res);
    ck_assert_int_eq(res.state, CSC_TABLE_DROPPING);
    csc_get_table_request_t gd = { .table_name = "op", .operation_id = res.operation_id };
    ck_assert_int_eq(csc_get_table(E.h, &gd, &gt, &err), CS_OK);
    ck_assert_msg(gt.state == CSC_TABLE_DROPPED || gt.state == CSC_TABLE_DROPPING, "state %d",
                  gt.state);
    ck_assert_str_eq(gt.table_name, "op");
    csc_table_result_free(&gt);
    csc_table_result_free(&res);

    /* a plain GetTable of the dropped table: TABLE_NOT_FOUND */
    expect_no_table("op");
    /* GetTable needs a table name (the client refuses to send without one) */
    csc_get_table_request_t none = { 0 };
    ck_assert_int_eq(csc_get_table(E.h, &none, &gt, &err), CS_EINVAL);
    free(create_od);
}
END_TEST

/* ------------------------------------------------------------------------
 * ALTER TABLE
 * ------------------------------------------------------------------------ */

START_TEST(test_alter_table)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE alt(id INTEGER, a STRING, b INTEGER, PRIMARY KEY(id))", &LIM,
             NULL);
    cenv_put(E.h, "alt", "{\"id\": 1, \"a\": \"x\", \"b\": 2}", NULL);

    /* ALTER with limits: refused (borneo testTableRequestAlterTable) */
    expect_ddl_fails("ALTER TABLE alt (ADD c STRING)", &LIM, CENV_ILLEGAL_ARGUMENT, "limits");

    /* ADD a column with a default: UPDATING then ACTIVE; old rows show the default */
    csc_table_request_t add = { .statement = "ALTER TABLE alt (ADD c STRING DEFAULT 'dflt')" };
    csc_table_result_t res;
    table_request(&add, &res);
    ck_assert_str_eq(res.table_name, "alt");
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "alt", &res);
    json_t *s = schema_of(&res);
    char names[128];
    field_names(s, names, sizeof names);
    ck_assert_str_eq(names, "id,a,b,c");
    json_decref(s);
    csc_table_result_free(&res);
    json_t *row = cenv_get(E.h, "alt", "{\"id\": 1}", NULL);
    ck_assert_msg(cenv_json_eq(row, "{\"id\":1,\"a\":\"x\",\"b\":2,\"c\":\"dflt\"}"), "%s",
                  json_dumps(row, JSON_COMPACT));
    json_decref(row);

    /* DROP a column: gone from the schema and from the rows */
    cenv_ddl(E.h, "ALTER TABLE alt (DROP b)", NULL, &res);
    s = schema_of(&res);
    field_names(s, names, sizeof names);
    ck_assert_str_eq(names, "id,a,c");
    json_decref(s);
    csc_table_result_free(&res);
    row = cenv_get(E.h, "alt", "{\"id\": 1}", NULL);
    ck_assert_msg(cenv_json_eq(row, "{\"id\":1,\"a\":\"x\",\"c\":\"dflt\"}"), "%s",
                  json_dumps(row, JSON_COMPACT));
    json_decref(row);

    /* TTL (borneo testTableRequestAlterTableTTL) */
    csc_table_request_t ttl = { .statement = "ALTER TABLE alt USING TTL 16 HOURS" };
    table_request(&ttl, &res);
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "alt", &res);
    s = schema_of(&res);
    ck_assert_str_eq(json_string_value(json_object_get(s, "ttl")), "16 HOURS");
    json_decref(s);
    csc_table_result_free(&res);

    /* what ALTER refuses */
    expect_ddl_fails("ALTER TABLE alt (DROP id)", NULL, CENV_ILLEGAL_ARGUMENT, "id");
    expect_ddl_fails("ALTER TABLE alt (ADD a INTEGER)", NULL, CENV_ILLEGAL_ARGUMENT, "a");
    expect_ddl_fails("ALTER TABLE alt (DROP nosuch)", NULL, CENV_ILLEGAL_ARGUMENT, "nosuch");
    expect_ddl_fails("ALTER TABLE alt (ADD z STRING NOT NULL)", NULL, CENV_ILLEGAL_ARGUMENT,
                     "z");
    expect_ddl_fails("ALTER TABLE nosuch (ADD x INTEGER)", NULL, CENV_TABLE_NOT_FOUND,
                     "nosuch");
    /* none of those changed the table */
    cenv_get_table(E.h, "alt", &res);
    s = schema_of(&res);
    field_names(s, names, sizeof names);
    ck_assert_str_eq(names, "id,a,c");
    json_decref(s);
    csc_table_result_free(&res);
}
END_TEST

/* ------------------------------------------------------------------------
 * CREATE / DROP INDEX, GetIndexes
 * ------------------------------------------------------------------------ */

START_TEST(test_indexes)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE ix(id INTEGER, name STRING, age INTEGER, j JSON, "
                  "r RECORD(x STRING), PRIMARY KEY(id))", &LIM, NULL);
    ck_assert(index_list_is("ix", ""));

    csc_table_request_t req = { .statement = "CREATE INDEX idx_name ON ix(name)" };
    csc_table_result_t res;
    table_request(&req, &res);
    ck_assert_str_eq(res.table_name, "ix");
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);
    cenv_ddl(E.h, "CREATE INDEX idx_age_name ON ix(age, name)", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX idx_rx ON ix(r.x)", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX idx_j ON ix(j.a.b AS STRING)", NULL, NULL);

    /* all, in creation order, with their fields */
    ck_assert(index_list_is("ix", "idx_name(name);idx_age_name(age,name);idx_rx(r.x);"
                                  "idx_j(j.a.b)"));
    /* one; the JSON index reports its declared type */
    csc_get_indexes_request_t one = { .table_name = "ix", .index_name = "idx_j" };
    csc_get_indexes_result_t ir;
    csc_error_t err;
    ck_assert_int_eq(csc_get_indexes(E.h, &one, &ir, &err), CS_OK);
    ck_assert_uint_eq(ir.num_indexes, 1);
    ck_assert_str_eq(ir.indexes[0].index_name, "idx_j");
    ck_assert_uint_eq(ir.indexes[0].num_fields, 1);
    ck_assert_ptr_nonnull(ir.indexes[0].field_types[0]);
    ck_assert_str_eq(ir.indexes[0].field_types[0], "STRING");
    csc_get_indexes_result_free(&ir);
    /* missing index, missing table */
    csc_get_indexes_request_t missing = { .table_name = "ix", .index_name = "nosuch" };
    CENV_FAILS(csc_get_indexes(E.h, &missing, &ir, &err), &err, CENV_INDEX_NOT_FOUND, "nosuch");
    csc_get_indexes_request_t notable = { .table_name = "nosuch" };
    CENV_FAILS(csc_get_indexes(E.h, &notable, &ir, &err), &err, CENV_TABLE_NOT_FOUND, "nosuch");

    /* INDEX_EXISTS; IF NOT EXISTS leaves the existing index alone */
    expect_ddl_fails("CREATE INDEX idx_name ON ix(age)", NULL, CENV_INDEX_EXISTS, "idx_name");
    csc_table_request_t ine = { .statement = "CREATE INDEX IF NOT EXISTS idx_name ON ix(age)" };
    table_request(&ine, &res);
    ck_assert_msg(res.state == CSC_TABLE_ACTIVE || res.state == CSC_TABLE_UPDATING, "state %d",
                  res.state);
    csc_table_result_free(&res);
    ck_assert(index_list_is("ix", "idx_name(name);idx_age_name(age,name);idx_rx(r.x);"
                                  "idx_j(j.a.b)"));

    /* a field that does not exist; a missing table */
    expect_ddl_fails("CREATE INDEX bad ON ix(nosuch)", NULL, CENV_ILLEGAL_ARGUMENT, "nosuch");
    expect_ddl_fails("CREATE INDEX bad ON nosuch(x)", NULL, CENV_TABLE_NOT_FOUND, "nosuch");
    ck_assert(index_list_is("ix", "idx_name(name);idx_age_name(age,name);idx_rx(r.x);"
                                  "idx_j(j.a.b)"));

    /* DROP INDEX: UPDATING then ACTIVE; names are case-insensitive */
    csc_table_request_t drop = { .statement = "DROP INDEX IDX_NAME ON ix" };
    table_request(&drop, &res);
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    ck_assert(index_list_is("ix", "idx_age_name(age,name);idx_rx(r.x);idx_j(j.a.b)"));
    expect_ddl_fails("DROP INDEX idx_name ON ix", NULL, CENV_INDEX_NOT_FOUND, "idx_name");
    cenv_ddl(E.h, "DROP INDEX IF EXISTS idx_name ON ix", NULL, NULL);
    expect_ddl_fails("DROP INDEX idx_rx ON nosuch", NULL, CENV_TABLE_NOT_FOUND, "nosuch");
    cenv_ddl(E.h, "DROP INDEX idx_rx ON ix", NULL, NULL);
    ck_assert(index_list_is("ix", "idx_age_name(age,name);idx_j(j.a.b)"));
}
END_TEST

/* Index paths are checked beyond their first step, as the service does
 * (IndexImpl: "Invalid index field definition"). */
START_TEST(test_index_field_errors)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE ix(id INTEGER, j JSON, r RECORD(x STRING), m MAP(INTEGER), "
                  "a ARRAY(STRING), bin BINARY, PRIMARY KEY(id))", &LIM, NULL);
    /* what is accepted */
    cenv_ddl(E.h, "CREATE INDEX ok1 ON ix(r.x)", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX ok2 ON ix(m.keys())", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX ok3 ON ix(a[])", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX ok4 ON ix(j.p.q AS INTEGER)", NULL, NULL);
    /* a step that does not exist inside a RECORD */
    expect_ddl_fails("CREATE INDEX bad ON ix(r.nosuch)", NULL, CENV_ILLEGAL_ARGUMENT, "nosuch");
    /* a JSON path without AS type */
    expect_ddl_fails("CREATE INDEX bad ON ix(j.a)", NULL, CENV_ILLEGAL_ARGUMENT, "j.a");
    /* a field whose type cannot be indexed */
    expect_ddl_fails("CREATE INDEX bad ON ix(bin)", NULL, CENV_ILLEGAL_ARGUMENT, "bin");
    expect_ddl_fails("CREATE INDEX bad ON ix(r)", NULL, CENV_ILLEGAL_ARGUMENT, "r");
    ck_assert(index_list_is("ix", "ok1(r.x);ok2(m.keys());ok3(a[]);ok4(j.p.q)"));
}
END_TEST

/* ------------------------------------------------------------------------
 * limits, tags, etags, change streaming
 * ------------------------------------------------------------------------ */

START_TEST(test_limits)
{
    senv_start(&E, NULL);
    const char *ddl = "CREATE TABLE lim(id INTEGER, PRIMARY KEY(id))";
    /* borneo table_limits.py testTableLimitsNegativeValues */
    const csc_table_limits_t bad[] = {
        { -1, 10, 1, 1 }, { 0, 10, 1, 1 }, { 30, -1, 1, 1 },
        { 30, 0, 1, 1 }, { 30, 10, -1, 1 }, { 30, 10, 0, 1 }, { 30, 10, 1, 3 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_ddl_fails(ddl, &bad[i], CENV_ILLEGAL_ARGUMENT, NULL);
        expect_no_table("lim");
    }

    csc_table_limits_t l1 = { 10, 20, 1, CSC_LIMITS_PROVISIONED };
    csc_table_result_t res;
    cenv_ddl(E.h, ddl, &l1, &res);
    expect_limits(&res, 10, 20, 1, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);

    /* change: name + limits only; UPDATING, then ACTIVE with the new limits */
    csc_table_limits_t l2 = { 30, 40, 2, CSC_LIMITS_PROVISIONED };
    csc_table_request_t chg = { .table_name = "lim", .limits = &l2 };
    table_request(&chg, &res);
    ck_assert_str_eq(res.table_name, "lim");
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    expect_limits(&res, 30, 40, 2, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "lim", &res);
    expect_limits(&res, 30, 40, 2, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);

    /* bad new limits: refused, the old ones stay */
    csc_error_t err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        csc_table_request_t b = { .table_name = "lim", .limits = &bad[i] };
        CENV_FAILS(csc_table_request(E.h, &b, &res, &err), &err, CENV_ILLEGAL_ARGUMENT, "");
    }
    cenv_get_table(E.h, "lim", &res);
    expect_limits(&res, 30, 40, 2, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);

    /* to on-demand: the service reports 2147483646 units (table_request.py) */
    csc_table_limits_t od = { 0, 0, 5, CSC_LIMITS_ON_DEMAND };
    csc_table_request_t to_od = { .table_name = "lim", .limits = &od };
    ck_assert_int_eq(csc_do_table_request(E.h, &to_od, 10000, 50, &res, &err), CS_OK);
    expect_limits(&res, 2147483646, 2147483646, 5, CSC_LIMITS_ON_DEMAND);
    csc_table_result_free(&res);

    /* created on demand */
    csc_table_limits_t od1 = { 0, 0, 1, CSC_LIMITS_ON_DEMAND };
    cenv_ddl(E.h, "CREATE TABLE lim_od(id INTEGER, PRIMARY KEY(id))", &od1, &res);
    expect_limits(&res, 2147483646, 2147483646, 1, CSC_LIMITS_ON_DEMAND);
    csc_table_result_free(&res);
    /* ALTER of an on-demand table keeps its limits */
    cenv_ddl(E.h, "ALTER TABLE lim_od (ADD x STRING)", NULL, &res);
    expect_limits(&res, 2147483646, 2147483646, 1, CSC_LIMITS_ON_DEMAND);
    csc_table_result_free(&res);

    /* limits of a missing table; a request with a name and nothing to change */
    csc_table_request_t missing = { .table_name = "nosuch", .limits = &l2 };
    CENV_FAILS(csc_table_request(E.h, &missing, &res, &err), &err, CENV_TABLE_NOT_FOUND,
               "nosuch");
    csc_table_request_t nothing = { .table_name = "lim" };
    CENV_FAILS(csc_table_request(E.h, &nothing, &res, &err), &err, CENV_ILLEGAL_ARGUMENT, "");
}
END_TEST

START_TEST(test_tags_and_etag)
{
    senv_start(&E, NULL);
    json_t *ff = cenv_json("{\"team\": \"blue\", \"env\": \"dev\"}");
    json_t *dt = cenv_json("{\"ops\": {\"owner\": \"jane\"}}");
    csc_table_request_t req = { .statement = "CREATE TABLE tg(id INTEGER, a STRING, "
                                             "PRIMARY KEY(id))",
                                .limits = &LIM, .free_form_tags = ff, .defined_tags = dt };
    csc_table_result_t res;
    csc_error_t err;
    ck_assert_int_eq(csc_do_table_request(E.h, &req, 10000, 50, &res, &err), CS_OK);
    csc_table_result_free(&res);

    /* GetTable returns the tags as JSON (borneo parses them with json.loads) */
    cenv_get_table(E.h, "tg", &res);
    ck_assert_ptr_nonnull(res.free_form_tags);
    ck_assert_ptr_nonnull(res.defined_tags);
    json_t *have = cenv_json(res.free_form_tags);
    ck_assert(json_equal(have, ff));
    json_decref(have);
    have = cenv_json(res.defined_tags);
    ck_assert(json_equal(have, dt));
    json_decref(have);
    ck_assert_msg(res.match_etag && *res.match_etag, "no etag");
    char *etag1 = strdup(res.match_etag);
    csc_table_result_free(&res);

    /* change the free-form tags alone */
    json_t *ff2 = cenv_json("{\"team\": \"red\"}");
    csc_table_request_t tags = { .table_name = "tg", .free_form_tags = ff2 };
    table_request(&tags, &res);
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "tg", &res);
    have = cenv_json(res.free_form_tags);
    ck_assert(json_equal(have, ff2));
    json_decref(have);
    have = cenv_json(res.defined_tags);
    ck_assert(json_equal(have, dt));
    json_decref(have);
    /* any change gives a new etag */
    ck_assert_str_ne(res.match_etag, etag1);
    char *etag2 = strdup(res.match_etag);
    csc_table_result_free(&res);

    /* a stale etag: ETAG_MISMATCH, nothing changed */
    csc_table_request_t stale = { .statement = "ALTER TABLE tg (ADD b STRING)",
                                  .match_etag = etag1 };
    CENV_FAILS(csc_table_request(E.h, &stale, &res, &err), &err, CENV_ETAG_MISMATCH, "");
    csc_table_limits_t l2 = { 5, 5, 1, CSC_LIMITS_PROVISIONED };
    csc_table_request_t stale_lim = { .table_name = "tg", .limits = &l2, .match_etag = etag1 };
    CENV_FAILS(csc_table_request(E.h, &stale_lim, &res, &err), &err, CENV_ETAG_MISMATCH, "");
    csc_table_request_t stale_drop = { .statement = "DROP TABLE tg", .match_etag = etag1 };
    CENV_FAILS(csc_table_request(E.h, &stale_drop, &res, &err), &err, CENV_ETAG_MISMATCH, "");
    cenv_get_table(E.h, "tg", &res);
    ck_assert_str_eq(res.match_etag, etag2);
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    json_t *s = schema_of(&res);
    ck_assert_ptr_null(field_of(s, "b"));
    json_decref(s);
    csc_table_result_free(&res);

    /* the current etag is accepted */
    csc_table_request_t fresh = { .statement = "ALTER TABLE tg (ADD b STRING)",
                                  .match_etag = etag2 };
    ck_assert_int_eq(csc_do_table_request(E.h, &fresh, 10000, 50, &res, &err), CS_OK);
    csc_table_result_free(&res);
    cenv_get_table(E.h, "tg", &res);
    s = schema_of(&res);
    ck_assert_ptr_nonnull(field_of(s, "b"));
    json_decref(s);
    char *etag3 = strdup(res.match_etag);
    csc_table_result_free(&res);
    csc_table_request_t drop = { .statement = "DROP TABLE tg", .match_etag = etag3 };
    ck_assert_int_eq(csc_do_table_request(E.h, &drop, 10000, 50, &res, &err), CS_OK);
    ck_assert_int_eq(res.state, CSC_TABLE_DROPPED);
    csc_table_result_free(&res);
    expect_no_table("tg");

    json_decref(ff);
    json_decref(ff2);
    json_decref(dt);
    free(etag1);
    free(etag2);
    free(etag3);
}
END_TEST

START_TEST(test_change_streaming)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE cs(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    ck_assert(!admin_streaming("cs"));

    /* enable: UPDATING with an operation id, then ACTIVE */
    csc_table_request_t on = { .table_name = "cs", .change_streaming = CSC_STREAMING_ENABLE };
    csc_table_result_t res;
    table_request(&on, &res);
    ck_assert_str_eq(res.table_name, "cs");
    expect_transition(&res, CSC_TABLE_UPDATING, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    ck_assert(admin_streaming("cs"));

    /* disable through the SDK-style call (request + wait) */
    csc_error_t err;
    ck_assert_int_eq(csc_enable_change_streaming(E.h, "cs", false, 10000, &res, &err), CS_OK);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    ck_assert(!admin_streaming("cs"));

    /* the table is otherwise unchanged and still usable */
    cenv_put(E.h, "cs", "{\"id\": 1}", NULL);
    cenv_get_table(E.h, "cs", &res);
    expect_limits(&res, 50, 50, 1, CSC_LIMITS_PROVISIONED);
    csc_table_result_free(&res);

    CENV_FAILS(csc_enable_change_streaming(E.h, "nosuch", true, 10000, &res, &err), &err,
               CENV_TABLE_NOT_FOUND, "nosuch");
}
END_TEST

/* ------------------------------------------------------------------------
 * DDL errors and names
 * ------------------------------------------------------------------------ */

/* The message of a syntax error names where it is: "at (LINE, COL)". */
static void expect_syntax_error_at(const char *stmt, int line, int col, const char *needle)
{
    char where[32];
    snprintf(where, sizeof where, "(%d, %d)", line, col);
    expect_ddl_fails(stmt, &LIM, CENV_ILLEGAL_ARGUMENT, where);
    if (needle)
        expect_ddl_fails(stmt, &LIM, CENV_ILLEGAL_ARGUMENT, needle);
}

START_TEST(test_ddl_errors)
{
    senv_start(&E, NULL);
    const char *s1 = "CREATE TABLE t(id INTEGER, name STRNG, PRIMARY KEY(id))";
    expect_syntax_error_at(s1, 1, (int)(strstr(s1, "STRNG") - s1), "STRNG");
    expect_syntax_error_at("CREATE TABLE t(\n  id INTEGER,\n  name STRING\n  PRIMARY KEY(id))",
                           4, 2, "PRIMARY");
    expect_syntax_error_at("CREAT TABLE t(id INTEGER, PRIMARY KEY(id))", 1, 0, "CREAT");
    const char *s4 = "CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 5 WEEKS";
    expect_syntax_error_at(s4, 1, (int)(strstr(s4, "WEEKS") - s4), "WEEKS");
    /* a table needs a primary key on existing, keyable columns */
    expect_ddl_fails("CREATE TABLE t(id INTEGER)", &LIM, CENV_ILLEGAL_ARGUMENT, NULL);
    expect_ddl_fails("CREATE TABLE t(id INTEGER, PRIMARY KEY(nosuch))", &LIM,
                     CENV_ILLEGAL_ARGUMENT, "nosuch");
    expect_ddl_fails("CREATE TABLE t(id JSON, PRIMARY KEY(id))", &LIM, CENV_ILLEGAL_ARGUMENT,
                     "id");
    expect_ddl_fails("CREATE TABLE t(id INTEGER, id STRING, PRIMARY KEY(id))", &LIM,
                     CENV_ILLEGAL_ARGUMENT, "id");
    /* defaults must fit their type; one identity per table */
    expect_ddl_fails("CREATE TABLE t(id INTEGER, e ENUM(a, b) DEFAULT c, PRIMARY KEY(id))",
                     &LIM, CENV_ILLEGAL_ARGUMENT, "c");
    expect_ddl_fails("CREATE TABLE t(id INTEGER, n INTEGER DEFAULT 'x', PRIMARY KEY(id))",
                     &LIM, CENV_ILLEGAL_ARGUMENT, "n");
    expect_ddl_fails("CREATE TABLE t(id INTEGER GENERATED ALWAYS AS IDENTITY, "
                     "x LONG GENERATED ALWAYS AS IDENTITY, PRIMARY KEY(id))", &LIM,
                     CENV_ILLEGAL_ARGUMENT, "identity");
    expect_ddl_fails("CREATE TABLE t(id INTEGER, ts TIMESTAMP(10), PRIMARY KEY(id))", &LIM,
                     CENV_ILLEGAL_ARGUMENT, NULL);
    expect_ddl_fails("CREATE TABLE 1t(id INTEGER, PRIMARY KEY(id))", &LIM, CENV_ILLEGAL_ARGUMENT,
                     "(1, 13)");
    /* not DDL at all */
    expect_ddl_fails("SELECT * FROM t", NULL, CENV_ILLEGAL_ARGUMENT, NULL);
    /* none of them made a table */
    expect_no_table("t");
    char list[64];
    list_tables(E.h, 0, 0, list, sizeof list, NULL);
    ck_assert_str_eq(list, "");

    /* statements the cloud has no use for */
    csc_table_request_t ns = { .statement = "CREATE NAMESPACE ns1" };
    csc_table_result_t res;
    csc_error_t err;
    CENV_FAILS(csc_table_request(E.h, &ns, &res, &err), &err, CENV_OPERATION_NOT_SUPPORTED, "");
    /* an empty statement */
    csc_table_request_t empty = { .statement = "" };
    CENV_FAILS(csc_table_request(E.h, &empty, &res, &err), &err, CENV_ILLEGAL_ARGUMENT, "");
}
END_TEST

/* The service's identifier limits (TableImpl): table names up to 256
 * characters (MAX_ID_LENGTH), field names up to 64 (MAX_NAME_LENGTH). */
START_TEST(test_name_lengths)
{
    senv_start(&E, NULL);
    char ddl[1024], name[300];
    memset(name, 'f', 65);
    name[65] = '\0';
    snprintf(ddl, sizeof ddl, "CREATE TABLE t(id INTEGER, %s STRING, PRIMARY KEY(id))", name);
    expect_ddl_fails(ddl, &LIM, CENV_ILLEGAL_ARGUMENT, NULL);
    name[64] = '\0';
    snprintf(ddl, sizeof ddl, "CREATE TABLE t(id INTEGER, %s STRING, PRIMARY KEY(id))", name);
    cenv_ddl(E.h, ddl, &LIM, NULL);

    memset(name, 'n', 257);
    name[257] = '\0';
    snprintf(ddl, sizeof ddl, "CREATE TABLE %s(id INTEGER, PRIMARY KEY(id))", name);
    expect_ddl_fails(ddl, &LIM, CENV_ILLEGAL_ARGUMENT, NULL);
    name[256] = '\0';
    snprintf(ddl, sizeof ddl, "CREATE TABLE %s(id INTEGER, PRIMARY KEY(id))", name);
    cenv_ddl(E.h, ddl, &LIM, NULL);
    cenv_put(E.h, name, "{\"id\": 1}", NULL);
    csc_table_result_t res;
    cenv_get_table(E.h, name, &res);
    ck_assert_str_eq(res.table_name, name);
    csc_table_result_free(&res);
}
END_TEST

START_TEST(test_case_insensitive_names)
{
    senv_start(&E, NULL);
    csc_table_result_t res;
    cenv_ddl(E.h, "CREATE TABLE MixedCase(Id INTEGER, Name STRING, PRIMARY KEY(Id))", &LIM,
             &res);
    ck_assert_str_eq(res.table_name, "MixedCase");
    csc_table_result_free(&res);

    /* found under any case, reported as created */
    cenv_get_table(E.h, "mixedcase", &res);
    ck_assert_str_eq(res.table_name, "MixedCase");
    csc_table_result_free(&res);
    expect_ddl_fails("CREATE TABLE MIXEDCASE(x INTEGER, PRIMARY KEY(x))", &LIM, CENV_TABLE_EXISTS,
                     "MixedCase");
    char list[128];
    list_tables(E.h, 0, 0, list, sizeof list, NULL);
    ck_assert_str_eq(list, "MixedCase");

    /* columns match case-insensitively and come back as declared */
    cenv_put(E.h, "MIXEDCASE", "{\"ID\": 1, \"name\": \"x\"}", NULL);
    json_t *row = cenv_get(E.h, "mixedCASE", "{\"id\": 1}", NULL);
    ck_assert_msg(cenv_json_eq(row, "{\"Id\": 1, \"Name\": \"x\"}"), "%s",
                  json_dumps(row, JSON_COMPACT));
    json_decref(row);

    /* DDL in any case */
    cenv_ddl(E.h, "CREATE TABLE mixedcase.Kid(k INTEGER, PRIMARY KEY(k))", NULL, NULL);
    cenv_get_table(E.h, "MIXEDCASE.KID", &res);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
    cenv_ddl(E.h, "create index IX on MIXEDCASE(NAME)", NULL, NULL);
    ck_assert(index_list_is("mixedcase", "IX(NAME)") || index_list_is("mixedcase", "IX(Name)"));
    cenv_ddl(E.h, "drop table mixedCase.kid", NULL, NULL);
    cenv_ddl(E.h, "DROP TABLE MIXEDCASE", NULL, NULL);
    expect_no_table("MixedCase");
}
END_TEST

/* A child's full name is its parent's name (as created) + "." + its own, as
 * in the service (TableImpl.getFullName), whatever case the DDL used. */
START_TEST(test_child_name_takes_parent_case)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE MixedCase(Id INTEGER, PRIMARY KEY(Id))", &LIM, NULL);
    csc_table_result_t res;
    cenv_ddl(E.h, "CREATE TABLE mixedcase.Kid(k INTEGER, PRIMARY KEY(k))", NULL, &res);
    ck_assert_str_eq(res.table_name, "MixedCase.Kid");
    csc_table_result_free(&res);
    cenv_get_table(E.h, "MIXEDCASE.KID", &res);
    ck_assert_str_eq(res.table_name, "MixedCase.Kid");
    csc_table_result_free(&res);
    char list[128];
    list_tables(E.h, 0, 0, list, sizeof list, NULL);
    ck_assert_str_eq(list, "MixedCase,MixedCase.Kid");
}
END_TEST

/* ------------------------------------------------------------------------
 * ListTables, TableUsage
 * ------------------------------------------------------------------------ */

START_TEST(test_list_tables)
{
    senv_start(&E, NULL);
    char list[256];
    int li = -1;
    list_tables(E.h, 0, 0, list, sizeof list, &li);
    ck_assert_str_eq(list, "");
    ck_assert_int_eq(li, 0);

    const char *names[] = { "lt_c", "lt_a", "lt_e", "lt_b", "lt_d" };
    for (size_t i = 0; i < 5; i++) {
        char ddl[128];
        snprintf(ddl, sizeof ddl, "CREATE TABLE %s(id INTEGER, PRIMARY KEY(id))", names[i]);
        cenv_ddl(E.h, ddl, &LIM, NULL);
    }
    cenv_ddl(E.h, "CREATE TABLE lt_a.kid(k INTEGER, PRIMARY KEY(k))", NULL, NULL);

    /* everything, in name order */
    list_tables(E.h, 0, 0, list, sizeof list, &li);
    ck_assert_str_eq(list, "lt_a,lt_a.kid,lt_b,lt_c,lt_d,lt_e");
    ck_assert_int_eq(li, 6);
    /* from a start index (list_tables.py testListTablesWithStartIndex) */
    list_tables(E.h, 1, 0, list, sizeof list, &li);
    ck_assert_str_eq(list, "lt_a.kid,lt_b,lt_c,lt_d,lt_e");
    ck_assert_int_eq(li, 6);
    /* pages of 2, each starting at the last returned index */
    const char *pages[] = { "lt_a,lt_a.kid", "lt_b,lt_c", "lt_d,lt_e", "" };
    int start = 0;
    for (size_t p = 0; p < 4; p++) {
        list_tables(E.h, start, 2, list, sizeof list, &li);
        ck_assert_msg(strcmp(list, pages[p]) == 0, "page %zu: \"%s\", want \"%s\"", p, list,
                      pages[p]);
        if (p < 3)
            ck_assert_int_eq(li, start + 2);
        start = li;
    }
    /* past the end */
    list_tables(E.h, 100, 0, list, sizeof list, &li);
    ck_assert_str_eq(list, "");
    /* dropped tables leave the list */
    cenv_ddl(E.h, "DROP TABLE lt_c", NULL, NULL);
    list_tables(E.h, 0, 0, list, sizeof list, &li);
    ck_assert_str_eq(list, "lt_a,lt_a.kid,lt_b,lt_d,lt_e");
}
END_TEST

START_TEST(test_table_usage)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE tu(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    cenv_put(E.h, "tu", "{\"id\": 1}", NULL);
    csc_table_usage_request_t req = { .table_name = "tu" };
    csc_table_usage_result_t res;
    csc_error_t err;
    ck_assert_int_eq(csc_get_table_usage(E.h, &req, &res, &err), CS_OK);
    ck_assert_str_eq(res.table_name, "tu");
    ck_assert_uint_le(res.num_records, 1);
    for (size_t i = 0; i < res.num_records; i++) {
        ck_assert_ptr_nonnull(res.records[i].start_time);
        ck_assert_int_gt(res.records[i].seconds_in_period, 0);
        ck_assert_int_ge(res.records[i].read_units, 0);
        ck_assert_int_ge(res.records[i].write_units, 0);
        ck_assert_int_eq(res.records[i].read_throttle_count, 0);
    }
    csc_table_usage_result_free(&res);
    csc_table_usage_request_t missing = { .table_name = "nosuch" };
    CENV_FAILS(csc_get_table_usage(E.h, &missing, &res, &err), &err, CENV_TABLE_NOT_FOUND,
               "nosuch");
}
END_TEST

/* ------------------------------------------------------------------------
 * restart
 * ------------------------------------------------------------------------ */

/* Everything GetTable shows about a table, as one comparable string. */
static char *table_fingerprint(const char *name)
{
    csc_table_result_t r;
    cenv_get_table(E.h, name, &r);
    char *s = NULL;
    ck_assert_int_ge(asprintf(&s, "%s|%d|%s|%s|%s|%d/%d/%d/%d|%s|%s|%s", r.table_name, r.state,
                              r.table_id, r.ddl ? r.ddl : "-", r.schema,
                              r.limits.read_units, r.limits.write_units, r.limits.storage_gb,
                              r.limits.mode, r.free_form_tags ? r.free_form_tags : "-",
                              r.defined_tags ? r.defined_tags : "-",
                              r.match_etag ? r.match_etag : "-"),
                     0);
    csc_table_result_free(&r);
    return s;
}

START_TEST(test_restart_keeps_tables)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, EVERY_TYPE_DDL, &LIM, NULL);
    json_t *ff = cenv_json("{\"k\": \"v\"}");
    csc_table_limits_t od = { 0, 0, 3, CSC_LIMITS_ON_DEMAND };
    csc_table_request_t req = { .statement = "CREATE TABLE p(id INTEGER, x STRING, "
                                             "PRIMARY KEY(id)) USING TTL 2 DAYS",
                                .limits = &od, .free_form_tags = ff };
    csc_table_result_t res;
    csc_error_t err;
    ck_assert_int_eq(csc_do_table_request(E.h, &req, 10000, 50, &res, &err), CS_OK);
    csc_table_result_free(&res);
    cenv_ddl(E.h, "CREATE TABLE p.c(cid INTEGER, PRIMARY KEY(cid))", NULL, NULL);
    cenv_ddl(E.h, "ALTER TABLE p (ADD y INTEGER DEFAULT 3)", NULL, NULL);
    cenv_ddl(E.h, "ALTER TABLE p (DROP x)", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX iy ON p(y)", NULL, NULL);
    cenv_ddl(E.h, "CREATE INDEX ie ON Everything(e, s)", NULL, NULL);
    senv_streaming(E.h, "p", true);
    cenv_ddl(E.h, "CREATE TABLE gone(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    cenv_ddl(E.h, "DROP TABLE gone", NULL, NULL);

    const char *tables[] = { "Everything", "p", "p.c" };
    char *before[3];
    for (size_t i = 0; i < 3; i++)
        before[i] = table_fingerprint(tables[i]);
    char list_before[256];
    list_tables(E.h, 0, 0, list_before, sizeof list_before, NULL);

    senv_restart(&E);

    for (size_t i = 0; i < 3; i++) {
        char *after = table_fingerprint(tables[i]);
        ck_assert_msg(strcmp(before[i], after) == 0, "%s changed across restart:\n%s\n%s",
                      tables[i], before[i], after);
        free(after);
        free(before[i]);
    }
    char list_after[256];
    list_tables(E.h, 0, 0, list_after, sizeof list_after, NULL);
    ck_assert_str_eq(list_after, list_before);
    ck_assert_str_eq(list_after, "Everything,p,p.c");
    expect_no_table("gone");
    ck_assert(index_list_is("p", "iy(y)"));
    ck_assert(index_list_is("Everything", "ie(e,s)"));
    ck_assert(admin_streaming("p"));
    ck_assert(!admin_streaming("Everything"));

    /* DDL keeps working after the restart, and new tables get new OCIDs */
    char *old_ocid = senv_table_ocid(E.h, "p");
    expect_ddl_fails(EVERY_TYPE_DDL, &LIM, CENV_TABLE_EXISTS, "Everything");
    expect_ddl_fails("DROP TABLE p", NULL, CENV_ILLEGAL_ARGUMENT, "child");
    cenv_ddl(E.h, "CREATE TABLE gone(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    char *new_ocid = senv_table_ocid(E.h, "gone");
    ck_assert_str_ne(old_ocid, new_ocid);
    char *e_ocid = senv_table_ocid(E.h, "Everything");
    ck_assert_str_ne(e_ocid, new_ocid);
    cenv_ddl(E.h, "DROP INDEX iy ON p", NULL, NULL);
    ck_assert(index_list_is("p", ""));
    free(old_ocid);
    free(new_ocid);
    free(e_ocid);
    json_decref(ff);
}
END_TEST

static Suite *client_tables_suite(void)
{
    Suite *s = suite_create("client_tables");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_create_every_type);
    tcase_add_test(core, test_create_if_not_exists_and_ttl);
    tcase_add_test(core, test_child_tables);
    tcase_add_test(core, test_drop_table);
    tcase_add_test(core, test_get_table_operation_id);
    tcase_add_test(core, test_alter_table);
    tcase_add_test(core, test_indexes);
    tcase_add_test(core, test_index_field_errors);
    tcase_add_test(core, test_limits);
    tcase_add_test(core, test_tags_and_etag);
    tcase_add_test(core, test_change_streaming);
    tcase_add_test(core, test_case_insensitive_names);
    tcase_add_test(core, test_child_name_takes_parent_case);
    tcase_add_test(core, test_list_tables);
    tcase_add_test(core, test_table_usage);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("Errors");
    tcase_add_checked_fixture(errors, NULL, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, test_ddl_errors);
    tcase_add_test(errors, test_name_lengths);
    suite_add_tcase(s, errors);

    TCase *restart = tcase_create("Restart");
    tcase_add_checked_fixture(restart, NULL, teardown);
    tcase_set_timeout(restart, 60);
    tcase_add_test(restart, test_restart_keeps_tables);
    suite_add_tcase(s, restart);
    return s;
}

int main(void)
{
    setenv("CSEMU_LOG_LEVEL", "error", 0); /* the refused requests are expected */
    return senv_main(client_tables_suite());
}
