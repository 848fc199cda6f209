/*
 * check_ddl.c - the DDL parser: every statement form csemu serves, the
 * statements of the golden vectors and of borneo's tests, keyword case,
 * comments, and a table of malformed statements with the message fragment
 * and position a user sees; limits (length, nesting, names) and random
 * mutations never crash.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"

static ddl_stmt_t *ok(const char *text)
{
    ddl_stmt_t *st = NULL;
    cs_error_t e = {0};
    cs_err_t rc = ddl_parse(text, &st, &e);
    ck_assert_msg(rc == CS_OK, "%.300s\n  -> %s", text, e.msg);
    ck_assert_ptr_nonnull(st);
    return st;
}

static void fails(const char *text, cs_err_t code, const char *frag)
{
    ddl_stmt_t *st = NULL;
    cs_error_t e = {0};
    cs_err_t rc = ddl_parse(text, &st, &e);
    ck_assert_msg(rc == code, "%.300s\n  -> rc %d (%s), want %d", text, rc, e.msg, code);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(e.msg, frag) != NULL, "%.300s\n  -> '%s' lacks '%s'", text, e.msg, frag);
}

START_TEST(create_table_all_types)
{
    ddl_stmt_t *st = ok(
        "CREATE TABLE t(i INTEGER, l LONG, f FLOAT, d DOUBLE, n NUMBER, s STRING, b BOOLEAN, "
        "bin BINARY, fb BINARY(16), ts TIMESTAMP(3), e ENUM(red, green, blue), j JSON, "
        "a ARRAY(STRING), m MAP(INTEGER), r RECORD(x LONG, y RECORD(z TIMESTAMP(0))), "
        "nested ARRAY(MAP(ARRAY(JSON))), PRIMARY KEY(i))");
    ck_assert_int_eq(st->kind, DDL_CREATE_TABLE);
    ck_assert_str_eq(st->table, "t");
    ck_assert_uint_eq(st->nfields, 16);
    static const ddl_tkind_t kinds[] = {
        DDL_T_INTEGER, DDL_T_LONG, DDL_T_FLOAT, DDL_T_DOUBLE, DDL_T_NUMBER, DDL_T_STRING,
        DDL_T_BOOLEAN, DDL_T_BINARY, DDL_T_FIXED_BINARY, DDL_T_TIMESTAMP, DDL_T_ENUM, DDL_T_JSON,
        DDL_T_ARRAY, DDL_T_MAP, DDL_T_RECORD, DDL_T_ARRAY};
    for (uint32_t i = 0; i < 16; i++)
        ck_assert_msg(st->fields[i].type->kind == kinds[i], "field %u", i);
    ck_assert_int_eq(st->fields[8].type->size, 16);
    ck_assert_int_eq(st->fields[9].type->precision, 3);
    ck_assert_uint_eq(st->fields[10].type->nsymbols, 3);
    ck_assert_str_eq(st->fields[10].type->symbols[2], "blue");
    ck_assert_int_eq(st->fields[12].type->elem->kind, DDL_T_STRING);
    const ddl_type_t *r = st->fields[14].type;
    ck_assert_uint_eq(r->nfields, 2);
    ck_assert_str_eq(r->fields[1].name, "y");
    ck_assert_int_eq(r->fields[1].type->fields[0].type->precision, 0);
    ck_assert_int_eq(st->fields[15].type->elem->elem->elem->kind, DDL_T_JSON);
    ck_assert_uint_eq(st->npk, 1);
    ck_assert_int_eq(st->nshard, -1);
    ck_assert(!st->has_ttl);
    ddl_free(st);
}
END_TEST

START_TEST(create_table_clauses)
{
    ddl_stmt_t *st = ok(
        "create table if not exists Users comment 'the users' ("
        "  id integer, sk string, name string not null default 'anon' comment 'who',"
        "  age integer default -5 not null, score number default 1.50, f float default 2.5e3,"
        "  ok boolean default true, col enum(a,b) default b, ts timestamp(6) default '2026-01-01',"
        "  primary key(shard(sk, id(3)), name2)) using ttl 5 days with schema frozen force "
        "enable before image using ttl 2 hours;");
    ck_assert(st->if_exists);
    ck_assert_str_eq(st->table, "Users");
    ck_assert_str_eq(st->comment, "the users");
    ck_assert_uint_eq(st->nfields, 9);
    ddl_field_t *name = &st->fields[2];
    ck_assert(name->not_null);
    ck_assert_int_eq(name->def.kind, DDL_LIT_STRING);
    ck_assert_str_eq(name->def.text, "anon");
    ck_assert_str_eq(name->comment, "who");
    ck_assert_str_eq(st->fields[3].def.text, "-5");
    ck_assert(st->fields[3].not_null);
    ck_assert_str_eq(st->fields[4].def.text, "1.50");
    ck_assert_str_eq(st->fields[5].def.text, "2.5e3");
    ck_assert_int_eq(st->fields[6].def.kind, DDL_LIT_BOOL);
    ck_assert_int_eq(st->fields[7].def.kind, DDL_LIT_ID);
    ck_assert_str_eq(st->fields[7].def.text, "b");
    ck_assert_uint_eq(st->npk, 3);
    ck_assert_int_eq(st->nshard, 2);
    ck_assert_str_eq(st->pk[0].name, "sk");
    ck_assert_int_eq(st->pk[1].size, 3);
    ck_assert_str_eq(st->pk[2].name, "name2");
    ck_assert(st->has_ttl);
    ck_assert_int_eq(st->ttl.value, 5);
    ck_assert_int_eq(st->ttl.unit, TTL_DAYS);
    ck_assert(st->frozen && st->frozen_force);
    ck_assert(st->before_image && st->has_before_image_ttl);
    ck_assert_int_eq(st->before_image_ttl.unit, TTL_HOURS);
    ddl_free(st);

    /* SHARD alone, and a trailing comma-free SHARD with nothing after */
    st = ok("CREATE TABLE t(id INTEGER, PRIMARY KEY(SHARD(id)))");
    ck_assert_int_eq(st->nshard, 1);
    ck_assert_uint_eq(st->npk, 1);
    ddl_free(st);
    /* keys listed before the columns; "shard" as a column name */
    st = ok("CREATE TABLE t(PRIMARY KEY(shard), shard STRING)");
    ck_assert_int_eq(st->nshard, -1);
    ck_assert_str_eq(st->pk[0].name, "shard");
    ddl_free(st);
    /* TTL units, short forms */
    st = ok("CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 16 h");
    ck_assert_int_eq(st->ttl.unit, TTL_HOURS);
    ddl_free(st);
}
END_TEST

