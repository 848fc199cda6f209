/*
 * check_schema.c - table schemas: validation of CREATE TABLE as the
 * service does it, child-table key inheritance, ALTER TABLE, the table JSON
 * (against the golden vector and round trips), TTL parsing and expiration.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nson.h"
#include "schema.h"

static schema_t *mk(const char *ddl, const schema_t *parent)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s: %s", ddl, e.msg);
    schema_t *s = schema_create(st, parent, &e);
    ck_assert_msg(s != NULL, "%s: %s", ddl, e.msg);
    ddl_free(st);
    return s;
}

static void mk_fails(const char *ddl, const schema_t *parent, cs_err_t code, const char *frag)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s: %s", ddl, e.msg);
    schema_t *s = schema_create(st, parent, &e);
    ck_assert_msg(s == NULL, "%s accepted", ddl);
    ck_assert_msg(e.code == code, "%s: code %d (%s)", ddl, e.code, e.msg);
    ck_assert_msg(strstr(e.msg, frag) != NULL, "%s: '%s' lacks '%s'", ddl, e.msg, frag);
    ddl_free(st);
}

static schema_t *alter(const schema_t *s, const char *ddl)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s: %s", ddl, e.msg);
    schema_t *n = schema_alter(s, st, &e);
    ck_assert_msg(n != NULL, "%s: %s", ddl, e.msg);
    ddl_free(st);
    return n;
}

static void alter_fails(const schema_t *s, const char *ddl, const char *frag)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s: %s", ddl, e.msg);
    schema_t *n = schema_alter(s, st, &e);
    ck_assert_msg(n == NULL, "%s accepted", ddl);
    ck_assert_msg(strstr(e.msg, frag) != NULL, "%s: '%s' lacks '%s'", ddl, e.msg, frag);
    ddl_free(st);
}

/* to_json -> from_json -> to_json gives the same text */
static void round_trip(const schema_t *s, const char *name)
{
    char *j1 = schema_to_json(s, name);
    ck_assert_ptr_nonnull(j1);
    cs_error_t e = {0};
    schema_t *b = schema_from_json(j1, &e);
    ck_assert_msg(b != NULL, "%s: %s", j1, e.msg);
    char *j2 = schema_to_json(b, name);
    ck_assert_str_eq(j1, j2);
    ck_assert_uint_eq(b->nfields, s->nfields);
    ck_assert_uint_eq(b->npk, s->npk);
    ck_assert_uint_eq(b->nshard, s->nshard);
    ck_assert_int_eq(b->uuid_field, s->uuid_field);
    ck_assert_int_eq(b->has_identity, s->has_identity);
    for (uint32_t i = 0; i < s->nfields; i++) {
        ck_assert_int_eq(b->fields[i].def_nson_len, s->fields[i].def_nson_len);
        if (s->fields[i].def_nson_len)
            ck_assert(memcmp(b->fields[i].def_nson, s->fields[i].def_nson,
                             s->fields[i].def_nson_len) == 0);
    }
    free(j1);
    free(j2);
    schema_free(b);
}

START_TEST(vector_table_json)
{
    schema_t *s = mk("CREATE TABLE users(id INTEGER, sk STRING, name STRING, "
                     "PRIMARY KEY(SHARD(sk), id))", NULL);
    ck_assert_uint_eq(s->nfields, 3);
    ck_assert_uint_eq(s->npk, 2);
    ck_assert_str_eq(schema_pk_name(s, 0), "sk");
    ck_assert_str_eq(schema_pk_name(s, 1), "id");
    ck_assert_uint_eq(s->nshard, 1);
    ck_assert(!s->fields[0].nullable && !s->fields[1].nullable && s->fields[2].nullable);
    char *j = schema_to_json(s, "users");
    /* the schema text of resp-get-table-active, compared as JSON */
    const char *want = "{\"json_version\":1,\"type\":\"table\",\"name\":\"users\","
        "\"shardKey\":[\"sk\"],\"primaryKey\":[\"sk\",\"id\"],\"fields\":[{\"name\":\"id\","
        "\"type\":\"INTEGER\",\"nullable\":false},{\"name\":\"sk\",\"type\":\"STRING\","
        "\"nullable\":false},{\"name\":\"name\",\"type\":\"STRING\",\"nullable\":true}]}";
    json_t *a = json_loads(j, 0, NULL), *b = json_loads(want, 0, NULL);
    ck_assert_msg(a && json_equal(a, b), "%s", j);
    /* the service's key order: fields, primaryKey, shardKey */
    ck_assert_ptr_nonnull(strstr(j, "\"fields\":[{\"name\":\"id\""));
    ck_assert(strstr(j, "\"primaryKey\"") < strstr(j, "\"shardKey\""));
    json_decref(a);
    json_decref(b);
    free(j);
    round_trip(s, "users");
    schema_free(s);
}
END_TEST

