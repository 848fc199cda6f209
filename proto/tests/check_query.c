/*
 * check_query.c - the query subset: parsing every supported construct,
 * clear refusals (CS_ENOTSUP naming the construct) and syntax errors
 * (CS_EINVAL with a position), the schema check, bind variables, and the
 * evaluator: three-valued logic with NULLs, comparisons across numeric
 * types, strings, timestamps, binaries, arrays and maps, paths into JSON,
 * records and maps, result names, key prefixes; limits (deep nesting, long
 * texts, small arenas, token soup) without crashes.
 *
 * Rows are written in a compact JSON with single quotes; objects with one
 * "$" key make the other NSON types: {'$long':5} LONG, {'$num':'1.5'}
 * NUMBER, {'$ts':'...'} TIMESTAMP, {'$bin':'00ff'} BINARY, {'$jnull':0}
 * JSON_NULL, {'$dbl':5} DOUBLE; JSON null is SQL NULL. Results are rendered
 * compactly: i:1 l:1 d:1.5 n:1.5 t:... b:00ff "s" true null jnull.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "query.h"
#include "nson_lit.h"
#include "schema.h"

static arena_t A;
static schema_t *S;

#define TABLE_DDL                                                                             \
    "CREATE TABLE users (id INTEGER, sk STRING, name STRING, age INTEGER, big LONG, "          \
    "score DOUBLE, amount NUMBER, ts TIMESTAMP(3), flag BOOLEAN, info JSON, "                \
    "tags ARRAY(STRING), attrs MAP(INTEGER), rec RECORD(Alpha INTEGER, beta STRING), "        \
    "bin BINARY, color ENUM(red, green), PRIMARY KEY(SHARD(sk), id))"

static schema_t *mk(const char *ddl)
{
    ddl_stmt_t *st;
    cs_error_t e;
    ck_assert_msg(ddl_parse(ddl, &st, &e) == CS_OK, "%s", e.msg);
    schema_t *s = schema_create(st, NULL, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ddl_free(st);
    return s;
}

static void setup(void)
{
    arena_init(&A, 64 << 20);
    S = mk(TABLE_DDL);
}

static void teardown(void)
{
    schema_free(S);
    arena_free(&A);
}

/* ---- building values ---- */

#define V(text) nson_lit(&A, text)

/* ---- rendering results ---- */


/* A string owned by the test arena. */
static const char *R(const nson_value_t *v)
{
    buf_t o;
    buf_init(&o, 0);
    nson_lit_render(&o, v);
    buf_putc(&o, '\0');
    char *s = arena_strndup(&A, (const char *)o.data, o.len);
    buf_free(&o);
    return s;
}

/* ---- running statements ---- */

static cs_error_t E;

/* Parse (and check against S); CS_OK or the error, message in E. */
static cs_err_t prep(const char *sql, query_t **q)
{
    cs_error_clear(&E);
    cs_err_t rc = query_parse(&A, sql, strlen(sql), q, &E);
    if (rc == CS_OK)
        rc = query_check(*q, S, &E);
    return rc;
}

static query_t *ok_query(const char *sql, const char *bv)
{
    query_t *q;
    ck_assert_msg(prep(sql, &q) == CS_OK, "%s: %s", sql, E.msg);
    ck_assert_msg(query_bind(q, bv ? V(bv) : NULL, &E) == CS_OK, "%s: %s", sql, E.msg);
    return q;
}

/* 1 match, 0 no match, -1 error (message in E) */
static int where(const char *cond, const char *row)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT * FROM users u WHERE %s", cond);
    query_t *q = ok_query(sql, NULL);
    bool m;
    arena_t scratch;
    arena_init(&scratch, 1 << 20);
    cs_err_t rc = query_filter(q, &scratch, V(row), &m, &E);
    arena_free(&scratch);
    return rc != CS_OK ? -1 : m;
}

/* The projected result of "SELECT <list> FROM users u" on row. */
static const char *sel_bv(const char *list, const char *row, const char *bv)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM users u", list);
    query_t *q = ok_query(sql, bv);
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    arena_t scratch;
    arena_init(&scratch, 1 << 20);
    cs_err_t rc = query_project(q, &scratch, V(row), &w, &E);
    arena_free(&scratch);
    const char *out = "error";
    if (rc == CS_OK) {
        ck_assert(nson_writer_ok(&w));
        cs_error_t e;
        nson_value_t *v = nson_decode(&A, b.data, b.len, false, &e);
        ck_assert_msg(v != NULL, "%s", e.msg);
        out = R(v);
    }
    buf_free(&b);
    return out;
}

static const char *sel(const char *list, const char *row)
{
    return sel_bv(list, row, NULL);
}

/* The value of one boolean expression: "true", "false", "null" or "error". */
static const char *tv(const char *expr, const char *row)
{
    char list[512];
    snprintf(list, sizeof list, "%s AS r", expr);
    const char *s = sel(list, row);
    if (!strcmp(s, "error"))
        return s;
    ck_assert_msg(!strncmp(s, "{r:", 3), "%s", s);
    char *v = arena_strndup(&A, s + 3, strlen(s) - 4);
    return v;
}

static void refused(const char *sql, cs_err_t want, const char *needle)
{
    query_t *q;
    cs_err_t rc = prep(sql, &q);
    ck_assert_msg(rc == want, "%s: got %s (%s), want %s", sql, cs_strerror(rc), E.msg,
                  cs_strerror(want));
    ck_assert_msg(strstr(E.msg, needle) != NULL, "%s: message '%s' lacks '%s'", sql, E.msg,
                  needle);
}

/* ------------------------------------------------------------------------
 * Core
 * ------------------------------------------------------------------------ */

