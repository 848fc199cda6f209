/*
 * check_row.c - the row codec: every column type, every coercion the
 * service's proxy makes and the rejections a user sees, exact match,
 * defaults, NOT NULL, identity and UUID generation, nested values, keys
 * (full and partial), MultiDelete ranges, full rows after ALTER TABLE, and
 * limits (deep nesting, small arenas, random values) without crashes.
 *
 * Rows are written in a compact JSON with single quotes; objects with one
 * "$" key make the other NSON types: {'$long':5} LONG, {'$num':'1.5'}
 * NUMBER, {'$ts':'...'} TIMESTAMP, {'$bin':'00ff'} BINARY, {'$jnull':0}
 * JSON_NULL, {'$empty':0} EMPTY, {'$dbl':5} DOUBLE. Results are rendered
 * compactly: i:1 l:1 d:1.5 n:1.5 t:... b:00ff "s" true null jnull.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "nson_lit.h"

static arena_t A;

static void setup(void) { arena_init(&A, 16 << 20); }
static void teardown(void) { arena_free(&A); }

/* ---- building values ---- */

#define V(text) nson_lit(&A, text)

/* ---- rendering results ---- */


static const char *R(const uint8_t *p, size_t n)
{
    cs_error_t e;
    nson_value_t *v = nson_decode(&A, p, n, false, &e);
    ck_assert_msg(v != NULL, "undecodable output: %s", e.msg);
    buf_t o;
    buf_init(&o, 0);
    nson_lit_render(&o, v);
    buf_putc(&o, 0);
    char *s = arena_strndup(&A, (char *)o.data, o.len);
    buf_free(&o);
    return s;
}

/* ---- schema and callbacks ---- */

static schema_t *mk(const char *ddl)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s", e.msg);
    schema_t *s = schema_create(st, NULL, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ddl_free(st);
    return s;
}