START_TEST(identity_and_uuid)
{
    ddl_stmt_t *st = ok(
        "CREATE TABLE t(sid INTEGER, id LONG GENERATED ALWAYS AS IDENTITY, name STRING, "
        "PRIMARY KEY(SHARD(sid), id))");
    ck_assert_ptr_nonnull(st->fields[1].identity);
    ck_assert(st->fields[1].identity->always);
    ck_assert_int_eq(st->fields[1].identity->start, 1);
    ck_assert_int_eq(st->fields[1].identity->increment, 1);
    ck_assert_int_eq(st->fields[1].identity->cache, 1000);
    ddl_free(st);
    st = ok("CREATE TABLE t(id NUMBER GENERATED BY DEFAULT ON NULL AS IDENTITY (START WITH -10 "
            "INCREMENT BY -2 MAXVALUE 100 MINVALUE -1000 CACHE 5 CYCLE), PRIMARY KEY(id))");
    ddl_identity_t *id = st->fields[0].identity;
    ck_assert(!id->always && id->on_null && id->cycle);
    ck_assert_int_eq(id->start, -10);
    ck_assert_int_eq(id->increment, -2);
    ck_assert(id->has_max && id->max == 100 && id->has_min && id->min == -1000);
    ck_assert_int_eq(id->cache, 5);
    ddl_free(st);
    st = ok("CREATE TABLE t(id INTEGER GENERATED BY DEFAULT AS IDENTITY (NO MAXVALUE NO MINVALUE "
            "NO CACHE NO CYCLE), PRIMARY KEY(id))");
    ck_assert(!st->fields[0].identity->has_max);
    ddl_free(st);
    st = ok("CREATE TABLE t(u STRING AS UUID GENERATED BY DEFAULT, v STRING AS UUID, "
            "PRIMARY KEY(u))");
    ck_assert(st->fields[0].type->as_uuid && st->fields[0].type->uuid_generated);
    ck_assert(st->fields[1].type->as_uuid && !st->fields[1].type->uuid_generated);
    ddl_free(st);
}
END_TEST