START_TEST(parse_statements)
{
    query_t *q;
    query_exec_t x;
    ck_assert_int_eq(prep("SELECT * FROM users", &q), CS_OK);
    ck_assert_str_eq(query_table(q), "users");
    ck_assert_int_eq(query_bind(q, NULL, &E), CS_OK);
    query_exec_info(q, &x);
    ck_assert(x.select_star && !x.count_star && !x.desc);
    ck_assert_int_eq(x.limit, -1);
    ck_assert_int_eq(x.offset, 0);

    /* keywords in any case, comments, hints, trailing ';', DECLARE */
    ck_assert_int_eq(prep("declare $a integer; $b string; /* c */ select id, NAME "
                          "# line\n from Users AS x // x\n where x.age > $a and sk = $b;", &q),
                     CS_OK);
    ck_assert_str_eq(query_table(q), "Users");
    ck_assert_int_eq(prep("SELECT /*+ FORCE_PRIMARY_INDEX(users) */ * FROM users", &q), CS_OK);
    ck_assert_int_eq(prep("DECLARE $t TIMESTAMP(3); $m MAP(ARRAY(INTEGER)); SELECT * FROM users "
                          "WHERE ts < $t", &q), CS_OK);

    ck_assert_int_eq(prep("SELECT * FROM users ORDER BY sk DESC, id DESC NULLS LAST "
                          "LIMIT 5 OFFSET 2", &q), CS_OK);
    ck_assert_int_eq(query_bind(q, NULL, &E), CS_OK);
    query_exec_info(q, &x);
    ck_assert(x.desc);
    ck_assert_int_eq(x.limit, 5);
    ck_assert_int_eq(x.offset, 2);
    ck_assert_int_eq(prep("SELECT * FROM users u ORDER BY u.sk", &q), CS_OK);

    ck_assert_int_eq(prep("SELECT count(*) FROM users WHERE age >= 18", &q), CS_OK);
    ck_assert_int_eq(query_bind(q, NULL, &E), CS_OK);
    query_exec_info(q, &x);
    ck_assert(x.count_star);
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    query_write_count(q, 12, &w);
    cs_error_t e;
    nson_value_t *v = nson_decode(&A, b.data, b.len, false, &e);
    ck_assert_str_eq(R(v), "{Column_1:l:12}");
    buf_free(&b);
    ck_assert_int_eq(prep("SELECT count(*) AS n FROM users", &q), CS_OK);
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    query_write_count(q, 0, &w);
    ck_assert_str_eq(R(nson_decode(&A, b.data, b.len, false, &e)), "{n:l:0}");
    buf_free(&b);

    /* a child table, and its default alias with '_' */
    schema_free(S);
    S = mk("CREATE TABLE users (sk STRING, id INTEGER, PRIMARY KEY(SHARD(sk), id))");
    ck_assert_int_eq(prep("SELECT users_child.id FROM users.child", &q), CS_OK);
    ck_assert_str_eq(query_table(q), "users.child");
    ck_assert_int_eq(prep("SELECT $c.id FROM users $c WHERE $c.sk = 'a'", &q), CS_OK);
    ck_assert_int_eq(prep("SELECT `id` FROM `users`", &q), CS_OK);
}
END_TEST

START_TEST(result_names)
{
    const char *row = "{'id':1,'sk':'a','name':'jo','info':{'a':{'b':7}},'rec':{'Alpha':3,"
                      "'beta':'x'}}";
    ck_assert_str_eq(sel("id, name", row), "{id:i:1,name:\"jo\"}");
    ck_assert_str_eq(sel("ID, u.NAME", row), "{ID:i:1,NAME:\"jo\"}");
    /* names as written, also where the schema's case differs */
    ck_assert_str_eq(sel("u.info.a.b, u.rec.alpha", row), "{b:i:7,alpha:i:3}");
    ck_assert_str_eq(sel("name AS who, 42, 'x', id = 1", row),
                     "{who:\"jo\",Column_2:i:42,Column_3:\"x\",Column_4:true}");
    /* a repeated derived name becomes Column_<i> */
    ck_assert_str_eq(sel("u.info.a.b, u.rec.beta AS b2, u.info.a.b", row),
                     "{b:i:7,b2:\"x\",Column_3:i:7}");
    ck_assert_str_eq(sel_bv("$v, ?", row, "[{'m':'$v','l':1},{'m':'#1','l':2}]"),
                     "{v:i:1,Column_2:i:2}");
    query_t *q;
    ck_assert_int_eq(prep("SELECT $u FROM users $u", &q), CS_OK);
    refused("SELECT id AS a, name AS a FROM users", CS_EINVAL, "Duplicate column name");
}
END_TEST

START_TEST(literals)
{
    const char *row = "{'id':1}";
    ck_assert_str_eq(sel("1 AS a, -7 AS b, 2147483648 AS c, 9223372036854775808 AS d", row),
                     "{a:i:1,b:i:-7,c:l:2147483648,d:n:9223372036854775808}");
    ck_assert_str_eq(sel("1.5 AS a, -1e3 AS b, 0.1000000000000000000001 AS c, 12n AS d, "
                         "1.50n AS e", row),
                     "{a:d:1.5,b:d:-1000,c:n:0.1000000000000000000001,d:n:12,e:n:1.5}");
}
END_TEST

START_TEST(string_literals)
{
    const char *row = "{'id':1}";
    ck_assert_str_eq(sel("'a\\'b' AS a, \"q\\\"\" AS b, 'tab\\tx' AS c", row),
                     "{a:\"a'b\",b:\"q\"\",c:\"tab\tx\"}");
    ck_assert_str_eq(sel("'\\u00e9\\ud83d\\ude00' AS a", row), "{a:\"\xc3\xa9\xf0\x9f\x98\x80\"}");
    ck_assert_str_eq(sel("true AS t, FALSE AS f, null AS n", row), "{t:true,f:false,n:jnull}");
}
END_TEST