static schema_t *alt(const schema_t *old, const char *ddl)
{
    ddl_stmt_t *st;
    cs_error_t e = {0};
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s", e.msg);
    schema_t *s = schema_alter(old, st, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ddl_free(st);
    return s;
}

typedef struct gen {
    int64_t next;
    int64_t limit;
    int calls;
    uint8_t fill;
} gen_t;

static bool next_id(void *ctx, int64_t *out)
{
    gen_t *g = ctx;
    g->calls++;
    if (g->next > g->limit)
        return false;
    *out = g->next++;
    return true;
}

static void rand16(void *ctx, uint8_t out[16])
{
    gen_t *g = ctx;
    g->calls++;
    memset(out, g->fill, 16);
}

static const char *TBL =
    "CREATE TABLE t(id INTEGER, sk STRING, l LONG, f FLOAT, d DOUBLE, n NUMBER, s STRING, "
    "b BOOLEAN, bin BINARY, fb BINARY(2), ts TIMESTAMP(3), e ENUM(red, green), j JSON, "
    "a ARRAY(INTEGER), m MAP(STRING), r RECORD(x INTEGER, y STRING DEFAULT 'dy'), "
    "nn STRING NOT NULL DEFAULT 'def', PRIMARY KEY(SHARD(sk), id))";

static row_parts_t put_ok(const schema_t *s, const char *row, bool exact)
{
    row_parts_t p;
    cs_error_t e = {0};
    gen_t g = {.next = 1, .limit = 1000};
    row_opts_t o = {.exact_match = exact, .next_identity = next_id, .random16 = rand16, .ctx = &g};
    cs_err_t rc = row_encode(&A, s, V(row), &o, &p, &e);
    ck_assert_msg(rc == CS_OK, "%s -> %s", row, e.msg);
    return p;
}

static void put_fails(const schema_t *s, const char *row, bool exact, const char *frag)
{
    row_parts_t p;
    cs_error_t e = {0};
    gen_t g = {.next = 1, .limit = 1000};
    row_opts_t o = {.exact_match = exact, .next_identity = next_id, .random16 = rand16, .ctx = &g};
    cs_err_t rc = row_encode(&A, s, V(row), &o, &p, &e);
    ck_assert_msg(rc == CS_EINVAL, "%s accepted: %s", row, rc == CS_OK ? R(p.value, p.value_len) : e.msg);
    ck_assert_msg(strstr(e.msg, frag) != NULL, "%s: '%s' lacks '%s'", row, e.msg, frag);
    ck_assert_ptr_null(p.key);
}

/* value of one column after a put of {id:1, sk:'k', <col>: <json>} */
static const char *col(const schema_t *s, const char *name, const char *json)
{
    char row[512];
    snprintf(row, sizeof row, "{'id':1,'sk':'k','%s':%s}", name, json);
    row_parts_t p = put_ok(s, row, false);
    cs_error_t e;
    nson_value_t *v = nson_decode(&A, p.value, p.value_len, false, &e);
    const nson_value_t *c = nson_map_get(v, name);
    ck_assert_ptr_nonnull(c);
    buf_t o;
    buf_init(&o, 0);
    nson_lit_render(&o, c);
    buf_putc(&o, 0);
    char *r = arena_strndup(&A, (char *)o.data, o.len);
    buf_free(&o);
    return r;
}

#define COL(name, in, want) ck_assert_str_eq(col(s, name, in), want)

static void col_fails(const schema_t *s, const char *name, const char *json, const char *frag)
{
    char row[512];
    snprintf(row, sizeof row, "{'id':1,'sk':'k','%s':%s}", name, json);
    put_fails(s, row, false, frag);
}

/* ------------------------------------------------------------------------ */

START_TEST(every_type)
{
    schema_t *s = mk(TBL);
    row_parts_t p = put_ok(s,
        "{'sk':'a','id':1,'l':{'$long':1767225600000},'f':3.1415,'d':3.25,"
        "'n':{'$num':'12345678901234567890.125'},'s':'h\u00e9llo','b':true,"
        "'bin':{'$bin':'0001feff'},'fb':{'$bin':'abcd'},'ts':{'$ts':'2026-01-02T03:04:05.1236Z'},"
        "'e':'green','j':{'k2':{'$jnull':0},'k1':[1,'two',3.5,{'$bin':'ff'},null]},"
        "'a':[3,1,2],'m':{'z':'last','a':'first'},'r':{'X':5,'y':'why'},'nn':'given'}", true);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"a\",id:i:1}");
    ck_assert_str_eq(R(p.value, p.value_len),
        "{l:l:1767225600000,f:d:3.1414999961853027,d:d:3.25,n:n:12345678901234567890.125,"
        "s:\"h\u00e9llo\",b:true,bin:b:0001feff,fb:b:abcd,ts:t:2026-01-02T03:04:05.124,"
        "e:\"green\",j:{k2:jnull,k1:[i:1,\"two\",d:3.5,\"/w==\",jnull]},a:[i:3,i:1,i:2],"
        "m:{z:\"last\",a:\"first\"},r:{x:i:5,y:\"why\"},nn:\"given\"}");
    /* key = STRING "a" then INTEGER 1; the shard prefix is the string */
    static const uint8_t want_key[] = {'a', 0, 0, 0x80, 0, 0, 1};
    ck_assert_uint_eq(p.key_len, sizeof want_key);
    ck_assert(memcmp(p.key, want_key, sizeof want_key) == 0);
    ck_assert_uint_eq(p.shard_len, 3);
    ck_assert_ptr_null(p.generated);
    ck_assert_uint_eq(row_size(&p), p.key_len + p.value_len);
    schema_free(s);
}
END_TEST