START_TEST(child_drop_alter_index)
{
    ddl_stmt_t *st = ok("CREATE TABLE parent.child (childid INTEGER, childname STRING, "
                        "PRIMARY KEY(childid)) USING TTL 1 DAYS");
    ck_assert_str_eq(st->table, "parent.child");
    ddl_free(st);
    st = ok("DROP TABLE IF EXISTS users");
    ck_assert_int_eq(st->kind, DDL_DROP_TABLE);
    ck_assert(st->if_exists);
    ddl_free(st);
    st = ok("drop table a.b");
    ck_assert(!st->if_exists);
    ck_assert_str_eq(st->table, "a.b");
    ddl_free(st);
    st = ok("ALTER TABLE users (ADD age INTEGER DEFAULT 3 NOT NULL, DROP fld_num, "
            "ADD info.extra STRING, ADD u STRING AS UUID)");
    ck_assert_int_eq(st->kind, DDL_ALTER_TABLE);
    ck_assert_int_eq(st->alter, DDL_ALTER_FIELDS);
    ck_assert_uint_eq(st->nops, 4);
    ck_assert_int_eq(st->ops[0].kind, DDL_ALTER_ADD);
    ck_assert_str_eq(st->ops[0].field.name, "age");
    ck_assert_str_eq(st->ops[0].field.def.text, "3");
    ck_assert_int_eq(st->ops[1].kind, DDL_ALTER_DROP);
    ck_assert_str_eq(st->ops[1].path[0], "fld_num");
    ck_assert_uint_eq(st->ops[2].npath, 2);
    ck_assert_str_eq(st->ops[2].field.name, "extra");
    ddl_free(st);
    st = ok("ALTER TABLE users USING TTL 16 HOURS");
    ck_assert_int_eq(st->alter, DDL_ALTER_TTL);
    ck_assert_int_eq(st->ttl.value, 16);
    ddl_free(st);
    st = ok("ALTER TABLE users FREEZE SCHEMA FORCE");
    ck_assert_int_eq(st->alter, DDL_ALTER_FREEZE);
    ddl_free(st);
    st = ok("ALTER TABLE users UNFREEZE SCHEMA");
    ck_assert_int_eq(st->alter, DDL_ALTER_UNFREEZE);
    ddl_free(st);
    st = ok("ALTER TABLE users ENABLE BEFORE IMAGE USING TTL 3 DAYS");
    ck_assert_int_eq(st->alter, DDL_ALTER_ENABLE_BEFORE_IMAGE);
    ddl_free(st);
    st = ok("ALTER TABLE users DISABLE BEFORE IMAGE");
    ck_assert_int_eq(st->alter, DDL_ALTER_DISABLE_BEFORE_IMAGE);
    ddl_free(st);
    st = ok("CREATE INDEX IF NOT EXISTS idx1 ON users(name, info.tags[] AS STRING, "
            "m.keys(), elementof(arr), \"quoted field\".x AS INTEGER) WITH NO NULLS "
            "WITH UNIQUE KEYS PER ROW COMMENT 'c'");
    ck_assert_int_eq(st->kind, DDL_CREATE_INDEX);
    ck_assert(st->if_exists && st->with_no_nulls && st->unique_keys_per_row);
    ck_assert_str_eq(st->index, "idx1");
    ck_assert_str_eq(st->table, "users");
    ck_assert_uint_eq(st->nifields, 5);
    ck_assert_str_eq(st->ifields[0].path, "name");
    ck_assert_ptr_null(st->ifields[0].type);
    ck_assert_str_eq(st->ifields[1].path, "info.tags[]");
    ck_assert_str_eq(st->ifields[1].type, "STRING");
    ck_assert_str_eq(st->ifields[2].path, "m.keys()");
    ck_assert_str_eq(st->ifields[3].path, "elementof(arr)");
    ck_assert_str_eq(st->ifields[4].path, "\"quoted field\".x");
    ddl_free(st);
    st = ok("DROP INDEX IF EXISTS idx1 ON users");
    ck_assert_int_eq(st->kind, DDL_DROP_INDEX);
    ck_assert(st->if_exists);
    ck_assert_str_eq(st->index, "idx1");
    ddl_free(st);
    st = ok("drop index if on t");   /* an index named "if" */
    ck_assert_str_eq(st->index, "if");
    ck_assert(!st->if_exists);
    ddl_free(st);
}
END_TEST