START_TEST(three_valued_logic)
{
    const char *row = "{'id':1,'sk':'a','age':null,'flag':true,'info':{'x':{'$jnull':0}}}";
    /* comparisons with SQL NULL are unknown */
    ck_assert_str_eq(tv("age = 1", row), "null");
    ck_assert_str_eq(tv("age != 1", row), "null");
    ck_assert_str_eq(tv("age < 1", row), "null");
    /* AND / OR / NOT */
    ck_assert_str_eq(tv("age = 1 AND id = 2", row), "false");
    ck_assert_str_eq(tv("age = 1 AND id = 1", row), "null");
    ck_assert_str_eq(tv("age = 1 OR id = 1", row), "true");
    ck_assert_str_eq(tv("age = 1 OR id = 2", row), "null");
    ck_assert_str_eq(tv("NOT (age = 1)", row), "null");
    ck_assert_str_eq(tv("NOT id = 2", row), "true");
    ck_assert_str_eq(tv("id = 2 OR id = 3 OR id = 1 OR age = 1", row), "true");
    ck_assert_str_eq(tv("(id = 1 OR age = 5) AND (flag = true)", row), "true");
    ck_assert_str_eq(tv("flag AND id = 1", row), "true");
    /* IS NULL: SQL NULL only; JSON null and a missing field are not NULL */
    ck_assert_str_eq(tv("age IS NULL", row), "true");
    ck_assert_str_eq(tv("age IS NOT NULL", row), "false");
    ck_assert_str_eq(tv("u.info.x IS NULL", row), "false");
    ck_assert_str_eq(tv("u.info.nope IS NULL", row), "false");
    ck_assert_str_eq(tv("u.info.nope IS NOT NULL", row), "true");
    /* JSON null equals only JSON null */
    ck_assert_str_eq(tv("u.info.x = null", row), "true");
    ck_assert_str_eq(tv("u.info.x != null", row), "false");
    ck_assert_str_eq(tv("u.info.x = 0", row), "false");
    ck_assert_str_eq(tv("u.info.x != 0", row), "true");
    ck_assert_str_eq(tv("u.info.x < 0", row), "false");
    /* empty operands: both empty are equal, one empty is false (true for !=) */
    ck_assert_str_eq(tv("u.info.a = u.info.b", row), "true");
    ck_assert_str_eq(tv("u.info.a < u.info.b", row), "false");
    ck_assert_str_eq(tv("u.info.a = 1", row), "false");
    ck_assert_str_eq(tv("u.info.a != 1", row), "true");
    ck_assert_str_eq(tv("NOT u.info.a", row), "true");

    /* WHERE keeps only true */
    ck_assert_int_eq(where("age = 1", row), 0);
    ck_assert_int_eq(where("NOT (age = 1)", row), 0);
    ck_assert_int_eq(where("age IS NULL", row), 1);
    ck_assert_int_eq(where("age = 1 OR sk = 'a'", row), 1);
    ck_assert_int_eq(where("u.info.x = null AND id = 1", row), 1);
    ck_assert_int_eq(where("flag", row), 1);
    ck_assert_int_eq(where("u.info.missing", row), 0);
}
END_TEST

START_TEST(numeric_comparisons)
{
    const char *row = "{'id':1,'age':30,'big':{'$long':10000000000},'score':0.1,"
                      "'amount':{'$num':'30.0'},'info':{'n':9007199254740993,'d':1.5}}";
    ck_assert_str_eq(tv("age = 30", row), "true");
    ck_assert_str_eq(tv("age = 30.0", row), "true");
    ck_assert_str_eq(tv("age = 30n", row), "true");
    ck_assert_str_eq(tv("age < 30.5", row), "true");
    ck_assert_str_eq(tv("amount = age", row), "true");
    ck_assert_str_eq(tv("amount = 30", row), "true");
    ck_assert_str_eq(tv("amount >= 29.99", row), "true");
    ck_assert_str_eq(tv("amount > 30.0000000000000000001", row), "false");
    ck_assert_str_eq(tv("big > age", row), "true");
    ck_assert_str_eq(tv("big = 10000000000", row), "true");
    ck_assert_str_eq(tv("big = 1e10", row), "true");
    /* a double compares with NUMBER by its shortest decimal, as Java's
     * BigDecimal.valueOf(double) */
    ck_assert_str_eq(tv("score = 0.1n", row), "true");
    ck_assert_str_eq(tv("score = 0.1", row), "true");
    /* long vs double is a comparison of Java doubles */
    ck_assert_str_eq(tv("u.info.n = 9007199254740992.0", row), "true");
    ck_assert_str_eq(tv("u.info.n = 9007199254740992", row), "false");
    ck_assert_str_eq(tv("u.info.n > 9007199254740992", row), "true");
    /* numbers and strings do not compare (CompOpIter: "incompatible") */
    ck_assert_str_eq(tv("age = '30'", row), "false");
    ck_assert_str_eq(tv("age != '30'", row), "false");   /* incomparable: false, even for != */
    ck_assert_str_eq(tv("age < '30'", row), "false");
}
END_TEST

START_TEST(other_comparisons)
{
    const char *row = "{'id':1,'name':'b\xc3\xa9','flag':false,'ts':{'$ts':'2026-01-02T03:04:05.123Z'},"
                      "'bin':{'$bin':'00ff'},'tags':['a','b'],'attrs':{'x':1,'y':2},"
                      "'info':{'s':'\xef\xbf\xbf','e':'\xf0\x9f\x98\x80','arr':[1,[2,3]],"
                      "'m':{'y':2,'x':1}}}";
    ck_assert_str_eq(tv("name > 'b'", row), "true");
    ck_assert_str_eq(tv("name < 'c'", row), "true");
    ck_assert_str_eq(tv("name = 'b\xc3\xa9'", row), "true");
    ck_assert_str_eq(tv("name >= 'b\xc3\xa9z'", row), "false");
    /* UTF-16 order: a supplementary character sorts below U+FFFF */
    ck_assert_str_eq(tv("u.info.e < u.info.s", row), "true");
    ck_assert_str_eq(tv("flag < true", row), "true");
    ck_assert_str_eq(tv("flag = false", row), "true");
    ck_assert_str_eq(tv("flag = 0", row), "false");
    /* timestamps, and strings read as timestamps */
    ck_assert_str_eq(tv("ts = '2026-01-02T03:04:05.123'", row), "true");
    ck_assert_str_eq(tv("ts > '2026-01-02'", row), "true");
    ck_assert_str_eq(tv("'2027-01-01T00:00:00Z' > ts", row), "true");
    ck_assert_str_eq(tv("ts = 'tomorrow'", row), "error");
    ck_assert_msg(strstr(E.msg, "TIMESTAMP") != NULL, "%s", E.msg);
    /* binaries: = and != only */
    ck_assert_str_eq(sel_bv("bin = $b AS e, bin != $b AS n, bin < $b AS l", row,
                            "[{'m':'$b','l':{'$bin':'00ff'}}]"),
                     "{e:true,n:false,l:false}");
    /* arrays element-wise, maps by key (any order), = and != only */
    ck_assert_str_eq(sel_bv("tags = $a AS e, tags < $b AS l, tags > $c AS g", row,
                            "[{'m':'$a','l':['a','b']},{'m':'$b','l':['a','c']},"
                            "{'m':'$c','l':['a']}]"),
                     "{e:true,l:true,g:true}");
    ck_assert_str_eq(sel_bv("attrs = u.info.m AS e, attrs != $m AS n, attrs < $m AS l", row,
                            "[{'m':'$m','l':{'x':1}}]"),
                     "{e:true,n:true,l:false}");
}
END_TEST