START_TEST(coercions)
{
    schema_t *s = mk(TBL);
    /* INTEGER */
    row_parts_t p = put_ok(s, "{'id':{'$long':5},'sk':'k'}", false);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"k\",id:i:5}");
    p = put_ok(s, "{'id':5.0,'sk':'k'}", false);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"k\",id:i:5}");
    p = put_ok(s, "{'id':{'$num':'7E0'},'sk':'k'}", false);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"k\",id:i:7}");
    p = put_ok(s, "{'id':'-8','sk':'k'}", false);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"k\",id:i:-8}");
    /* LONG */
    COL("l", "5", "l:5");
    COL("l", "{'$num':'1E+3'}", "l:1000");
    COL("l", "2.0", "l:2");
    COL("l", "'-9223372036854775808'", "l:-9223372036854775808");
    /* FLOAT: stored as float, emitted as DOUBLE */
    COL("f", "3.1415", "d:3.1414999961853027");
    COL("f", "5", "d:5");
    COL("f", "{'$num':'1.5'}", "d:1.5");
    COL("f", "'2.5'", "d:2.5");
    COL("f", "{'$long':16777216}", "d:16777216");
    /* DOUBLE */
    COL("d", "5", "d:5");
    COL("d", "{'$num':'0.1'}", "d:0.10000000000000001");
    COL("d", "{'$long':9007199254740992}", "d:9007199254740992");
    COL("d", "'Infinity'", "d:inf");
    /* NUMBER: canonical text */
    COL("n", "5", "n:5");
    COL("n", "2.5", "n:2.5");
    COL("n", "0.1", "n:0.1");
    COL("n", "{'$num':'1.50'}", "n:1.5");
    COL("n", "'100'", "n:1E+2");
    COL("n", "{'$long':-9223372036854775808}", "n:-9223372036854775808");
    COL("n", "{'$num':'0.0000001'}", "n:1E-7");
    /* TIMESTAMP: text, TIMESTAMP, epoch ms; rounded to 3 digits */
    COL("ts", "'2026-01-02T03:04:05.123456Z'", "t:2026-01-02T03:04:05.123");
    COL("ts", "'2026-01-02T05:04:05+02:00'", "t:2026-01-02T03:04:05");
    COL("ts", "'2026-01-02'", "t:2026-01-02T00:00:00");
    COL("ts", "{'$long':1767323045123}", "t:2026-01-02T03:04:05.123");
    COL("ts", "{'$ts':'2026-01-02T03:04:05.9999Z'}", "t:2026-01-02T03:04:06");
    /* BOOLEAN from text */
    COL("b", "'TRUE'", "true");
    COL("b", "'yes'", "false");
    /* BINARY from base64 text */
    COL("bin", "'AAEC'", "b:000102");
    COL("bin", "'AAE'", "b:0001");
    COL("fb", "'q80='", "b:abcd");
    /* SQL NULL and JSON null */
    COL("s", "null", "null");
    COL("s", "{'$jnull':0}", "null");
    COL("j", "null", "jnull");
    COL("j", "{'$jnull':0}", "jnull");
    COL("j", "{'$ts':'x'}", "\"x\"");
    COL("j", "{'$num':'2.50'}", "n:2.5");
    COL("j", "{'b':{'c':[]},'a':{}}", "{b:{c:[]},a:{}}");
    /* borneo's JSON value comes back as sent (its test compares OrderedDicts) */
    COL("j", "{'json_1':1,'json_2':null,'location':{'type':'point','coordinates':[23.549,35.2908]}}",
        "{json_1:i:1,json_2:jnull,location:{type:\"point\",coordinates:[d:23.548999999999999,"
        "d:35.290799999999997]}}");
    /* RECORD from ARRAY by position */
    COL("r", "[1, 'p']", "{x:i:1,y:\"p\"}");
    COL("r", "[1]", "{x:i:1,y:\"dy\"}");
    schema_free(s);
}
END_TEST

START_TEST(rejections)
{
    schema_t *s = mk(TBL);
    put_fails(s, "{'sk':'k'}", false, "Missing primary key field: id");
    put_fails(s, "{'id':1,'sk':null}", false, "Key field can not be null: sk");
    put_fails(s, "{'id':{'$jnull':0},'sk':'k'}", false, "Key field can not be null: id");
    put_fails(s, "{'id':{'$empty':0},'sk':'k'}", false, "Missing primary key field: id");
    put_fails(s, "[1,2]", false, "must be a MAP");
    col_fails(s, "s", "5", "Invalid value for field 's': expected STRING, got INTEGER");
    col_fails(s, "e", "1", "Invalid value for field 'e': expected ENUM, got INTEGER");
    col_fails(s, "e", "'Green'", "'Green' is not one of the ENUM's symbols");
    col_fails(s, "l", "1.5", "converting double to long loses information");
    col_fails(s, "l", "'12x'", "Invalid string for Long: 12x");
    col_fails(s, "l", "{'$num':'9223372036854775808'}", "Long overflow");
    col_fails(s, "d", "{'$long':9007199254740993}", "long to double loses information");
    col_fails(s, "d", "{'$num':'0.10000000000000000001'}", "decimal to double loses");
    col_fails(s, "d", "true", "expected DOUBLE, got BOOLEAN");
    col_fails(s, "f", "1e300", "double to float loses information");
    col_fails(s, "f", "1e-300", "double to float loses information");
    col_fails(s, "f", "{'$long':16777217}", "long to float loses information");
    col_fails(s, "n", "'abc'", "Invalid NUMBER value 'abc'");
    col_fails(s, "n", "{'$num':'NaN'}", "Invalid NUMBER value");
    col_fails(s, "n", "true", "expected NUMBER, got BOOLEAN");
    col_fails(s, "b", "1", "expected BOOLEAN, got INTEGER");
    col_fails(s, "bin", "'***'", "not base64");
    col_fails(s, "bin", "5", "expected BINARY, got INTEGER");
    col_fails(s, "fb", "{'$bin':'aabbcc'}", "FIXED_BINARY(2) needs exactly 2 bytes, got 3");
    col_fails(s, "ts", "'2026-13-01'", "Failed to parse the timestamp string '2026-13-01'");
    col_fails(s, "ts", "{'$long':253402300800000}", "outside the supported range");
    col_fails(s, "ts", "true", "expected TIMESTAMP, got BOOLEAN");
    col_fails(s, "nn", "null", "Invalid null value for non-nullable field 'nn'");
    col_fails(s, "a", "[1,null]", "Unexpected NULL value in map or array");
    col_fails(s, "a", "[1,true]", "Invalid value for field 'a[]': expected INTEGER, got BOOLEAN");
    col_fails(s, "a", "{'x':1}", "expected ARRAY, got MAP");
    col_fails(s, "m", "{'k':1}", "Invalid value for field 'm.k': expected STRING, got INTEGER");
    col_fails(s, "m", "[]", "expected MAP, got ARRAY");
    col_fails(s, "r", "{'x':[]}", "Invalid value for field 'r.x': expected INTEGER, got ARRAY");
    col_fails(s, "r", "5", "Expected MAP or ARRAY for a RECORD");
    col_fails(s, "j", "[{'$empty':0}]", "Invalid driver type for JSON: EMPTY");
    col_fails(s, "m", "{'k':{'$empty':0}}", "expected STRING, got EMPTY");
    /* EMPTY for a whole column means "not given" */
    ck_assert_str_eq(col(s, "nn", "{'$empty':0}"), "\"def\"");
    /* exact match */
    put_ok(s, "{'id':1,'sk':'k','extra':5}", false);
    put_fails(s, "{'id':1,'sk':'k','extra':5}", true, "unknown field 'extra'");
    put_fails(s, "{'id':1,'sk':'k','r':{'x':1,'zz':2}}", true, "Unknown field 'zz'");
    put_fails(s, "{'id':1,'sk':'k','r':[1]}", true, "it has 1 elements");
    schema_free(s);
}
END_TEST