START_TEST(child_tables)
{
    schema_t *p = mk("CREATE TABLE users(id INTEGER, sk STRING, name STRING, "
                     "PRIMARY KEY(SHARD(sk), id)) USING TTL 3 DAYS", NULL);
    schema_t *c = mk("CREATE TABLE users.addr(aid INTEGER, city STRING, PRIMARY KEY(aid))", p);
    /* the parent's key columns first, in the parent's key order */
    ck_assert_uint_eq(c->nfields, 4);
    ck_assert_str_eq(c->fields[0].name, "sk");
    ck_assert_str_eq(c->fields[1].name, "id");
    ck_assert_str_eq(c->fields[2].name, "aid");
    ck_assert_str_eq(c->fields[3].name, "city");
    ck_assert_int_eq(c->fields[1].type->kind, DDL_T_INTEGER);
    ck_assert_uint_eq(c->npk, 3);
    ck_assert_str_eq(schema_pk_name(c, 2), "aid");
    ck_assert_uint_eq(c->nshard, 1);
    ck_assert_uint_eq(c->nparent_keys, 2);
    ck_assert_int_eq(c->ttl.value, 0);    /* TTL is not inherited */
    char *j = schema_to_json(c, "users.addr");
    json_t *o = json_loads(j, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(o, "name")), "addr");
    ck_assert_str_eq(json_string_value(json_object_get(o, "parent")), "users");
    ck_assert_uint_eq(json_array_size(json_object_get(o, "shardKey")), 1);
    json_decref(o);
    free(j);
    round_trip(c, "users.addr");
    schema_t *g = mk("CREATE TABLE users.addr.line(n INTEGER, PRIMARY KEY(n))", c);
    ck_assert_uint_eq(g->npk, 4);
    ck_assert_str_eq(g->fields[2].name, "aid");
    ck_assert_uint_eq(g->nshard, 1);
    round_trip(g, "users.addr.line");

    mk_fails("CREATE TABLE users.x(a INTEGER, PRIMARY KEY(SHARD(a)))", p, CS_EINVAL,
             "Child tables cannot have a shard key.");
    mk_fails("CREATE TABLE users.x(id STRING, a INTEGER, PRIMARY KEY(a))", p, CS_EINVAL,
             "already exists in primary key fields of its parent table: id");
    mk_fails("CREATE TABLE users.x(a INTEGER, PRIMARY KEY(id, a))", p, CS_EINVAL,
             "The primary key field already exists: id");
    mk_fails("CREATE TABLE nosuch.x(a INTEGER, PRIMARY KEY(a))", NULL, CS_ENOTABLE,
             "Parent table does not exist: nosuch");
    mk_fails("CREATE TABLE plain(a INTEGER, PRIMARY KEY(a))", p, CS_EINVAL, "not a child");
    schema_free(g);
    schema_free(c);
    schema_free(p);
}
END_TEST