START_TEST(paths)
{
    const char *row = "{'id':1,'sk':'a','info':{'a':{'b':'deep'},'list':[{'k':1},{'k':2},"
                      "{'z':3},[{'k':4}],5],'one':[{'k':9}],'nul':null},"
                      "'tags':['t1','t2'],'attrs':{'K':1,'k':2},"
                      "'rec':{'Alpha':3,'beta':'x'},'age':null}";
    ck_assert_str_eq(sel("u.info.a.b", row), "{b:\"deep\"}");
    ck_assert_str_eq(sel("u.info.a.b.c", row), "{c:null}");
    ck_assert_str_eq(sel("u.info.nope", row), "{nope:null}");
    /* steps into arrays apply to every element, nested arrays too */
    ck_assert_str_eq(sel("u.info.list.k", row), "{k:[i:1,i:2,i:4]}");
    ck_assert_str_eq(sel("u.info.one.k", row), "{k:i:9}");
    ck_assert_str_eq(tv("u.info.one.k = 9", row), "true");
    ck_assert_str_eq(tv("u.info.list.k = 1", row), "error");
    ck_assert_msg(strstr(E.msg, "more than one item") != NULL, "%s", E.msg);
    /* JSON keys are exact, map keys too; record fields are not */
    ck_assert_str_eq(sel("u.info.A", row), "{A:null}");
    ck_assert_str_eq(sel("u.attrs.K, u.attrs.k", row), "{K:i:1,k:i:2}");
    ck_assert_str_eq(sel("u.rec.ALPHA, u.rec.Beta", row), "{ALPHA:i:3,Beta:\"x\"}");
    /* a step on SQL NULL is NULL; on JSON null nothing */
    ck_assert_str_eq(tv("u.info.nul.x IS NULL", row), "true");
    ck_assert_str_eq(tv("u.info.x.y IS NULL", "{'info':{'x':{'$jnull':0}}}"), "false");
    /* a column missing from the row (not a full row) yields nothing */
    ck_assert_str_eq(sel("name", "{'id':1}"), "{name:null}");
    ck_assert_int_eq(where("u.info.a.b = 'deep' AND u.info.list.z = 3", row), 1);
}
END_TEST

START_TEST(bind_variables)
{
    const char *sql = "DECLARE $a INTEGER; $s STRING; SELECT id FROM users WHERE age > $a "
                      "AND sk = $s";
    query_t *q;
    ck_assert_int_eq(prep(sql, &q), CS_OK);
    ck_assert_int_eq(query_bind(q, NULL, &E), CS_EINVAL);
    ck_assert_str_eq(E.msg, "Variable $a has not been bound");
    ck_assert_int_eq(query_bind(q, V("[{'m':'$a','l':1}]"), &E), CS_EINVAL);
    ck_assert_str_eq(E.msg, "Variable $s has not been bound");
    ck_assert_int_eq(query_bind(q, V("[{'m':'$a','l':'x'},{'m':'$s','l':'a'}]"), &E), CS_EINVAL);
    ck_assert_str_eq(E.msg, "Variable $a is declared INTEGER but bound to a STRING value");
    /* extra bindings are ignored; a LONG that fits INTEGER is fine */
    ck_assert_int_eq(query_bind(q, V("[{'m':'$a','l':{'$long':18}},{'m':'$s','l':'a'},"
                                     "{'m':'$zz','l':1}]"), &E), CS_OK);
    bool m;
    ck_assert_int_eq(query_filter(q, &A, V("{'id':1,'sk':'a','age':30}"), &m, &E), CS_OK);
    ck_assert(m);
    ck_assert_int_eq(query_filter(q, &A, V("{'id':1,'sk':'a','age':3}"), &m, &E), CS_OK);
    ck_assert(!m);
    /* rebinding replaces the values */
    ck_assert_int_eq(query_bind(q, V("[{'m':'$a','l':1},{'m':'$s','l':'b'}]"), &E), CS_OK);
    ck_assert_int_eq(query_filter(q, &A, V("{'id':1,'sk':'a','age':30}"), &m, &E), CS_OK);
    ck_assert(!m);

    /* positional markers are "#1", "#2" in text order; undeclared $names */
    ck_assert_int_eq(prep("SELECT id FROM users WHERE sk = ? AND age < ? AND id = $x", &q),
                     CS_OK);
    ck_assert_int_eq(query_bind(q, V("[{'m':'#1','l':'a'},{'m':'$x','l':1}]"), &E), CS_EINVAL);
    ck_assert_str_eq(E.msg, "Variable at position 2 has not been bound");
    ck_assert_int_eq(query_bind(q, V("[{'m':'#2','l':50},{'m':'#1','l':'a'},{'m':'$x','l':1}]"),
                                &E), CS_OK);
    ck_assert_int_eq(query_filter(q, &A, V("{'id':1,'sk':'a','age':30}"), &m, &E), CS_OK);
    ck_assert(m);

    /* LIMIT and OFFSET from variables */
    ck_assert_int_eq(prep("SELECT * FROM users LIMIT $n OFFSET ?", &q), CS_OK);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$n','l':3},{'m':'#1','l':{'$long':4}}]"), &E),
                     CS_OK);
    query_exec_t x;
    query_exec_info(q, &x);
    ck_assert_int_eq(x.limit, 3);
    ck_assert_int_eq(x.offset, 4);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$n','l':-1},{'m':'#1','l':0}]"), &E), CS_EINVAL);
    ck_assert_msg(strstr(E.msg, "LIMIT must be a non-negative integer") != NULL, "%s", E.msg);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$n','l':1},{'m':'#1','l':'x'}]"), &E), CS_EINVAL);
    ck_assert_int_eq(query_bind(q, V("{'m':'$n'}"), &E), CS_EPROTO);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$n'}]"), &E), CS_EPROTO);
    ck_assert_int_eq(query_bind(q, V("[5]"), &E), CS_EPROTO);
    /* declared types */
    ck_assert_int_eq(prep("DECLARE $t TIMESTAMP(0); $d DOUBLE; $b BINARY; SELECT * FROM users "
                          "WHERE ts > $t AND score > $d AND bin = $b", &q), CS_OK);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$t','l':'2026-01-01'},{'m':'$d','l':1},"
                                     "{'m':'$b','l':{'$bin':'01'}}]"), &E), CS_OK);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$t','l':'soon'},{'m':'$d','l':1},"
                                     "{'m':'$b','l':{'$bin':'01'}}]"), &E), CS_EINVAL);
    ck_assert_int_eq(query_bind(q, V("[{'m':'$t','l':null},{'m':'$d','l':'1'},"
                                     "{'m':'$b','l':{'$bin':'01'}}]"), &E), CS_EINVAL);
}
END_TEST