START_TEST(defaults_and_names)
{
    schema_t *s = mk(TBL);
    row_parts_t p = put_ok(s, "{'ID':2,'Sk':'x','R':{},'NN':'v'}", false);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sk:\"x\",id:i:2}");
    ck_assert_str_eq(R(p.value, p.value_len),
        "{l:null,f:null,d:null,n:null,s:null,b:null,bin:null,fb:null,ts:null,e:null,j:null,"
        "a:null,m:null,r:{x:null,y:\"dy\"},nn:\"v\"}");
    p = put_ok(s, "{'id':2,'sk':'x'}", false);
    ck_assert_str_eq(R(p.value, p.value_len),
        "{l:null,f:null,d:null,n:null,s:null,b:null,bin:null,fb:null,ts:null,e:null,j:null,"
        "a:null,m:null,r:null,nn:\"def\"}");
    /* the last of duplicate names wins, also in maps */
    p = put_ok(s, "{'id':2,'sk':'x','s':'one','S':'two'}", false);
    ck_assert_ptr_nonnull(strstr(R(p.value, p.value_len), "s:\"two\""));
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "id", 3);
    nson_w_kv_string(&w, "sk", "k");
    nson_w_key(&w, "m");
    nson_w_map_begin(&w);
    nson_w_kv_string(&w, "b", "1");
    nson_w_kv_string(&w, "a", "2");
    nson_w_kv_string(&w, "b", "3");
    nson_w_map_end(&w);
    nson_w_map_end(&w);
    cs_error_t e;
    nson_value_t *v = nson_decode(&A, b.data, b.len, false, &e);
    buf_free(&b);
    ck_assert(row_encode(&A, s, v, NULL, &p, &e) == CS_OK);
    ck_assert_ptr_nonnull(strstr(R(p.value, p.value_len), "m:{a:\"2\",b:\"3\"}"));
    schema_free(s);
    /* map keys keep the order sent; keys differing only in case are distinct */
    s = mk("CREATE TABLE u(id INTEGER, m MAP(INTEGER), PRIMARY KEY(id))");
    p = put_ok(s, "{'id':1,'m':{'\xef\xbf\xbd':1,'\xf0\x90\x80\x80':2,'b':3,'B':4}}", false);
    ck_assert_str_eq(R(p.value, p.value_len),
                     "{m:{\xef\xbf\xbd:i:1,\xf0\x90\x80\x80:i:2,b:i:3,B:i:4}}");
    schema_free(s);
}
END_TEST

