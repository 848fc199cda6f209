/*
 * query_int.h - the AST shared by the query parser (query.c) and the
 * evaluator (query_eval.c). Private to those two files: everyone else uses
 * query.h.
 *
 * Every node and string lives in the arena given to query_parse. X_PATH
 * nodes start as a list of names; query_parse splits them into the column
 * and its field steps once the FROM clause (and so the alias) is known, and
 * query_check resolves the column to its schema index and RECORD steps to
 * their declared names.
 */
#ifndef CS_QUERY_INT_H
#define CS_QUERY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nson.h"
#include "query.h"
#include "schema.h"

typedef enum {
    X_CONST,    /* a literal: val */
    X_VAR,      /* a bind variable: var */
    X_PATH,     /* the row (whole_row) or a column, then field steps */
    X_CMP,      /* a op b */
    X_AND, X_OR, X_NOT,
    X_ISNULL,   /* a IS [NOT] NULL (negated) */
    X_COUNT,    /* count(*) */
} xkind_t;

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmpop_t;

/* Operator texts by cmpop_t, for messages and plans. */
static const char *const cmpop_text[] = { "=", "!=", "<", "<=", ">", ">=" };

typedef struct qx qx_t;
struct qx {
    xkind_t kind;
    int line, col;
    const nson_value_t *val;    /* X_CONST */
    int var;                    /* X_VAR: index into q->vars */
    /* X_PATH: names as written, resolved by query_check */
    bool whole_row;             /* the alias alone */
    const char *col_name;       /* column as written */
    int field;                  /* schema field index, -1 before query_check */
    const char **steps;         /* field names after the column */
    uint32_t nsteps;
    const ddl_type_t *type;     /* type at the end of the path (NULL: JSON or unknown) */
    const char **names;         /* X_PATH before alias resolution: every name */
    uint32_t nnames;
    bool alias_form;            /* written as alias.column... */
    /* operators */
    cmpop_t op;
    bool negated;               /* X_ISNULL: IS NOT NULL */
    qx_t *a, *b;                /* operands (X_CMP: both; X_NOT, X_ISNULL: a) */
    qx_t **args;                /* X_AND, X_OR: the operands, flattened */
    uint32_t nargs;
};

/* Declared variable kinds (for checking bound values). */
typedef enum {
    VT_ANY, VT_INTEGER, VT_LONG, VT_FLOAT, VT_DOUBLE, VT_NUMBER, VT_STRING, VT_BOOLEAN,
    VT_BINARY, VT_TIMESTAMP, VT_JSON,
} vtype_t;

typedef struct qvar {
    const char *name;           /* "$x", or "#N" for the N-th '?' */
    bool declared;
    vtype_t type;
    const char *type_name;      /* as declared, for messages */
    bool used;
    const nson_value_t *value;  /* bound value, NULL until query_bind */
} qvar_t;

typedef struct qsel {
    qx_t *e;
    const char *name;           /* result field name */
    bool as_given;
} qsel_t;

#define MAX_VARS 1024
#define MAX_SELECT 1024
#define MAX_ORDER 64

struct query {
    arena_t *a;
    char *table;                /* as written */
    char *alias;                /* explicit or default */
    bool alias_is_var;          /* "$t" style alias */
    bool select_star, count_star;
    qsel_t *sel;
    uint32_t nsel;
    qx_t *where;
    qx_t **order;
    uint32_t norder;
    bool *order_desc;           /* per ORDER BY item */
    bool *order_nulls_first;    /* per item; default: DESC puts NULLs first */
    bool desc;                  /* key-order scan: descending */
    bool sort;                  /* ORDER BY is no key prefix: sort the results */
    qx_t *limit, *offset;       /* X_CONST or X_VAR, NULL if absent */
    qvar_t *vars;
    uint32_t nvars;
    uint32_t nqmarks;
    const schema_t *schema;     /* set by query_check */
    int64_t limit_v, offset_v;  /* set by query_bind: -1 / 0 when absent */
};

static inline bool query_is_intlike(const nson_value_t *v)
{
    return v->type == NSON_INTEGER || v->type == NSON_LONG;
}

static inline int64_t query_intval(const nson_value_t *v)
{
    return v->type == NSON_INTEGER ? v->u.i : v->u.l;
}

/* A value's type name for messages ("STRING", "MAP"). */
static inline const char *query_type_name(const nson_value_t *v)
{
    return v->type == NSON_MAP ? "MAP" : nson_type_name(v->type);
}

#endif
