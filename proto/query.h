/*
 * query.h - the SELECT subset csemu answers on the simple-query path
 * (PROTOCOL.md 4.13): a pure parser into an AST, a check against the
 * table's schema, bind variables, and an evaluator over one row given as a
 * decoded NSON MAP. No I/O: the server scans the rows and calls in here.
 *
 * Supported (keywords and type names case-insensitive, as in KVQL.g4):
 *
 *   [DECLARE $v TYPE; [$w TYPE; ...]]
 *   SELECT * | expr [AS name], ... | count(*)
 *   FROM table [[AS] alias]             table "t" or "parent.child"
 *   [WHERE expr]
 *   [ORDER BY operand [ASC|DESC] [NULLS FIRST|LAST], ...]
 *   [LIMIT n] [OFFSET n]                n an integer literal or a variable
 *
 *   expr: expr OR expr | expr AND expr | NOT expr | expr IS [NOT] NULL
 *       | operand (= | != | <> | < | <= | > | >=) operand | ( expr )
 *   operand: column | alias.column | path.step... | literal | $name | ?
 *   literal: 12, -5, 1.5, 1e3, 12n (NUMBER), 'text', "text", true,
 *            false, null (JSON null)
 *
 * Semantics follow the Oracle NoSQL server (CompOpIter, AndOrIter,
 * IsNullIter, FieldStepIter, Translator): a column is named alone or as
 * alias.column; a longer path must start with the alias (default alias: the
 * table name with '.' replaced by '_'; aliases compare case-sensitively,
 * column and RECORD field names case-insensitively, MAP and JSON keys
 * exactly). A field step on an array applies to every element (nested
 * arrays too) and may yield several items; on SQL NULL it yields NULL; on an
 * atomic value nothing. Comparisons: SQL NULL operand gives NULL; both
 * operands empty compare equal; one empty gives false (true for !=); JSON
 * null equals only JSON null (anything else: false, true for !=); values
 * of incomparable types give false, even for !=; numbers compare
 * across INTEGER/LONG/DOUBLE/NUMBER (long vs double as Java doubles,
 * NUMBER exactly); strings in UTF-16 order; a STRING compared with a
 * TIMESTAMP is read as a timestamp; BINARY, MAP and RECORD support only =
 * and !=; arrays compare element-wise. AND/OR/NOT use three-valued logic;
 * IS NULL is true for SQL NULL only. WHERE keeps rows whose condition is
 * true. ORDER BY a primary-key prefix in one direction is the scan order;
 * any other ORDER BY sorts the results like SortIter (numbers < timestamps
 * < strings < booleans < binaries, then EMPTY < JSON null < NULL; NULLs
 * last unless DESC or NULLS FIRST), ties in primary-key order. A select expression that yields nothing gives NULL, several items an
 * ARRAY. Result names: AS name, else the last field name of a path (as
 * written), else Column_<position>. count(*) gives one row {"Column_1": LONG}.
 *
 * Everything else is refused with CS_ENOTSUP naming the construct (DML,
 * DISTINCT, joins and several tables, GROUP BY, functions, arithmetic,
 * array/map steps and constructors, CASE/CAST/EXISTS/IN/BETWEEN, ANY
 * comparisons, subqueries, comparisons and ORDER BY of ENUM columns);
 * malformed text and unknown
 * columns with CS_EINVAL "Error: at (LINE, COL) ..." (LINE 1-based, COL
 * 0-based, like the DDL parser). Limits: QUERY_MAX_TEXT bytes of text,
 * QUERY_MAX_DEPTH nesting of expressions.
 *
 * Ownership: a query_t and all its nodes live in the arena given to
 * query_parse and are freed with it. query_check and query_bind store
 * borrowed pointers (schema, bound values) that must outlive the evaluation
 * calls. Evaluation allocates its scratch from the `scratch` arena the caller
 * passes (free or reuse it per row). A query_t is not thread-safe.
 */
#ifndef CS_QUERY_H
#define CS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "cs_err.h"
#include "nson.h"
#include "schema.h"

#define QUERY_MAX_TEXT (64 * 1024)
#define QUERY_MAX_DEPTH 64