START_TEST(identity_generation)
{
    schema_t *s = mk("CREATE TABLE t(sid INTEGER, id LONG GENERATED ALWAYS AS IDENTITY, "
                     "name STRING, PRIMARY KEY(SHARD(sid), id))");
    gen_t g = {.next = 1, .limit = 2};
    row_opts_t o = {.next_identity = next_id, .ctx = &g};
    row_parts_t p;
    cs_error_t e = {0};
    ck_assert(row_encode(&A, s, V("{'name':'myname','extra':'extra','sid':1}"), &o, &p, &e) == CS_OK);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{sid:i:1,id:l:1}");
    ck_assert_str_eq(R(p.generated, p.generated_len), "l:1");
    ck_assert(row_encode(&A, s, V("{'sid':1,'id':5}"), &o, &p, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Value should not be set for a generated always "
                                        "identity column: id"));
    ck_assert(row_encode(&A, s, V("{'sid':1,'id':null}"), &o, &p, &e) == CS_EINVAL);
    ck_assert(row_encode(&A, s, V("{'sid':1}"), &o, &p, &e) == CS_OK);
    ck_assert(row_encode(&A, s, V("{'sid':1}"), &o, &p, &e) == CS_EINVAL);   /* exhausted */
    ck_assert_ptr_nonnull(strstr(e.msg, "reached its limit"));
    ck_assert(row_encode(&A, s, V("{'sid':1}"), NULL, &p, &e) == CS_EINVAL);
    /* get/delete may name the identity column */
    key_parts_t k;
    ck_assert(row_encode_key(&A, s, V("{'sid':1,'id':1}"), false, &k, &e) == CS_OK);
    schema_free(s);
}
END_TEST