/* The rendered key prefix of a statement, "" for none. */
static const char *prefix(const char *sql, const char *bv)
{
    query_t *q = ok_query(sql, bv);
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    uint32_t n = query_key_prefix(q, &w);
    const char *out = "";
    if (n > 0) {
        cs_error_t e;
        nson_value_t *v = nson_decode(&A, b.data, b.len, false, &e);
        ck_assert_msg(v && v->type == NSON_MAP && v->u.map.count == n, "%s", sql);
        out = R(v);
    } else {
        ck_assert_int_eq(b.len, 0);
    }
    buf_free(&b);
    return out;
}

START_TEST(key_prefixes)
{
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE sk = 'a'", NULL), "{sk:\"a\"}");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE id = 3 AND 'a' = SK AND age > 1", NULL),
                     "{sk:\"a\",id:i:3}");
    ck_assert_str_eq(prefix("SELECT * FROM users u WHERE u.sk = $s AND id = ?",
                            "[{'m':'$s','l':'b'},{'m':'#1','l':{'$long':7}}]"),
                     "{sk:\"b\",id:l:7}");
    /* not the shard key, not an equality at the top, not a comparable type */
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE id = 3", NULL), "");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE sk = 'a' OR id = 3", NULL), "");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE sk > 'a'", NULL), "");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE NOT sk = 'a'", NULL), "");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE sk = 1", NULL), "");
    ck_assert_str_eq(prefix("SELECT * FROM users WHERE sk = 'a' AND id = 1.0", NULL), "{sk:\"a\"}");
    ck_assert_str_eq(prefix("SELECT * FROM users", NULL), "");
}
END_TEST

static bool sorts(const char *sql, bool *desc)
{
    query_t *q = ok_query(sql, NULL);
    query_exec_t x;
    query_exec_info(q, &x);
    *desc = x.desc;
    return x.sort;
}

/* The rows (JSON texts) in the order the statement's ORDER BY puts them,
 * rendered by their "id". */