typedef struct query query_t;

/* Parse text[0..len) into *out (nodes from arena a). CS_EINVAL for syntax
 * errors, CS_ENOTSUP for constructs outside the subset, CS_ENOMEM when the
 * arena is full. */
cs_err_t query_parse(arena_t *a, const char *text, size_t len, query_t **out, cs_error_t *err);

/* The table named in FROM, as written ("users", "parent.child"). */
const char *query_table(const query_t *q);

/* Resolve columns, alias paths, RECORD fields and ORDER BY against the
 * table's schema (borrowed until the query is no longer evaluated), and
 * decide whether ORDER BY is a key-order scan or needs a sort. CS_EINVAL
 * for unknown columns/aliases/fields and steps into atomic columns;
 * CS_ENOTSUP for comparisons and ORDER BY of ENUM columns. */
cs_err_t query_check(query_t *q, const schema_t *s, cs_error_t *err);

/* Bind the request's variables: bv is the "bv" ARRAY of {m: name, l: value}
 * (NULL = none); `?` markers are named "#1", "#2", ... in text order, as the
 * SDKs send them. Values are borrowed. Checks that every variable the
 * statement uses is bound, values against DECLAREd atomic types, and that
 * LIMIT/OFFSET are non-negative integers. CS_EINVAL otherwise; CS_EPROTO
 * when bv is malformed. May be called again to rebind. */
cs_err_t query_bind(query_t *q, const nson_value_t *bv, cs_error_t *err);

/* How the server must run a checked and bound query. */
typedef struct query_exec {
    bool count_star;     /* the result is one row {"Column_1": count} */
    bool select_star;    /* rows are returned whole (the stored row as is) */
    bool desc;           /* primary-key order descending (else ascending) */
    bool sort;           /* ORDER BY needs all matching rows sorted with
                            query_sort_key / query_sort_cmp (never with count) */
    int64_t offset;      /* matching rows to skip */
    int64_t limit;       /* rows to return at most, -1 = no limit */
} query_exec_t;

void query_exec_info(const query_t *q, query_exec_t *out);

/* The longest primary-key prefix the WHERE clause fixes by top-level
 * equalities (col = literal or bound variable, ANDed with the rest), written
 * as a MAP {column: value} to w, for a narrower scan. Only INTEGER/LONG
 * values for INTEGER/LONG columns and STRING values for STRING columns
 * count (so the row codec's key conversion cannot change which rows
 * match). Returns the number of key columns written; 0 writes nothing.
 * Call after query_check and query_bind; the condition is still evaluated
 * on every row. */
uint32_t query_key_prefix(const query_t *q, nson_writer_t *w);

/* Whether a row (the full row MAP: every column) satisfies WHERE (true
 * when there is none). CS_EINVAL for runtime errors the server reports too
 * (a condition that is not boolean, a comparison of several items, a string
 * that is no timestamp). */
cs_err_t query_filter(const query_t *q, arena_t *scratch, const nson_value_t *row, bool *match,
                      cs_error_t *err);

/* Append the result MAP for a matching row to w (SELECT list in order;
 * for SELECT * the row itself). Not for count(*). Errors as query_filter. */
cs_err_t query_project(const query_t *q, arena_t *scratch, const nson_value_t *row,
                       nson_writer_t *w, cs_error_t *err);

/* For exec.sort: append the ARRAY of a matching row's ORDER BY values to
 * w (EMPTY for an expression that yields nothing). CS_EINVAL when one
 * yields several items or a MAP/ARRAY. */
cs_err_t query_sort_key(const query_t *q, arena_t *scratch, const nson_value_t *row,
                        nson_writer_t *w, cs_error_t *err);

/* The ORDER BY order of two decoded sort keys: <0, 0 or >0. */
int query_sort_cmp(const query_t *q, const nson_value_t *a, const nson_value_t *b);

/* Append the single count(*) result MAP. */
void query_write_count(const query_t *q, int64_t count, nson_writer_t *w);

/* A short, human-readable execution plan (for Prepare's "qs"), appended to
 * out as NUL-terminated text. */
void query_describe(const query_t *q, buf_t *out);

#endif