START_TEST(identity_by_default_and_uuid)
{
    schema_t *s = mk("CREATE TABLE t(id INTEGER, g INTEGER GENERATED BY DEFAULT AS IDENTITY, "
                     "PRIMARY KEY(id))");
    gen_t g = {.next = 7, .limit = INT64_MAX};
    row_opts_t o = {.next_identity = next_id, .ctx = &g};
    row_parts_t p;
    cs_error_t e = {0};
    ck_assert(row_encode(&A, s, V("{'id':1,'g':42}"), &o, &p, &e) == CS_OK);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_ptr_null(p.generated);
    ck_assert_str_eq(R(p.value, p.value_len), "{g:i:42}");
    ck_assert(row_encode(&A, s, V("{'id':1,'g':null}"), &o, &p, &e) == CS_OK);
    ck_assert_str_eq(R(p.value, p.value_len), "{g:null}");   /* no ON NULL: a null stays */
    ck_assert(row_encode(&A, s, V("{'id':1}"), &o, &p, &e) == CS_OK);
    ck_assert_str_eq(R(p.generated, p.generated_len), "i:7");
    ck_assert_str_eq(R(p.value, p.value_len), "{g:i:7}");
    g.next = 3000000000LL;   /* beyond INTEGER: refused, not wrapped */
    ck_assert(row_encode(&A, s, V("{'id':1}"), &o, &p, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "out of range for INTEGER"));
    schema_free(s);

    s = mk("CREATE TABLE t(id INTEGER, g NUMBER GENERATED BY DEFAULT ON NULL AS IDENTITY, "
           "PRIMARY KEY(id))");
    g.next = 100;
    ck_assert(row_encode(&A, s, V("{'id':1,'g':null}"), &o, &p, &e) == CS_OK);
    ck_assert_str_eq(R(p.generated, p.generated_len), "n:1E+2");
    schema_free(s);

    s = mk("CREATE TABLE t(u STRING AS UUID GENERATED BY DEFAULT, v STRING AS UUID, "
           "PRIMARY KEY(u))");
    gen_t r = {.fill = 0xAB};
    row_opts_t ro = {.random16 = rand16, .ctx = &r};
    ck_assert(row_encode(&A, s, V("{'v':'0A1B2C3D-0000-4000-8000-00000000000F'}"), &ro, &p, &e)
              == CS_OK);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_str_eq(R(p.generated, p.generated_len), "\"abababab-abab-4bab-abab-abababababab\"");
    ck_assert_str_eq(R(p.keymap, p.keymap_len), "{u:\"abababab-abab-4bab-abab-abababababab\"}");
    ck_assert_str_eq(R(p.value, p.value_len), "{v:\"0a1b2c3d-0000-4000-8000-00000000000f\"}");
    ck_assert_uint_eq(p.key_len, 16);
    ck_assert(row_encode(&A, s, V("{'u':'not-a-uuid'}"), &ro, &p, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Invalid UUID string: not-a-uuid"));
    ck_assert(row_encode(&A, s, V("{'u':'0a1b2c3d-0000-4000-8000-00000000000f'}"), &ro, &p, &e)
              == CS_OK);
    ck_assert_ptr_null(p.generated);
    schema_free(s);
}
END_TEST

START_TEST(keys)
{
    schema_t *s = mk("CREATE TABLE t(a STRING, b INTEGER, c TIMESTAMP(0), v STRING, "
                     "PRIMARY KEY(SHARD(a), b, c))");
    row_parts_t p = put_ok(s, "{'a':'x','b':1,'c':'2026-01-01T00:00:00.4Z','v':'q'}", false);
    key_parts_t k;
    cs_error_t e = {0};
    ck_assert(row_encode_key(&A, s, V("{'c':'2026-01-01','B':1,'a':'x'}"), false, &k, &e) == CS_OK);
    ck_assert_uint_eq(k.key_len, p.key_len);     /* the same bytes as the row's key */
    ck_assert(memcmp(k.key, p.key, p.key_len) == 0);
    ck_assert_uint_eq(k.shard_len, p.shard_len);
    ck_assert_uint_eq(k.ncols, 3);
    ck_assert_str_eq(R(k.keymap, k.keymap_len), "{a:\"x\",b:i:1,c:t:2026-01-01T00:00:00}");
    ck_assert(row_encode_key(&A, s, V("{'a':'x','b':1}"), false, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Missing primary key field: c"));
    ck_assert(row_encode_key(&A, s, V("{'a':'x','b':1,'c':0,'v':'q'}"), false, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Field 'v' is not a primary key field"));
    ck_assert(row_encode_key(&A, s, V("{'a':'x','b':1,'c':0,'zz':1}"), false, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "'zz'"));
    ck_assert(row_encode_key(&A, s, V("{'a':'x','b':null,'c':0}"), false, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Key field can not be null: b"));
    /* partial keys (MultiDelete) */
    ck_assert(row_encode_key(&A, s, V("{'a':'x'}"), true, &k, &e) == CS_OK);
    ck_assert_uint_eq(k.ncols, 1);
    ck_assert_uint_eq(k.key_len, p.shard_len);
    ck_assert(memcmp(k.key, p.key, k.key_len) == 0);
    ck_assert(row_encode_key(&A, s, V("{'a':'x','b':1}"), true, &k, &e) == CS_OK);
    ck_assert_uint_eq(k.ncols, 2);
    ck_assert(memcmp(k.key, p.key, k.key_len) == 0);
    ck_assert(row_encode_key(&A, s, V("{'b':1}"), true, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Missing shard key field: a"));
    ck_assert(row_encode_key(&A, s, V("{'a':'x','c':0}"), true, &k, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a prefix of the primary key"));
    ck_assert(row_encode_key(&A, s, V("5"), true, &k, &e) == CS_EINVAL);
    schema_free(s);
}
END_TEST

static int kcmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    return c ? c : (an > bn) - (an < bn);
}

static bool in_range(const key_range_t *r, const uint8_t *k, size_t n)
{
    return kcmp(k, n, r->start, r->start_len) >= 0 && (!r->end || kcmp(k, n, r->end, r->end_len) < 0);
}

START_TEST(ranges)
{
    schema_t *s = mk("CREATE TABLE t(sk STRING, id INTEGER, v STRING, PRIMARY KEY(SHARD(sk), id))");
    const uint8_t *keys[12];
    size_t lens[12];
    /* rows sk in {"a", "a\0"-free "ab", "b"} x id in {4, 5, 9, 10} */
    const char *sks[3] = {"a", "ab", "b"};
    int ids[4] = {4, 5, 9, 10};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            char row[64];
            snprintf(row, sizeof row, "{'sk':'%s','id':%d}", sks[i], ids[j]);
            row_parts_t p = put_ok(s, row, false);
            keys[i * 4 + j] = p.key;
            lens[i * 4 + j] = p.key_len;
        }
    key_parts_t pre;
    key_range_t r;
    cs_error_t e = {0};
    ck_assert(row_encode_key(&A, s, V("{'sk':'a'}"), true, &pre, &e) == CS_OK);
    /* no range: every id of shard "a", nothing of "ab" or "b" */
    ck_assert(row_encode_range(&A, s, &pre, NULL, &r, &e) == CS_OK);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(in_range(&r, keys[i], lens[i]), i < 4);
    /* [5, 10) */
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','sr':{'l':5,'in':true},"
                                             "'en':{'l':10,'in':false}}"), &r, &e) == CS_OK);
    bool want1[4] = {false, true, true, false};
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(in_range(&r, keys[j], lens[j]), want1[j]);
    for (int i = 4; i < 12; i++)
        ck_assert(!in_range(&r, keys[i], lens[i]));
    /* (5, 10] */
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'ID','sr':{'l':5,'in':false},"
                                             "'en':{'l':'10','in':true}}"), &r, &e) == CS_OK);
    bool want2[4] = {false, false, true, true};
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(in_range(&r, keys[j], lens[j]), want2[j]);
    /* only a start; only an end */
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','sr':{'l':9,'in':true}}"), &r, &e) == CS_OK);
    bool want3[4] = {false, false, true, true};
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(in_range(&r, keys[j], lens[j]), want3[j]);
    ck_assert(!in_range(&r, keys[4], lens[4]));
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','en':{'l':5,'in':false}}"), &r, &e) == CS_OK);
    bool want4[4] = {true, false, false, false};
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(in_range(&r, keys[j], lens[j]), want4[j]);
    /* errors */
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'v','sr':{'l':'x'}}"), &r, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "must be the next primary key field after the given key, id"));
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id'}"), &r, &e) == CS_EINVAL);
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','sr':{'l':'x'}}"), &r, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Invalid string for Integer"));
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','sr':{'in':true}}"), &r, &e) == CS_EINVAL);
    ck_assert(row_encode_key(&A, s, V("{'sk':'a','id':4}"), true, &pre, &e) == CS_OK);
    ck_assert(row_encode_range(&A, s, &pre, V("{'rp':'id','sr':{'l':1}}"), &r, &e) == CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "already names every primary key field"));
    schema_free(s);
}
END_TEST

START_TEST(full_rows_after_alter)
{
    schema_t *s = mk("CREATE TABLE t(id INTEGER, a STRING, r RECORD(x INTEGER, y STRING), "
                     "b LONG, PRIMARY KEY(id))");
    row_parts_t p = put_ok(s, "{'id':1,'a':'A','r':{'x':1,'y':'Y'},'b':2}", false);
    buf_t out;
    nson_writer_t w;
    buf_init(&out, 0);
    nson_writer_init(&w, &out);
    ck_assert(row_write_full(&w, s, p.keymap, p.keymap_len, p.value, p.value_len) == CS_OK);
    ck_assert_str_eq(R(out.data, out.len), "{id:i:1,a:\"A\",r:{x:i:1,y:\"Y\"},b:l:2}");
    schema_t *s2 = alt(s, "ALTER TABLE t (DROP a, ADD c STRING DEFAULT 'cc', ADD d INTEGER, "
                          "DROP r.y, ADD r.z BOOLEAN DEFAULT true)");
    buf_reset(&out);
    nson_writer_init(&w, &out);
    ck_assert(row_write_full(&w, s2, p.keymap, p.keymap_len, p.value, p.value_len) == CS_OK);
    ck_assert_str_eq(R(out.data, out.len), "{id:i:1,r:{x:i:1,z:true},b:l:2,c:\"cc\",d:null}");
    /* inside a Get reply */
    buf_reset(&out);
    nson_writer_init(&w, &out);
    nson_w_map_begin(&w);
    nson_w_key(&w, "l");
    ck_assert(row_write_full(&w, s2, p.keymap, p.keymap_len, p.value, p.value_len) == CS_OK);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    ck_assert(row_write_full(&w, s2, p.value, p.value_len - 1, p.value, p.value_len) ==
              CS_ECORRUPT);
    ck_assert(row_write_full(&w, s2, (const uint8_t *)"\x04\x80", 2, p.value, p.value_len) ==
              CS_ECORRUPT);
    buf_free(&out);
    schema_free(s2);
    schema_free(s);
}
END_TEST

START_TEST(limits)
{
    schema_t *s = mk(TBL);
    /* JSON nested past ROW_MAX_DEPTH */
    char deep[1024];
    size_t k = (size_t)snprintf(deep, sizeof deep, "{'id':1,'sk':'k','j':");
    for (int i = 0; i < ROW_MAX_DEPTH + 5; i++)
        deep[k++] = '[';
    deep[k++] = '1';
    for (int i = 0; i < ROW_MAX_DEPTH + 5; i++)
        deep[k++] = ']';
    snprintf(deep + k, sizeof deep - k, "}");
    put_fails(s, deep, false, "nested too deeply");
    /* a small arena: CS_ENOMEM, never a crash */
    for (size_t cap = 64; cap < 8192; cap += 97) {
        arena_t small;
        arena_init(&small, cap);
        row_parts_t p;
        cs_error_t e;
        nson_value_t *v = V("{'sk':'a','id':1,'n':{'$num':'12345.678'},'j':{'b':[1,2,{'c':3}]},"
                            "'m':{'z':'1','y':'2'},'s':'xyz','bin':{'$bin':'0011'}}");
        cs_err_t rc = row_encode(&small, s, v, NULL, &p, &e);
        ck_assert(rc == CS_OK || rc == CS_ENOMEM);
        arena_free(&small);
    }
    /* a huge map with many duplicate keys stays cheap and keeps the last value */
    {
        buf_t b;
        nson_writer_t w;
        buf_init(&b, 0);
        nson_writer_init(&w, &b);
        nson_w_map_begin(&w);
        nson_w_kv_int(&w, "id", 1);
        nson_w_kv_string(&w, "sk", "k");
        nson_w_key(&w, "m");
        nson_w_map_begin(&w);
        for (int i = 0; i < 50000; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", i % 1000);
            char val[16];
            snprintf(val, sizeof val, "%d", i);
            nson_w_kv_string(&w, key, val);
        }
        nson_w_map_end(&w);
        nson_w_map_end(&w);
        cs_error_t e;
        nson_value_t *v = nson_decode(&A, b.data, b.len, false, &e);
        buf_free(&b);
        ck_assert_ptr_nonnull(v);
        row_parts_t p;
        ck_assert(row_encode(&A, s, v, NULL, &p, &e) == CS_OK);
        nson_value_t *out = nson_decode(&A, p.value, p.value_len, false, &e);
        const nson_value_t *m = nson_map_get(out, "m");
        ck_assert_uint_eq(m->u.map.count, 1000);
        ck_assert_str_eq(m->u.map.items[0].key, "k0");
        ck_assert_str_eq(m->u.map.items[0].val->u.str.ptr, "49000");
        ck_assert_str_eq(m->u.map.items[999].val->u.str.ptr, "49999");
    }
    /* random values of random types in every column: never a crash */
    static const char *const vals[] = {
        "1", "-1", "{'$long':-5}", "2.5", "1e308", "'x'", "''", "'2026-01-01'", "true", "null",
        "{'$jnull':0}", "{'$empty':0}", "{'$num':'1E+9999999'}", "{'$num':'-0.5'}",
        "{'$bin':''}", "{'$bin':'00ff'}", "{'$ts':'bad'}", "[]", "[1,[2]]", "{}", "{'x':1}",
        "{'X':'y','x':[null]}", "'AAAA'", "'green'", "'NaN'", "'-Infinity'", "{'$dbl':-0.0}",
    };
    const char *cols[] = {"id", "sk", "l", "f", "d", "n", "s", "b", "bin", "fb", "ts", "e", "j",
                          "a", "m", "r", "nn", "zz"};
    uint64_t r = 42;
    for (int i = 0; i < 3000; i++) {
        char row[512];
        size_t n = (size_t)snprintf(row, sizeof row, "{");
        for (int c = 0; c < 4; c++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            n += (size_t)snprintf(row + n, sizeof row - n, "%s'%s':%s", c ? "," : "",
                                  cols[(r >> 33) % 18], vals[(r >> 45) % (sizeof vals / sizeof vals[0])]);
        }
        snprintf(row + n, sizeof row - n, "}");
        row_parts_t p;
        cs_error_t e;
        gen_t g = {.next = 1, .limit = 10};
        row_opts_t o = {.exact_match = i % 2, .next_identity = next_id, .random16 = rand16, .ctx = &g};
        cs_err_t rc = row_encode(&A, s, V(row), &o, &p, &e);
        ck_assert(rc == CS_OK || rc == CS_EINVAL);
        if (rc == CS_OK) {
            buf_t out;
            nson_writer_t w;
            buf_init(&out, 0);
            nson_writer_init(&w, &out);
            ck_assert(row_write_full(&w, s, p.keymap, p.keymap_len, p.value, p.value_len) == CS_OK);
            ck_assert(nson_writer_ok(&w));
            buf_free(&out);
        }
    }
    schema_free(s);
}
END_TEST

START_TEST(base64)
{
    char out[64];
    uint8_t b[64];
    size_t n;
    ck_assert_uint_eq(row_base64_encode((const uint8_t *)"ab", 2, out), 4);
    ck_assert_str_eq(out, "YWI=");
    ck_assert(row_base64_decode("YWI=", 4, b, &n) && n == 2 && !memcmp(b, "ab", 2));
    ck_assert(row_base64_decode("YWI", 3, b, &n) && n == 2);
    ck_assert(row_base64_decode("", 0, b, &n) && n == 0);
    ck_assert(!row_base64_decode("Y", 1, b, &n));
    ck_assert(!row_base64_decode("Y W=", 4, b, &n));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("row");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, every_type);
    tcase_add_test(core, coercions);
    tcase_add_test(core, defaults_and_names);
    tcase_add_test(core, identity_generation);
    tcase_add_test(core, identity_by_default_and_uuid);
    tcase_add_test(core, keys);
    tcase_add_test(core, ranges);
    tcase_add_test(core, full_rows_after_alter);
    tcase_add_test(core, base64);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_add_test(lim, rejections);
    tcase_add_test(lim, limits);
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