static const char *sorted_ids(const char *sql, const char *const *rows, size_t n)
{
    query_t *q = ok_query(sql, NULL);
    nson_value_t *keys[16];
    int ids[16];
    ck_assert(n <= 16);
    for (size_t i = 0; i < n; i++) {
        nson_value_t *row = V(rows[i]);
        ids[i] = nson_map_get(row, "id")->u.i;
        buf_t b;
        buf_init(&b, 0);
        nson_writer_t w;
        nson_writer_init(&w, &b);
        ck_assert_msg(query_sort_key(q, &A, row, &w, &E) == CS_OK, "%s", E.msg);
        cs_error_t e;
        keys[i] = nson_decode(&A, b.data, b.len, false, &e);
        ck_assert(keys[i] != NULL);
        buf_free(&b);
    }
    /* insertion sort, stable like the server's (ties by position) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && query_sort_cmp(q, keys[j - 1], keys[j]) > 0; j--) {
            nson_value_t *k = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = k;
            int t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    char out[128];
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%d", i ? "," : "", ids[i]);
    return arena_strndup(&A, out, o);
}

START_TEST(ordering)
{
    bool desc;
    /* a primary-key prefix in one direction is the scan order */
    ck_assert(!sorts("SELECT * FROM users ORDER BY sk", &desc) && !desc);
    ck_assert(!sorts("SELECT * FROM users u ORDER BY u.sk DESC, id DESC", &desc) && desc);
    ck_assert(!sorts("SELECT * FROM users ORDER BY sk NULLS FIRST", &desc) && !desc);
    /* anything else sorts */
    ck_assert(sorts("SELECT * FROM users ORDER BY id", &desc) && !desc);
    ck_assert(sorts("SELECT * FROM users ORDER BY sk, id DESC", &desc) && !desc);
    ck_assert(sorts("SELECT * FROM users ORDER BY name DESC", &desc) && !desc);
    ck_assert(sorts("SELECT * FROM users u ORDER BY u.info.a", &desc));
    ck_assert(sorts("SELECT * FROM users ORDER BY 1", &desc));
    ck_assert(!sorts("SELECT count(*) FROM users ORDER BY name", &desc));

    static const char *const rows[] = {
        "{'id':1,'age':30,'info':{'v':'b'}}",
        "{'id':2,'age':null,'info':{'v':{'$jnull':0}}}",
        "{'id':3,'age':7,'info':{'v':2.5}}",
        "{'id':4,'age':30,'info':{}}",
        "{'id':5,'age':-1,'info':{'v':true}}",
        "{'id':6,'age':12,'info':{'v':{'$ts':'2020-01-01T00:00:00Z'}}}",
        "{'id':7,'age':null,'info':{'v':{'$num':'2.25'}}}",
    };
    size_t n = sizeof rows / sizeof rows[0];
    /* NULLs last ascending, first descending; ties keep their order */
    ck_assert_str_eq(sorted_ids("SELECT * FROM users ORDER BY age", rows, n), "5,3,6,1,4,2,7");
    ck_assert_str_eq(sorted_ids("SELECT * FROM users ORDER BY age DESC", rows, n),
                     "2,7,1,4,6,3,5");
    ck_assert_str_eq(sorted_ids("SELECT * FROM users ORDER BY age NULLS FIRST", rows, n),
                     "2,7,5,3,6,1,4");
    ck_assert_str_eq(sorted_ids("SELECT * FROM users ORDER BY age DESC NULLS LAST", rows, n),
                     "1,4,6,3,5,2,7");
    ck_assert_str_eq(sorted_ids("SELECT * FROM users ORDER BY age, id DESC", rows, n),
                     "5,3,6,4,1,7,2");
    /* across types: numbers < timestamps < strings < booleans, then
     * EMPTY (missing) < JSON null */
    ck_assert_str_eq(sorted_ids("SELECT * FROM users u ORDER BY u.info.v", rows, n),
                     "7,3,6,1,5,4,2");
    /* a sort expression with several items is an error */
    query_t *q = ok_query("SELECT * FROM users u ORDER BY u.info.l", NULL);
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    ck_assert_int_eq(query_sort_key(q, &A, V("{'info':{'l':[1,2]}}"), &w, &E), CS_EINVAL);
    ck_assert_int_eq(query_sort_key(q, &A, V("{'info':{'l':{'a':1}}}"), &w, &E), CS_EINVAL);
    ck_assert_msg(strstr(E.msg, "only atomic values") != NULL, "%s", E.msg);
    buf_free(&b);
}
END_TEST