START_TEST(case_and_comments)
{
    ddl_stmt_t *st = ok("/* leading */ cReAtE tAbLe MyTable # hash comment\n"
                        "( // line comment\n Id InTeGeR, `Select` sTrInG, "
                        "pRiMaRy KeY ( Id ) ) /* trailing */");
    ck_assert_str_eq(st->table, "MyTable");
    ck_assert_str_eq(st->fields[0].name, "Id");
    ck_assert_str_eq(st->fields[1].name, "Select");
    ck_assert_int_eq(st->fields[1].type->kind, DDL_T_STRING);
    ck_assert_str_eq(st->pk[0].name, "Id");
    ddl_free(st);
    /* keywords are valid names where a name is expected */
    st = ok("CREATE TABLE table(key STRING, value JSON, timestamp TIMESTAMP(3), "
            "primary KEY(key))");
    ck_assert_str_eq(st->table, "table");
    ck_assert_str_eq(st->fields[2].name, "timestamp");
    ddl_free(st);
}
END_TEST

/* every "st" of the TableRequest golden vectors parses */
static void collect_st(json_t *node, int *count)
{
    if (json_is_array(node)) {
        if (json_array_size(node) == 2 && json_is_string(json_array_get(node, 0)) &&
            strcmp(json_string_value(json_array_get(node, 0)), "st") == 0) {
            json_t *v = json_object_get(json_array_get(node, 1), "STRING");
            if (json_is_string(v)) {
                ddl_stmt_t *st = ok(json_string_value(v));
                ddl_free(st);
                (*count)++;
            }
        }
        for (size_t i = 0; i < json_array_size(node); i++)
            collect_st(json_array_get(node, i), count);
    } else if (json_is_object(node)) {
        const char *k;
        json_t *v;
        json_object_foreach(node, k, v)
            collect_st(v, count);
    }
}

START_TEST(vector_statements)
{
    const char *dir = getenv("CSEMU_VECTORS");
    if (!dir)
        dir = "../shared/protocol/vectors";
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "no vectors at %s", dir);
    struct dirent *de;
    int count = 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "req-table-", 10) != 0 || n < 5 ||
            strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        ck_assert_msg(j != NULL, "%s: %s", path, je.text);
        collect_st(json_object_get(j, "nson"), &count);
        json_decref(j);
    }
    closedir(d);
    ck_assert_int_ge(count, 5);

    /* and the statements borneo's own tests run */
    static const char *const borneo[] = {
        "CREATE TABLE T(fld_id INTEGER, fld_long LONG, fld_float FLOAT, fld_double DOUBLE, "
        "fld_bool BOOLEAN, fld_str STRING, fld_bin BINARY, fld_time TIMESTAMP(4), "
        "fld_num NUMBER, fld_json JSON, fld_arr ARRAY(STRING), fld_map MAP(STRING), "
        "fld_rec RECORD(fld_id LONG, fld_bool BOOLEAN, fld_str STRING), "
        "PRIMARY KEY(fld_id)) USING TTL 30 DAYS",
        "CREATE INDEX Idx ON T(fld_str, fld_double)",
        "ALTER TABLE T(DROP fld_num)",
        "ALTER TABLE T USING TTL 16 HOURS",
        "DROP INDEX Idx ON T",
        "DROP TABLE IF EXISTS T",
        "DROP TABLE T",
        "CREATE TABLE Tid(sid INTEGER, id LONG GENERATED ALWAYS AS IDENTITY, name STRING, "
        "PRIMARY KEY(SHARD(sid), id))",
        "CREATE TABLE T(fld_sid INTEGER, fld_id INTEGER, fld_long LONG, PRIMARY KEY("
        "SHARD(fld_sid), fld_id)) USING TTL 1 HOURS",
        "CREATE TABLE T.Child (childid INTEGER, childname STRING, childdata STRING, "
        "PRIMARY KEY(childid)) USING TTL 1 DAYS",
    };
    for (size_t i = 0; i < sizeof borneo / sizeof borneo[0]; i++)
        ddl_free(ok(borneo[i]));
}
END_TEST