START_TEST(validation)
{
    mk_fails("CREATE TABLE t(a INTEGER, PRIMARY KEY(b))", NULL, CS_EINVAL,
             "Primary key field is not a valid field: b");
    mk_fails("CREATE TABLE t(a JSON, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Field type cannot be part of a primary key: JSON, field name: a");
    mk_fails("CREATE TABLE t(a BINARY, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "cannot be part of a primary key: BINARY");
    mk_fails("CREATE TABLE t(a INTEGER DEFAULT 1, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Primary key fields can not have default values");
    mk_fails("CREATE TABLE t(a INTEGER, b STRING NOT NULL, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Not nullable field b must have a default value");
    mk_fails("CREATE TABLE t(a INTEGER, A STRING, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Cannot add field, A, it already exists");
    mk_fails("CREATE TABLE t(a INTEGER, PRIMARY KEY(a, A))", NULL, CS_EINVAL,
             "The primary key field already exists: A");
    mk_fails("CREATE TABLE t(a STRING, PRIMARY KEY(a(2)))", NULL, CS_EINVAL,
             "Only Integer sizes can be constrained");
    mk_fails("CREATE TABLE t(a INTEGER, e ENUM(x, y, x), PRIMARY KEY(a))", NULL, CS_EINVAL,
             "duplicate symbol x");
    mk_fails("CREATE TABLE t(a INTEGER, r RECORD(x INTEGER, X LONG), PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Duplicate field name in RECORD");
    mk_fails("CREATE TABLE t(a INTEGER, r RECORD(x INTEGER NOT NULL), PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Not nullable field x must have a default value");
    /* defaults are type-checked */
    mk_fails("CREATE TABLE t(a INTEGER, b INTEGER DEFAULT 'x', PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Quoted default value for a non-string field");
    mk_fails("CREATE TABLE t(a INTEGER, b STRING DEFAULT 5, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Numeric default value for a non-numeric field");
    mk_fails("CREATE TABLE t(a INTEGER, b INTEGER DEFAULT 3000000000, PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Invalid default value for INTEGER field b");
    mk_fails("CREATE TABLE t(a INTEGER, b INTEGER DEFAULT 1.5, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Invalid default value");
    mk_fails("CREATE TABLE t(a INTEGER, b BOOLEAN DEFAULT 1, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Numeric default value for a non-numeric field");
    mk_fails("CREATE TABLE t(a INTEGER, b STRING DEFAULT yes, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "id as default value for a non-enum field");
    mk_fails("CREATE TABLE t(a INTEGER, e ENUM(x,y) DEFAULT z, PRIMARY KEY(a))", NULL, CS_EINVAL,
             "'z' is not one of the ENUM's symbols");
    mk_fails("CREATE TABLE t(a INTEGER, j JSON DEFAULT 'x', PRIMARY KEY(a))", NULL, CS_EINVAL,
             "Fields of type: JSON cannot have default values");
    mk_fails("CREATE TABLE t(a INTEGER, ts TIMESTAMP(3) DEFAULT 'soon', PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Failed to parse the timestamp string 'soon'");
    mk_fails("CREATE TABLE t(a INTEGER, b BINARY(2) DEFAULT 'AAAA', PRIMARY KEY(a))", NULL,
             CS_EINVAL, "FIXED_BINARY(2) needs exactly 2 bytes, got 3");
    mk_fails("CREATE TABLE t(a INTEGER, f FLOAT DEFAULT 1e300, PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Invalid default value for FLOAT");
    /* identity and UUID rules */
    mk_fails("CREATE TABLE t(a INTEGER GENERATED ALWAYS AS IDENTITY, b LONG GENERATED ALWAYS AS "
             "IDENTITY, PRIMARY KEY(a))", NULL, CS_EINVAL, "Only one IDENTITY field");
    mk_fails("CREATE TABLE t(a STRING GENERATED ALWAYS AS IDENTITY, PRIMARY KEY(a))", NULL,
             CS_EINVAL, "Identity field must be one of the following numeric data types");
    mk_fails("CREATE TABLE t(a INTEGER GENERATED ALWAYS AS IDENTITY, u STRING AS UUID GENERATED "
             "BY DEFAULT, PRIMARY KEY(a))", NULL, CS_EINVAL, "Only one IDENTITY field or one STRING");
    mk_fails("CREATE TABLE t(a INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 3000000000), "
             "PRIMARY KEY(a))", NULL, CS_EINVAL, "must fit its type INTEGER");
    mk_fails("CREATE TABLE t(a LONG GENERATED ALWAYS AS IDENTITY (INCREMENT BY 0), "
             "PRIMARY KEY(a))", NULL, CS_EINVAL, "Increment value cannot be 0");
    mk_fails("CREATE TABLE t(a LONG GENERATED ALWAYS AS IDENTITY (MINVALUE 10 MAXVALUE 5), "
             "PRIMARY KEY(a))", NULL, CS_EINVAL, "MINVALUE must be less than the MAXVALUE");
}
END_TEST

START_TEST(defaults_identity_uuid)
{
    schema_t *s = mk("CREATE TABLE t(id INTEGER GENERATED BY DEFAULT ON NULL AS IDENTITY "
                     "(START WITH 10 INCREMENT BY 5 CACHE 7), "
                     "n NUMBER DEFAULT 1.50, f FLOAT DEFAULT 3.14, d DOUBLE DEFAULT 1e2, "
                     "ts TIMESTAMP(2) DEFAULT '2026-01-02T03:04:05.129Z', "
                     "ts2 TIMESTAMP(0) DEFAULT 1000, b BINARY DEFAULT 'AAEC', "
                     "e ENUM(lo, hi) DEFAULT hi NOT NULL, s STRING DEFAULT 'it\\'s' COMMENT 'c', "
                     "ok BOOLEAN DEFAULT FALSE, u STRING AS UUID, "
                     "r RECORD(x INTEGER DEFAULT 7, y STRING), PRIMARY KEY(id))", NULL);
    ck_assert(s->has_identity);
    ck_assert_uint_eq(s->identity.field, 0);
    ck_assert(!s->identity.always && s->identity.on_null);
    ck_assert_int_eq(s->identity.start, 10);
    ck_assert_int_eq(s->identity.increment, 5);
    ck_assert_int_eq(s->identity.min, INT32_MIN);
    ck_assert_int_eq(s->identity.max, INT32_MAX);
    ck_assert(schema_has_generated(s));
    ck_assert_int_eq(s->uuid_field, -1);
    ck_assert_str_eq(s->fields[1].def_text, "1.5");
    ck_assert_str_eq(s->fields[2].def_text, "3.14");
    ck_assert_str_eq(s->fields[3].def_text, "1E+2");
    ck_assert_str_eq(s->fields[4].def_text, "2026-01-02T03:04:05.13Z");
    ck_assert_str_eq(s->fields[5].def_text, "1970-01-01T00:00:01Z");
    ck_assert_str_eq(s->fields[6].def_text, "AAEC");
    ck_assert_str_eq(s->fields[7].def_text, "hi");
    ck_assert(!s->fields[7].nullable);
    ck_assert_str_eq(s->fields[9].def_text, "false");
    ck_assert_str_eq(s->fields[11].type->fields[0].def.text, "7");
    /* defaults are kept as the NSON the server emits: NUMBER 1.5 */
    ck_assert_int_eq(s->fields[1].def_nson[0], NSON_NUMBER);
    ck_assert_int_eq(s->fields[3].def_nson[0], NSON_DOUBLE);
    ck_assert_int_eq(s->fields[4].def_nson[0], NSON_TIMESTAMP);
    ck_assert_int_eq(s->fields[6].def_nson[0], NSON_BINARY);
    round_trip(s, "t");
    char *j = schema_to_json(s, "t");
    ck_assert_ptr_nonnull(strstr(j, "\"identity\":{\"name\":\"id\",\"always\":false,\"null\":true,"
                                   "\"sequence\":{\"start\":10,\"increment\":5,"));
    ck_assert_ptr_nonnull(strstr(j, "\"name\":\"d\",\"type\":\"DOUBLE\",\"nullable\":true,"
                                   "\"default\":1E+2"));
    ck_assert_ptr_nonnull(strstr(j, "\"default\":\"1.5\""));
    ck_assert_ptr_nonnull(strstr(j, "\"symbols\":[\"lo\",\"hi\"]"));
    ck_assert_ptr_nonnull(strstr(j, "\"precision\":2"));
    ck_assert_ptr_nonnull(strstr(j, "\"as uuid\":true"));
    ck_assert_ptr_nonnull(strstr(j, "\"csemu_comment\":\"c\""));
    json_t *o = json_loads(j, 0, NULL);
    ck_assert_msg(o != NULL, "not JSON: %s", j);
    json_decref(o);
    free(j);
    schema_free(s);

    s = mk("CREATE TABLE t(u STRING AS UUID GENERATED BY DEFAULT, x STRING, "
           "PRIMARY KEY(u)) USING TTL 7 HOURS", NULL);
    ck_assert_int_eq(s->uuid_field, 0);
    ck_assert(schema_has_generated(s));
    ck_assert_int_eq(s->ttl.value, 7);
    ck_assert_int_eq(s->ttl.unit, TTL_HOURS);
    j = schema_to_json(s, "t");
    ck_assert_ptr_nonnull(strstr(j, "\"ttl\":\"7 HOURS\""));
    ck_assert_ptr_nonnull(strstr(j, "\"generated\":true"));
    free(j);
    round_trip(s, "t");
    schema_free(s);
}
END_TEST

START_TEST(alter_table)
{
    schema_t *s = mk("CREATE TABLE t(id INTEGER, a STRING, r RECORD(x INTEGER, y STRING), "
                     "PRIMARY KEY(id))", NULL);
    schema_t *s2 = alter(s, "ALTER TABLE t (ADD b LONG DEFAULT 5 NOT NULL, DROP a, "
                            "ADD r.z NUMBER DEFAULT 2, DROP r.y)");
    ck_assert_uint_eq(s->nfields, 3);          /* the old schema is untouched */
    ck_assert_uint_eq(s2->nfields, 3);
    ck_assert_str_eq(s2->fields[1].name, "r");
    ck_assert_str_eq(s2->fields[2].name, "b");
    ck_assert_str_eq(s2->fields[2].def_text, "5");
    ck_assert_uint_eq(s2->fields[1].type->nfields, 2);
    ck_assert_str_eq(s2->fields[1].type->fields[1].name, "z");
    ck_assert_str_eq(s2->fields[1].type->fields[1].def.text, "2");
    ck_assert_uint_eq(s2->ndropped, 1);
    round_trip(s2, "t");

    alter_fails(s2, "ALTER TABLE t (DROP id)", "Cannot remove a primary key field: id");
    alter_fails(s2, "ALTER TABLE t (DROP nosuch)", "Field does not exist: nosuch");
    alter_fails(s2, "ALTER TABLE t (ADD B STRING)", "Cannot add field, B, it already exists");
    alter_fails(s2, "ALTER TABLE t (ADD a INTEGER)", "types do not match");
    alter_fails(s2, "ALTER TABLE t (ADD c INTEGER NOT NULL)", "must have a default value");
    alter_fails(s2, "ALTER TABLE t (ADD id.x INTEGER)", "is not a RECORD");
    alter_fails(s2, "ALTER TABLE t (DROP r.x, DROP r.z)", "only field of a RECORD");
    alter_fails(s2, "ALTER TABLE t (ADD r.x STRING)", "already exists");
    schema_t *s3 = alter(s2, "ALTER TABLE t (ADD a STRING)");   /* same type: allowed */
    ck_assert_uint_eq(s3->nfields, 4);
    schema_t *s4 = alter(s3, "ALTER TABLE t USING TTL 16 HOURS");
    ck_assert_int_eq(s4->ttl.value, 16);
    schema_t *s5 = alter(s4, "ALTER TABLE t FREEZE SCHEMA");
    ck_assert(s5->frozen);
    alter_fails(s5, "ALTER TABLE t (ADD q INTEGER)", "frozen");
    round_trip(s5, "t");
    schema_t *s6 = alter(s5, "ALTER TABLE t UNFREEZE SCHEMA");
    ck_assert(!s6->frozen);
    schema_t *s7 = alter(s6, "ALTER TABLE t (ADD g LONG GENERATED ALWAYS AS IDENTITY)");
    ck_assert(s7->has_identity);
    ck_assert_str_eq(s7->fields[s7->identity.field].name, "g");
    schema_t *s8 = alter(s7, "ALTER TABLE t (DROP a)");
    ck_assert(s8->has_identity);
    ck_assert_str_eq(s8->fields[s8->identity.field].name, "g");
    schema_t *s9 = alter(s8, "ALTER TABLE t ENABLE BEFORE IMAGE USING TTL 2 DAYS");
    ck_assert(s9->before_image);
    round_trip(s9, "t");
    schema_t *all[] = {s, s2, s3, s4, s5, s6, s7, s8, s9};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        schema_free(all[i]);
}
END_TEST


static void idx_check(const schema_t *s, const char *ddl, const char *frag)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s: %s", ddl, e.msg);
    cs_err_t rc = schema_check_index(s, st, &e);
    if (!frag)
        ck_assert_msg(rc == CS_OK, "%s: %s", ddl, e.msg);
    else
        ck_assert_msg(rc == CS_EINVAL && strstr(e.msg, frag), "%s: '%s' lacks '%s'", ddl, e.msg,
                      frag);
    ddl_free(st);
}

START_TEST(index_paths)
{
    schema_t *s = mk("CREATE TABLE t(id INTEGER, name STRING, info JSON, tags ARRAY(STRING), "
                     "m MAP(RECORD(x INTEGER)), r RECORD(a LONG, b ARRAY(RECORD(c STRING))), "
                     "bin BINARY, PRIMARY KEY(id))", NULL);
    idx_check(s, "CREATE INDEX i ON t(name, NAME2)", "Field does not exist: NAME2");
    idx_check(s, "CREATE INDEX i ON t(Name, id)", NULL);
    idx_check(s, "CREATE INDEX i ON t(info.a.b AS STRING, info.c[] AS INTEGER)", NULL);
    idx_check(s, "CREATE INDEX i ON t(info.a)", "must declare its type with AS");
    idx_check(s, "CREATE INDEX i ON t(name AS STRING)", "only allowed for JSON fields");
    idx_check(s, "CREATE INDEX i ON t(tags[])", NULL);
    idx_check(s, "CREATE INDEX i ON t(tags)", "Fields of type ARRAY cannot be indexed");
    idx_check(s, "CREATE INDEX i ON t(m.keys(), m.values().x, m.somekey.x)", NULL);
    idx_check(s, "CREATE INDEX i ON t(r.a, r.b[].c)", NULL);
    idx_check(s, "CREATE INDEX i ON t(r.zz)", "Field does not exist: zz");
    idx_check(s, "CREATE INDEX i ON t(name.x)", "cannot follow a field of type STRING");
    idx_check(s, "CREATE INDEX i ON t(bin)", "Fields of type BINARY cannot be indexed");
    idx_check(s, "CREATE INDEX i ON t(modification_time(), keys(m))", NULL);
    idx_check(s, "CREATE INDEX i ON t(name, name)", "appears twice");
    schema_free(s);
}
END_TEST

START_TEST(ttl)
{
    ttl_t t;
    ck_assert(ttl_parse("5 DAYS", &t, NULL) == CS_OK && t.value == 5 && t.unit == TTL_DAYS);
    ck_assert(ttl_parse("10 hours", &t, NULL) == CS_OK && t.value == 10 && t.unit == TTL_HOURS);
    ck_assert(ttl_parse("0 DAYS", &t, NULL) == CS_OK && t.value == 0);
    ck_assert(ttl_parse("1 HOUR", &t, NULL) == CS_OK && t.unit == TTL_HOURS);
    cs_error_t e;
    ck_assert_int_eq(ttl_parse("5 WEEKS", &t, &e), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "5 WEEKS"));
    ck_assert_int_eq(ttl_parse("-1 DAYS", &t, NULL), CS_EINVAL);
    ck_assert_int_eq(ttl_parse("DAYS", &t, NULL), CS_EINVAL);
    ck_assert_int_eq(ttl_parse("99999999999 DAYS", &t, NULL), CS_EINVAL);
    ck_assert_int_eq(ttl_parse(NULL, &t, NULL), CS_EINVAL);

    const int64_t H = 3600000, D = 86400000;
    int64_t now = 1767323045123LL;   /* 2026-01-02T03:04:05.123Z */
    ck_assert_int_eq(ttl_expiration_ms(now, (ttl_t){0, TTL_DAYS}), 0);
    int64_t x = ttl_expiration_ms(now, (ttl_t){5, TTL_HOURS});
    ck_assert(x >= now + 5 * H && x < now + 6 * H && x % H == 0);
    x = ttl_expiration_ms(now, (ttl_t){2, TTL_DAYS});
    ck_assert(x >= now + 2 * D && x < now + 3 * D && x % D == 0);
    ck_assert_int_eq(ttl_expiration_ms(10 * H, (ttl_t){1, TTL_HOURS}), 11 * H);  /* on a boundary */
    char buf[32];
    ttl_format((ttl_t){16, TTL_HOURS}, buf, sizeof buf);
    ck_assert_str_eq(buf, "16 HOURS");
}
END_TEST