START_TEST(describe_plan)
{
    query_t *q = ok_query("SELECT id, u.info.a AS a FROM users u WHERE sk = 'x' AND "
                          "(age > 3 OR age IS NULL) ORDER BY sk DESC LIMIT 3", NULL);
    buf_t b;
    buf_init(&b, 0);
    query_describe(q, &b);
    ck_assert(buf_ok(&b) && b.len > 0 && b.data[b.len - 1] == '\0');
    const char *t = (const char *)b.data;
    ck_assert_msg(strstr(t, "table users") && strstr(t, "descending") &&
                  strstr(t, "((sk = 'x') AND ((age > 3) OR age IS NULL))") &&
                  strstr(t, "a = info.a") && strstr(t, "limit: 3"), "%s", t);
    buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------
 * Limits and errors
 * ------------------------------------------------------------------------ */

START_TEST(unsupported_constructs)
{
    refused("UPDATE users u SET u.age = 1 WHERE id = 1", CS_ENOTSUP, "UPDATE statements");
    refused("DECLARE $a INTEGER; UPDATE users SET age = $a", CS_ENOTSUP, "UPDATE");
    refused("INSERT INTO users VALUES (1)", CS_ENOTSUP, "INSERT statements");
    refused("upsert into users values (1)", CS_ENOTSUP, "UPSERT");
    refused("DELETE FROM users WHERE id = 1", CS_ENOTSUP, "DELETE statements");
    refused("SELECT DISTINCT sk FROM users", CS_ENOTSUP, "DISTINCT");
    refused("SELECT sk, count(*) FROM users GROUP BY sk", CS_ENOTSUP, "count(*) together");
    refused("SELECT sk FROM users GROUP BY sk", CS_ENOTSUP, "GROUP BY");
    refused("SELECT * FROM users a, users b", CS_ENOTSUP, "joins");
    refused("SELECT * FROM NESTED TABLES(users a)", CS_ENOTSUP, "NESTED TABLES");
    refused("SELECT * FROM users a LEFT OUTER JOIN users.c b ON a.id = b.id", CS_ENOTSUP,
            "LEFT OUTER JOIN");
    refused("SELECT * FROM ns1:users", CS_ENOTSUP, "namespaces");
    refused("SELECT size(tags) FROM users", CS_ENOTSUP, "function size()");
    refused("SELECT max(age) FROM users", CS_ENOTSUP, "function max()");
    refused("SELECT * FROM users u WHERE geo_near(u.info.p, 1, 2)", CS_ENOTSUP, "geo_near()");
    refused("SELECT count(age) FROM users", CS_ENOTSUP, "count(expression)");
    refused("SELECT count(DISTINCT age) FROM users", CS_ENOTSUP, "count(expression)");
    refused("SELECT age + 1 FROM users", CS_ENOTSUP, "arithmetic");
    refused("SELECT * FROM users WHERE age * 2 > 3", CS_ENOTSUP, "arithmetic");
    refused("SELECT * FROM users WHERE age > -age", CS_ENOTSUP, "arithmetic");
    refused("SELECT name || 'x' FROM users", CS_ENOTSUP, "concatenation");
    refused("SELECT tags[0] FROM users", CS_ENOTSUP, "array steps");
    refused("SELECT u.info.a[] FROM users u", CS_ENOTSUP, "array steps");
    refused("SELECT u.attrs.keys() FROM users u", CS_ENOTSUP, "map filter steps");
    refused("SELECT u.info.$x FROM users u", CS_ENOTSUP, "computed field steps");
    refused("SELECT [1, 2] FROM users", CS_ENOTSUP, "array constructors");
    refused("SELECT {'a': 1} FROM users", CS_ENOTSUP, "map constructors");
    refused("SELECT CASE WHEN age > 1 THEN 1 END FROM users", CS_ENOTSUP, "CASE");
    refused("SELECT * FROM users WHERE EXISTS u.info.a", CS_ENOTSUP, "EXISTS");
    refused("SELECT * FROM users WHERE NOT EXISTS u.info.a", CS_ENOTSUP, "EXISTS");
    refused("SELECT * FROM users WHERE age IN (1, 2)", CS_ENOTSUP, "IN is not supported");
    refused("SELECT * FROM users WHERE age BETWEEN 1 AND 2", CS_ENOTSUP, "BETWEEN");
    refused("SELECT * FROM users u WHERE u.tags[] =any 'a'", CS_ENOTSUP, "array steps");
    refused("SELECT * FROM users u WHERE u.tags =any 'a'", CS_ENOTSUP, "=any");
    refused("SELECT * FROM users WHERE age IS OF TYPE (INTEGER)", CS_ENOTSUP, "IS OF TYPE");
    refused("SELECT * FROM users WHERE id = (SELECT 1 FROM users)", CS_ENOTSUP, "subqueries");
    refused("SELECT $ FROM users", CS_ENOTSUP, "context item");
    refused("SELECT * FROM users u WHERE $v.x = 1", CS_ENOTSUP, "field steps on variables");
    refused("SELECT * FROM users WHERE color = 'red'", CS_ENOTSUP, "ENUM");
    refused("SELECT * FROM users ORDER BY color", CS_ENOTSUP, "ORDER BY an ENUM column");
    refused("SELECT * FROM users LIMIT 1 + 1", CS_ENOTSUP, "arithmetic");
    refused("SELECT * FROM users LIMIT age", CS_ENOTSUP, "LIMIT other than");
}
END_TEST

START_TEST(syntax_errors)
{
    refused("IllegalStatement", CS_EINVAL, "Error: at (1, 0) expected SELECT, found "
                                           "'IllegalStatement'");
    refused("", CS_EINVAL, "empty");
    refused("SELECT", CS_EINVAL, "expected an expression, found end of statement");
    refused("SELECT * FROM", CS_EINVAL, "expected a table name");
    refused("SELECT * users", CS_EINVAL, "expected FROM");
    refused("SELECT * FROM users WHERE", CS_EINVAL, "expected an expression");
    refused("SELECT * FROM users WHERE id = ", CS_EINVAL, "expected an expression");
    refused("SELECT * FROM users WHERE (id = 1", CS_EINVAL, "expected ')'");
    refused("SELECT * FROM users WHERE id = 1 = 2", CS_EINVAL, "cannot be chained");
    refused("SELECT * FROM users extra junk", CS_EINVAL, "unexpected 'junk'");
    refused("SELECT * FROM users\nWHERE name = 'open", CS_EINVAL, "Error: at (2, 13) "
                                                                  "unterminated string");
    refused("SELECT 'a\\q' FROM users", CS_EINVAL, "invalid escape");
    refused("SELECT '\\ud800' FROM users", CS_EINVAL, "unpaired surrogate");
    refused("SELECT '\\u12' FROM users", CS_EINVAL, "invalid \\u escape");
    refused("SELECT 1abc FROM users", CS_EINVAL, "must start with a letter");
    refused("SELECT _x FROM users", CS_EINVAL, "must start with a letter");
    refused("SELECT * FROM users /* open", CS_EINVAL, "unterminated comment");
    refused("SELECT * FROM ``", CS_EINVAL, "empty `quoted` identifier");
    refused("SELECT * FROM `users", CS_EINVAL, "unterminated `quoted` identifier");
    refused("SELECT * FROM users WHERE id IS 1", CS_EINVAL, "expected NULL");
    refused("SELECT id AS FROM users", CS_EINVAL, "expected FROM, found 'users'");
    refused("SELECT id AS 'x' FROM users", CS_EINVAL, "expected a name after AS");
    refused("SELECT * FROM users AS", CS_EINVAL, "expected a table alias");
    refused("DECLARE x INTEGER; SELECT * FROM users", CS_EINVAL, "expected a variable name");
    refused("DECLARE $x BOGUS; SELECT * FROM users", CS_EINVAL, "unknown type 'BOGUS'");
    refused("DECLARE $x INTEGER; $x LONG; SELECT * FROM users", CS_EINVAL, "declared twice");
    refused("DECLARE $x INTEGER SELECT * FROM users", CS_EINVAL, "expected ';'");
    refused("CREATE TABLE t (id INTEGER, PRIMARY KEY(id))", CS_EINVAL, "TableRequest");
    refused("SELECT * FROM users LIMIT -1", CS_EINVAL, "non-negative");
    refused("SELECT * FROM users LIMIT 'a'", CS_EINVAL, "non-negative");
    refused("SELECT * FROM users LIMIT", CS_EINVAL, "expected a number after LIMIT");
    refused("SELECT * FROM users ORDER sk", CS_EINVAL, "expected BY");
    refused("SELECT * FROM users ORDER BY sk NULLS MIDDLE", CS_EINVAL, "FIRST or LAST");
    refused("SELECT u.id FROM users u WHERE t.id = 1", CS_EINVAL,
            "No table in the FROM clause has an alias named t");
    refused("SELECT info.a FROM users", CS_EINVAL, "alias named info");
    refused("SELECT users.id FROM users u", CS_EINVAL, "alias named users");
    refused("SELECT U.id FROM users u", CS_EINVAL, "alias named U");
    /* checks against the schema */
    refused("SELECT nope FROM users", CS_EINVAL, "Table users has no column named nope");
    refused("SELECT u.nope.x FROM users u", CS_EINVAL, "no column named nope");
    refused("SELECT u.rec.gamma FROM users u", CS_EINVAL, "no field named gamma in the RECORD rec");
    refused("SELECT u.age.x FROM users u", CS_EINVAL, "field step .x to age of type INTEGER");
    refused("SELECT u.tags.x FROM users u", CS_EINVAL, "to tags of type STRING");
    refused("SELECT * FROM users ORDER BY nope", CS_EINVAL, "no column named nope");
    refused("SELECT * FROM users ORDER BY sk ASC DESC", CS_EINVAL, "unexpected 'DESC'");
    query_t *q;
    char nul[] = "SELECT * FROM users\0";
    ck_assert_int_eq(query_parse(&A, nul, sizeof nul - 1, &q, &E), CS_EINVAL);
    refused("SELECT u.info.`a\x95` FROM users u", CS_EINVAL, "not valid UTF-8");
}
END_TEST

START_TEST(runtime_errors)
{
    ck_assert_int_eq(where("name", "{'name':'x'}"), -1);
    ck_assert_msg(strstr(E.msg, "not a boolean") != NULL, "%s", E.msg);
    ck_assert_int_eq(where("name AND id = 1", "{'name':'x','id':1}"), -1);
    ck_assert_msg(strstr(E.msg, "operand of AND") != NULL, "%s", E.msg);
    ck_assert_int_eq(where("u.info.l IS NULL", "{'info':{'l':[{'$jnull':0}]}}"), 0);
    ck_assert_int_eq(where("u.info.l.a IS NULL", "{'info':{'l':[{'a':1},{'a':2}]}}"), -1);
    ck_assert_int_eq(where("u.info.l.a = u.info.b", "{'info':{'l':[{'a':1},{'a':2}]}}"), -1);
    ck_assert_msg(strstr(E.msg, "left operand") != NULL, "%s", E.msg);
    ck_assert_int_eq(where("u.info.a = 1", "[1]"), -1);
}
END_TEST

START_TEST(limits)
{
    query_t *q;
    /* nesting */
    buf_t b;
    buf_init(&b, 0);
    buf_printf(&b, "SELECT * FROM users WHERE ");
    for (int i = 0; i < 200; i++)
        buf_putc(&b, '(');
    buf_printf(&b, "id = 1");
    for (int i = 0; i < 200; i++)
        buf_putc(&b, ')');
    ck_assert_int_eq(query_parse(&A, (char *)b.data, b.len, &q, &E), CS_EINVAL);
    ck_assert_msg(strstr(E.msg, "nested too deeply") != NULL, "%s", E.msg);
    /* a long AND chain is flat, not deep */
    buf_reset(&b);
    buf_printf(&b, "SELECT * FROM users WHERE id = 1");
    for (int i = 0; i < 5000; i++)
        buf_printf(&b, " AND age > %d", i % 7);
    ck_assert_int_eq(query_parse(&A, (char *)b.data, b.len, &q, &E), CS_OK);
    ck_assert_int_eq(query_check(q, S, &E), CS_OK);
    ck_assert_int_eq(query_bind(q, NULL, &E), CS_OK);
    bool m;
    ck_assert_int_eq(query_filter(q, &A, V("{'id':1,'age':10}"), &m, &E), CS_OK);
    ck_assert(m);
    /* text length */
    buf_reset(&b);
    buf_printf(&b, "SELECT * FROM users WHERE name = '");
    for (int i = 0; i < QUERY_MAX_TEXT; i++)
        buf_putc(&b, 'x');
    buf_printf(&b, "'");
    ck_assert_int_eq(query_parse(&A, (char *)b.data, b.len, &q, &E), CS_EINVAL);
    ck_assert_msg(strstr(E.msg, "longer than") != NULL, "%s", E.msg);
    buf_free(&b);
    /* a tiny arena fails cleanly */
    for (size_t cap = 64; cap < 8192; cap += 64) {
        arena_t small;
        arena_init(&small, cap);
        const char *sql = "DECLARE $a INTEGER; SELECT id, u.info.a.b AS x FROM users u "
                          "WHERE sk = 'a' AND (age > $a OR name IS NULL) ORDER BY sk LIMIT 5";
        cs_err_t rc = query_parse(&small, sql, strlen(sql), &q, &E);
        ck_assert_msg(rc == CS_OK || rc == CS_ENOMEM, "%zu: %s", cap, E.msg);
        arena_free(&small);
    }
    /* token soup never crashes */
    static const char *const toks[] = {
        "SELECT", "*", "FROM", "users", "u", "WHERE", "id", "=", "1", "AND", "OR", "NOT",
        "(", ")", ",", ".", "'s'", "\"d\"", "$v", "?", "IS", "NULL", "ORDER", "BY", "LIMIT",
        "OFFSET", "DECLARE", ";", "count", "<", ">=", "!=", "info", "-", "1.5", "3n", "AS",
        "[", "{", "DESC", "`q`", "#c\n", "/*x*/", "true", "$", "=any", "\\", "'\\u",
    };
    srand(7);
    for (int n = 0; n < 3000; n++) {
        char sql[512];
        size_t o = 0;
        int k = 1 + rand() % 14;
        for (int i = 0; i < k; i++) {
            const char *t = toks[rand() % (int)(sizeof toks / sizeof toks[0])];
            o += (size_t)snprintf(sql + o, sizeof sql - o, "%s ", t);
        }
        if (prep(sql, &q) == CS_OK && query_bind(q, NULL, &E) == CS_OK) {
            arena_t scratch;
            arena_init(&scratch, 1 << 20);
            bool mm;
            query_filter(q, &scratch, V("{'id':1,'info':{'a':[1,2]}}"), &mm, &E);
            arena_free(&scratch);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("query");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, parse_statements);
    tcase_add_test(core, result_names);
    tcase_add_test(core, literals);
    tcase_add_test(core, string_literals);
    tcase_add_test(core, three_valued_logic);
    tcase_add_test(core, numeric_comparisons);
    tcase_add_test(core, other_comparisons);
    tcase_add_test(core, paths);
    tcase_add_test(core, bind_variables);
    tcase_add_test(core, key_prefixes);
    tcase_add_test(core, ordering);
    tcase_add_test(core, describe_plan);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, unsupported_constructs);
    tcase_add_test(lim, syntax_errors);
    tcase_add_test(lim, runtime_errors);
    tcase_add_test(lim, limits);
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