START_TEST(malformed)
{
    static const struct { const char *st; cs_err_t code; const char *frag; } cases[] = {
        {"CREATE TABLE t(id INTEGER, name STRNG, PRIMARY KEY(id))", CS_EINVAL,
         "(1, 32) Unknown type 'STRNG' for field 'name'"},
        {"CREATE TABLE t(id INTEGER, name STRING PRIMARY KEY(id))", CS_EINVAL,
         "(1, 39) expected ',' or ')' after column definition, found 'PRIMARY'"},
        {"CREATE TABLE t(id INTEGER,\n  ts TIMESTAMP, PRIMARY KEY(id))", CS_EINVAL,
         "(2, 5) In DDL statements there is no default precision"},
        {"CREATE TABLE t(ts TIMESTAMP(10), PRIMARY KEY(ts))", CS_EINVAL,
         "precision exceeds the maximum allowed precision (9)"},
        {"CREATE TABLE t(id INTEGER)", CS_EINVAL, "single primary key definition"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id), PRIMARY KEY(id))", CS_EINVAL,
         "single primary key definition"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY())", CS_EINVAL,
         "PRIMARY KEY must contain a list of fields"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id(6)))", CS_EINVAL, "between 1 and 5"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)", CS_EINVAL,
         "expected ',' or ')' after column definition, found end of statement"},
        {"CREATE TABLE t(id ANY, PRIMARY KEY(id))", CS_EINVAL, "Type Any not allowed in DDL"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 5 SECONDS", CS_EINVAL,
         "Invalid TTL Unit: SECONDS in 5 SECONDS"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 5 WEEKS", CS_EINVAL,
         "expected a TTL unit"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 5 DAYS USING TTL 1 DAYS",
         CS_EINVAL, "Only one TTL definition"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) AS JSON COLLECTION", CS_ENOTSUP,
         "JSON collection"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) IN REGIONS a", CS_ENOTSUP, "REGIONS"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) LOCKED", CS_EINVAL,
         "unexpected 'LOCKED' after the table definition"},
        {"CREATE TABLE t(id INTEGER AS MR_COUNTER, PRIMARY KEY(id))", CS_ENOTSUP, "MR_COUNTER"},
        {"CREATE TABLE t(id INTEGER AS UUID, PRIMARY KEY(id))", CS_EINVAL,
         "AS UUID option can only be used for STRING"},
        {"CREATE TABLE t(id INTEGER GENERATED ALWAYS AS IDENTITY (CACHE 0), PRIMARY KEY(id))",
         CS_EINVAL, "CACHE value cannot be 0"},
        {"CREATE TABLE t(id INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 1 START WITH 2), "
         "PRIMARY KEY(id))", CS_EINVAL, "START WITH can be specified for only one time"},
        {"CREATE TABLE t(id INTEGER GENERATED SOMETIMES AS IDENTITY, PRIMARY KEY(id))",
         CS_EINVAL, "expected BY or ALWAYS after GENERATED"},
        {"CREATE TABLE t(id INTEGER DEFAULT, PRIMARY KEY(id))", CS_EINVAL,
         "expected a DEFAULT value"},
        {"CREATE TABLE t(id INTEGER DEFAULT NULL, PRIMARY KEY(id))", CS_EINVAL,
         "NULL is not a valid DEFAULT"},
        {"CREATE TABLE t(1id INTEGER, PRIMARY KEY(1id))", CS_EINVAL,
         "Identifiers must start with a letter: 1id"},
        {"CREATE TABLE t(_id INTEGER, PRIMARY KEY(_id))", CS_EINVAL,
         "Identifiers must start with a letter"},
        {"CREATE TABLE t(r RECORD(a INTEGER b INTEGER), PRIMARY KEY(r))", CS_EINVAL,
         "expected ',' or ')' after a RECORD field"},
        {"CREATE TABLE t(e ENUM(), PRIMARY KEY(e))", CS_EINVAL, "expected a name, found ')'"},
        {"CREATE TABLE t(a ARRAY STRING, PRIMARY KEY(id))", CS_EINVAL, "expected '(' after ARRAY"},
        {"CREATE TABLE t(s STRING COMMENT 'unterminated, PRIMARY KEY(s))", CS_EINVAL,
         "unterminated string"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) /* open", CS_EINVAL,
         "unterminated comment"},
        {"CREATE TABLE ns:t(id INTEGER, PRIMARY KEY(id))", CS_ENOTSUP, "namespaces"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)); DROP TABLE t", CS_EINVAL,
         "unexpected 'DROP' after the end of the statement"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) \xc3\xa9", CS_EINVAL,
         "unexpected character"},
        {"CREATE TABLE t(id INTEGER, PRIMARY KEY(id)) USING TTL 99999999999 DAYS", CS_EINVAL,
         "out of range"},
        {"CREATE FULLTEXT INDEX i ON t(a)", CS_ENOTSUP, "full-text"},
        {"CREATE INDEX i ON t()", CS_EINVAL, "expected an index field"},
        {"CREATE INDEX i ON t(a AS FLOAT)", CS_EINVAL, "expected an index field type"},
        {"CREATE INDEX i ON t(loc AS GEOMETRY)", CS_ENOTSUP, "GEOMETRY"},
        {"CREATE INDEX i ON t(a) WITH FRIENDS", CS_EINVAL, "after WITH"},
        {"CREATE INDEX i t(a)", CS_EINVAL, "expected ON after the index name"},
        {"DROP INDEX i", CS_EINVAL, "expected ON"},
        {"DROP TABLE", CS_EINVAL, "(1, 10) expected a name, found end of statement"},
        {"DROP TABLES t", CS_EINVAL, "expected TABLE or INDEX"},
        {"ALTER TABLE t (MODIFY a LONG)", CS_ENOTSUP, "MODIFY"},
        {"ALTER TABLE t (RENAME a)", CS_EINVAL, "expected ADD, DROP or MODIFY"},
        {"ALTER TABLE t (ADD a)", CS_EINVAL, "expected a type for field 'a'"},
        {"ALTER TABLE t (ADD arr[].x INTEGER)", CS_ENOTSUP, "ARRAY element"},
        {"ALTER TABLE t ADD REGIONS r1", CS_ENOTSUP, "REGIONS"},
        {"ALTER TABLE t RENAME TO u", CS_EINVAL, "expected '(', USING TTL"},
        {"ALTER USER bob ACCOUNT LOCK", CS_ENOTSUP, "USER statements"},
        {"CREATE NAMESPACE ns1", CS_ENOTSUP, "NAMESPACE statements"},
        {"DROP ROLE r", CS_ENOTSUP, "ROLE statements"},
        {"GRANT READ_TABLE ON t TO r", CS_ENOTSUP, "GRANT statements"},
        {"SHOW TABLES", CS_ENOTSUP, "SHOW statements"},
        {"DESCRIBE TABLE t", CS_ENOTSUP, "DESCRIBE statements"},
        {"SELECT * FROM t", CS_EINVAL, "SELECT is not a DDL statement"},
        {"IllegalStatement", CS_EINVAL,
         "(1, 0) unknown statement 'IllegalStatement': expected CREATE, DROP or ALTER"},
        {"", CS_EINVAL, "empty statement"},
        {"   -- ", CS_EINVAL, "unknown statement '-'"},
        {"CREATE TABLE t(id INTEGER, `bad name` STRING, PRIMARY KEY(id))", CS_EINVAL,
         "Field names may contain only alphanumeric values"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fails(cases[i].st, cases[i].code, cases[i].frag);
}
END_TEST

START_TEST(limits)
{
    /* statement length */
    size_t n = DDL_MAX_TEXT + 100;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, ' ', n);
    memcpy(big, "DROP TABLE t", 12);
    big[n] = '\0';
    fails(big, CS_EINVAL, "statement too long");
    free(big);
    /* a wide table within the limit parses */
    size_t cap = DDL_MAX_TEXT;
    char *wide = malloc(cap);
    size_t k = (size_t)snprintf(wide, cap, "CREATE TABLE t(id INTEGER");
    for (int i = 0; k + 40 < cap - 40; i++)
        k += (size_t)snprintf(wide + k, cap - k, ", c%d STRING", i);
    snprintf(wide + k, cap - k, ", PRIMARY KEY(id))");
    ddl_stmt_t *st = ok(wide);
    ck_assert_uint_gt(st->nfields, 3000);
    ddl_free(st);
    free(wide);
    /* nesting */
    char deep[2048];
    k = (size_t)snprintf(deep, sizeof deep, "CREATE TABLE t(id INTEGER, a ");
    for (int i = 0; i < DDL_MAX_DEPTH + 5; i++)
        k += (size_t)snprintf(deep + k, sizeof deep - k, "ARRAY(");
    k += (size_t)snprintf(deep + k, sizeof deep - k, "INTEGER");
    for (int i = 0; i < DDL_MAX_DEPTH + 5; i++)
        deep[k++] = ')';
    snprintf(deep + k, sizeof deep - k, ", PRIMARY KEY(id))");
    fails(deep, CS_EINVAL, "nested too deeply");
    /* names */
    char name[300], stmt[700];
    memset(name, 'a', 65);
    name[65] = '\0';
    snprintf(stmt, sizeof stmt, "CREATE TABLE t(%s INTEGER, PRIMARY KEY(%s))", name, name);
    fails(stmt, CS_EINVAL, "must be less than or equal to 64 characters");
    memset(name, 'a', 257);
    name[257] = '\0';
    snprintf(stmt, sizeof stmt, "DROP TABLE %s", name);
    fails(stmt, CS_EINVAL, "must be less than or equal to 256 characters");
    name[256] = '\0';
    snprintf(stmt, sizeof stmt, "DROP TABLE %s", name);
    ddl_free(ok(stmt));
    ck_assert_int_eq(ddl_parse(NULL, &st, NULL), CS_EINVAL);
}
END_TEST