START_TEST(corrupt_json)
{
    static const char *const bad[] = {
        "", "not json", "[]", "{}", "{\"fields\":[],\"primaryKey\":[\"a\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"WHAT\"}],\"primaryKey\":[\"a\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"JSON\"}],\"primaryKey\":[\"a\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"INTEGER\"}],\"primaryKey\":[\"b\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"INTEGER\"}],\"primaryKey\":[\"a\"],"
        "\"shardKey\":[\"x\"]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"ARRAY\"}],\"primaryKey\":[\"a\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"INTEGER\",\"default\":\"x\"}],"
        "\"primaryKey\":[\"a\"],\"shardKey\":[]}",
        "{\"fields\":[{\"name\":\"a\",\"type\":\"INTEGER\"}],\"primaryKey\":[\"a\"],"
        "\"shardKey\":[\"a\"],\"ttl\":\"forever\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cs_error_t e = {0};
        schema_t *s = schema_from_json(bad[i], &e);
        ck_assert_msg(s == NULL, "accepted %s", bad[i]);
        ck_assert_msg(e.code == CS_ECORRUPT, "%s: %d %s", bad[i], e.code, e.msg);
    }
    /* deeply nested stored types are refused, not recursed into without end */
    char deep[8192];
    size_t k = (size_t)snprintf(deep, sizeof deep, "{\"fields\":[{\"name\":\"a\",\"type\":\"INTEGER\"},"
                                "{\"name\":\"b\",\"type\":\"ARRAY\"");
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(deep + k, sizeof deep - k, ",\"collection\":{\"type\":\"ARRAY\"");
    for (int i = 0; i < 100; i++)
        deep[k++] = '}';
    snprintf(deep + k, sizeof deep - k, "}],\"primaryKey\":[\"a\"],\"shardKey\":[\"a\"]}");
    cs_error_t e = {0};
    ck_assert_ptr_null(schema_from_json(deep, &e));
    ck_assert_int_eq(e.code, CS_ECORRUPT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schema");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, vector_table_json);
    tcase_add_test(core, child_tables);
    tcase_add_test(core, defaults_identity_uuid);
    tcase_add_test(core, alter_table);
    tcase_add_test(core, ttl);
    tcase_add_test(core, index_paths);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, validation);
    tcase_add_test(lim, corrupt_json);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