START_TEST(mutations_never_crash)
{
    static const char *const seeds[] = {
        "CREATE TABLE IF NOT EXISTS a.b COMMENT 'x' (id INTEGER GENERATED BY DEFAULT ON NULL AS "
        "IDENTITY (START WITH 1 CACHE 3), r RECORD(x ARRAY(MAP(ENUM(a,b)))), s STRING AS UUID "
        "GENERATED BY DEFAULT, t TIMESTAMP(3) DEFAULT '2020-01-01' NOT NULL, PRIMARY KEY("
        "SHARD(id(2)), s)) USING TTL 5 DAYS WITH SCHEMA FROZEN",
        "ALTER TABLE t (ADD a.b NUMBER DEFAULT 1.5 COMMENT \"c\", DROP x)",
        "CREATE INDEX i ON t(a.b[] AS STRING, keys(m), f(x, 'y')) WITH NO NULLS",
    };
    uint64_t r = 12345;
    char buf[1024];
    for (int iter = 0; iter < 30000; iter++) {
        const char *seed = seeds[iter % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            size_t pos = (r >> 33) % n;
            static const char junk[] = "(),.'\"`#/*-0123456789aZ \n\\[]{};:";
            switch ((r >> 20) % 3) {
            case 0: buf[pos] = junk[(r >> 40) % (sizeof junk - 1)]; break;
            case 1: memmove(buf + pos, buf + pos + 1, n - pos); n--; break;
            default: n = pos; buf[n] = '\0'; break;
            }
            if (n == 0)
                break;
        }
        ddl_stmt_t *st = NULL;
        cs_error_t err;
        if (ddl_parse(buf, &st, &err) == CS_OK)
            ddl_free(st);
        else
            ck_assert(st == NULL && strlen(err.msg) > 0);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ddl");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, create_table_all_types);
    tcase_add_test(core, create_table_clauses);
    tcase_add_test(core, identity_and_uuid);
    tcase_add_test(core, child_drop_alter_index);
    tcase_add_test(core, case_and_comments);
    tcase_add_test(core, vector_statements);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, malformed);
    tcase_add_test(lim, limits);
    tcase_add_test(lim, mutations_never_crash);
    tcase_set_timeout(lim, 120);
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
