/*
 * query_eval.c - the evaluator of query.h: a checked and bound statement
 * applied to one row given as a decoded NSON MAP.
 *
 * Sections: items and field steps (FieldStepIter), comparison
 * (CompOpIter.compare), logic (AndOrIter, NOT, IsNullIter), and the entry
 * points the server calls per row (filter, project, count, sort key and
 * sort order). Values are borrowed from the row, the statement's literals
 * or the bound variables; whatever evaluation allocates comes from the
 * caller's scratch arena. Errors are the ones the service raises at run
 * time (CS_EINVAL), or CS_ENOMEM when the scratch arena is full.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyenc.h"
#include "query_int.h"
#include "row.h"
#include "timefmt.h"

/* ------------------------------------------------------------------------
 * evaluation: items and field steps
 * ------------------------------------------------------------------------ */

/* A sequence of items (borrowed values). */
typedef struct items {
    const nson_value_t **v;
    uint32_t n, cap;
    const nson_value_t *inline1[2];
} items_t;

typedef struct eval {
    const query_t *q;
    arena_t *scratch;
    const nson_value_t *row;
    cs_error_t *err;
    cs_err_t rc;
} eval_t;

static const nson_value_t V_NULL = { .type = NSON_NULL };
static const nson_value_t V_TRUE = { .type = NSON_BOOLEAN, .u.b = true };
static const nson_value_t V_FALSE = { .type = NSON_BOOLEAN, .u.b = false };

#define MAX_ITEMS (1u << 20)   /* items one expression may yield for one row */

static void items_init(items_t *it)
{
    it->v = it->inline1;
    it->n = 0;
    it->cap = 2;
}

static bool eval_fail(eval_t *E, cs_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool eval_fail(eval_t *E, cs_err_t code, const char *fmt, ...)
{
    if (E->rc != CS_OK)
        return false;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    E->rc = cs_fail(E->err, code, "%s", what);
    return false;
}

static bool items_push(eval_t *E, items_t *it, const nson_value_t *v)
{
    if (it->n == it->cap) {
        if (it->cap >= MAX_ITEMS)
            return eval_fail(E, CS_EINVAL, "an expression yields more than %u items", MAX_ITEMS);
        const nson_value_t **nv = arena_alloc(E->scratch, 2 * it->cap * sizeof *nv);
        if (!nv)
            return eval_fail(E, CS_ENOMEM, "out of memory evaluating the query");
        memcpy(nv, it->v, it->n * sizeof *nv);
        it->v = nv;
        it->cap *= 2;
    }
    it->v[it->n++] = v;
    return true;
}

/* MAP entry by key; case-insensitive for columns of an unchecked query. */
static const nson_value_t *map_find(const nson_value_t *m, const char *key, bool ci)
{
    for (uint32_t i = m->u.map.count; i-- > 0;) {
        const char *k = m->u.map.items[i].key;
        if (ci ? strcasecmp(k, key) == 0 : strcmp(k, key) == 0)
            return m->u.map.items[i].val;
    }
    return NULL;
}

/* FieldStepIter: arrays (nested too) apply the step to each element that
 * is not atomic; SQL NULL yields NULL; maps and records yield the field if
 * present; atomic values (JSON null included) yield nothing. */
static bool step_into(eval_t *E, const nson_value_t *v, const char *name, items_t *out, int depth)
{
    if (depth > NSON_MAX_DEPTH)
        return true;
    switch (v->type) {
    case NSON_ARRAY:
        for (uint32_t i = 0; i < v->u.arr.count; i++)
            if (!step_into(E, v->u.arr.items[i], name, out, depth + 1))
                return false;
        return true;
    case NSON_NULL:
        return depth == 0 ? items_push(E, out, v) : true;
    case NSON_MAP: {
        const nson_value_t *f = map_find(v, name, false);
        return f ? items_push(E, out, f) : true;
    }
    default:
        return true;
    }
}

static bool eval_items(eval_t *E, const qx_t *x, items_t *out);

static bool eval_path(eval_t *E, const qx_t *x, items_t *out)
{
    const nson_value_t *row = E->row;
    if (!row || row->type != NSON_MAP)
        return eval_fail(E, CS_EINVAL, "the row is not a MAP");
    if (x->whole_row)
        return items_push(E, out, row);
    const nson_value_t *c = NULL;
    if (x->field >= 0 && E->q->schema) {
        const char *name = E->q->schema->fields[x->field].name;
        /* full rows list every column in declaration order */
        if ((uint32_t)x->field < row->u.map.count &&
            strcmp(row->u.map.items[x->field].key, name) == 0)
            c = row->u.map.items[x->field].val;
        else
            c = map_find(row, name, false);
    } else {
        c = map_find(row, x->col_name, true);
    }
    if (!c)
        return true;
    items_t cur;
    items_init(&cur);
    if (!items_push(E, &cur, c))
        return false;
    for (uint32_t s = 0; s < x->nsteps; s++) {
        items_t next;
        items_init(&next);
        for (uint32_t i = 0; i < cur.n; i++)
            if (!step_into(E, cur.v[i], x->steps[s], &next, 0))
                return false;
        cur = next;
        if (cur.v == next.inline1)   /* the inline buffer moved with the copy */
            cur.v = cur.inline1;
    }
    for (uint32_t i = 0; i < cur.n; i++)
        if (!items_push(E, out, cur.v[i]))
            return false;
    return true;
}

/* ------------------------------------------------------------------------
 * evaluation: comparison (CompOpIter.compare)
 * ------------------------------------------------------------------------ */

typedef struct cres {
    int comp;
    bool incompatible;
    bool have_null;
} cres_t;

/* Java's Double.compare: NaN equals NaN and is above +Inf; -0.0 < 0.0. */
static int java_dcmp(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    int64_t ba, bb;
    double ca = isnan(a) ? NAN : a, cb = isnan(b) ? NAN : b;
    memcpy(&ba, &ca, sizeof ba);
    memcpy(&bb, &cb, sizeof bb);
    if (isnan(a))
        ba = 0x7ff8000000000000LL;
    if (isnan(b))
        bb = 0x7ff8000000000000LL;
    return ba == bb ? 0 : ba < bb ? -1 : 1;
}

static int i64cmp(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* Next code point of valid UTF-8 at *p (advancing it); bytes as-is on
 * malformed input so the comparison stays total. */
static uint32_t utf8_next(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p;
    uint32_t c = *s++;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (extra && end - s >= extra) {
        c &= (uint32_t)(0x3F >> extra);
        for (int i = 0; i < extra; i++)
            c = (c << 6) | (s[i] & 0x3F);
        s += extra;
    }
    *p = s;
    return c;
}

/* Java String.compareTo: UTF-16 code unit order. Code points above U+FFFF
 * are surrogate pairs (0xD800..), which sort below U+E000..U+FFFF. */
static int utf16_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const uint8_t *pa = (const uint8_t *)a, *ea = pa + alen;
    const uint8_t *pb = (const uint8_t *)b, *eb = pb + blen;
    while (pa < ea && pb < eb) {
        uint32_t ca = utf8_next(&pa, ea), cb = utf8_next(&pb, eb);
        if (ca == cb)
            continue;
        bool sa = ca > 0xFFFF, sb = cb > 0xFFFF;
        if (sa == sb)
            return ca < cb ? -1 : 1;
        uint32_t ua = sa ? 0xD800 : ca, ub = sb ? 0xD800 : cb;
        return ua < ub ? -1 : 1;
    }
    return pa < ea ? 1 : pb < eb ? -1 : 0;
}


/* Canonical decimal of a numeric value; false for NaN/Infinity. */
static bool to_dec(eval_t *E, const nson_value_t *v, keyenc_dec_t *d, bool *ok)
{
    *ok = false;
    if (query_is_intlike(v)) {
        char *dig = arena_alloc(E->scratch, 32);
        if (!dig)
            return eval_fail(E, CS_ENOMEM, "out of memory evaluating the query");
        keyenc_dec_from_i64(query_intval(v), dig, d);
        *ok = true;
        return true;
    }
    if (v->type == NSON_DOUBLE) {
        char *dig = arena_alloc(E->scratch, 32);
        if (!dig)
            return eval_fail(E, CS_ENOMEM, "out of memory evaluating the query");
        *ok = keyenc_dec_from_double(v->u.d, dig, d);
        return true;
    }
    char *dig = arena_alloc(E->scratch, v->u.str.len + 1);
    if (!dig)
        return eval_fail(E, CS_ENOMEM, "out of memory evaluating the query");
    cs_error_t e;
    if (v->u.str.is_null || keyenc_dec_parse(v->u.str.ptr, v->u.str.len, dig, d, &e) != CS_OK)
        return eval_fail(E, CS_EINVAL, "invalid NUMBER value '%.*s'", (int)v->u.str.len,
                         v->u.str.ptr ? v->u.str.ptr : "");
    *ok = true;
    return true;
}

static bool to_ts(eval_t *E, const nson_value_t *v, cs_ts_t *out)
{
    cs_error_t e;
    if (v->u.str.is_null || timefmt_parse(v->u.str.ptr, v->u.str.len, out, &e) != CS_OK)
        return eval_fail(E, CS_EINVAL, "Cannot compare '%.*s' with a TIMESTAMP: %s",
                         (int)(v->u.str.len > 64 ? 64 : v->u.str.len),
                         v->u.str.ptr ? v->u.str.ptr : "", e.msg);
    return true;
}

static bool is_numeric(const nson_value_t *v)
{
    return query_is_intlike(v) || v->type == NSON_DOUBLE || v->type == NSON_NUMBER;
}

static bool compare(eval_t *E, const nson_value_t *v0, const nson_value_t *v1, cmpop_t op,
                    cres_t *res, int depth);

static bool compare_maps(eval_t *E, const nson_value_t *m0, const nson_value_t *m1, cmpop_t op,
                         cres_t *res, int depth)
{
    if (m0->u.map.count != m1->u.map.count) {
        res->comp = 1;
        return true;
    }
    for (uint32_t i = 0; i < m0->u.map.count; i++) {
        const nson_value_t *f1 = map_find(m1, m0->u.map.items[i].key, false);
        if (!f1) {
            res->comp = 1;
            return true;
        }
        if (!compare(E, m0->u.map.items[i].val, f1, op, res, depth + 1))
            return false;
        if (res->comp != 0 || res->have_null || res->incompatible)
            return true;
    }
    res->comp = 0;
    return true;
}

static bool compare_arrays(eval_t *E, const nson_value_t *a0, const nson_value_t *a1, cmpop_t op,
                           cres_t *res, int depth)
{
    uint32_t n0 = a0->u.arr.count, n1 = a1->u.arr.count;
    if ((op == OP_EQ || op == OP_NE) && n0 != n1) {
        res->comp = 1;
        return true;
    }
    uint32_t n = n0 < n1 ? n0 : n1;
    for (uint32_t i = 0; i < n; i++) {
        if (!compare(E, a0->u.arr.items[i], a1->u.arr.items[i], op, res, depth + 1))
            return false;
        if (res->comp != 0 || res->have_null || res->incompatible)
            return true;
    }
    res->comp = n0 != n ? 1 : n1 != n ? -1 : 0;
    return true;
}

/* Compare two items for op; res as CompOpIter.CompResult. False only on an
 * error the server raises (E->rc set). */
static bool compare(eval_t *E, const nson_value_t *v0, const nson_value_t *v1, cmpop_t op,
                    cres_t *res, int depth)
{
    memset(res, 0, sizeof *res);
    if (depth > NSON_MAX_DEPTH)
        return eval_fail(E, CS_EINVAL, "values nested too deeply to compare");
    if (v0->type == NSON_NULL || v1->type == NSON_NULL) {
        res->have_null = true;
        return true;
    }
    bool j0 = v0->type == NSON_JSON_NULL, j1 = v1->type == NSON_JSON_NULL;
    if (j0 || j1) {
        if (j0 && j1)
            res->comp = 0;
        else if (op != OP_NE)
            res->incompatible = true;
        else
            res->comp = 1;
        return true;
    }
    nson_type_t t0 = v0->type, t1 = v1->type;
    if (is_numeric(v0) && is_numeric(v1)) {
        if (t0 == NSON_NUMBER || t1 == NSON_NUMBER) {
            keyenc_dec_t d0, d1;
            bool ok0, ok1;
            if (!to_dec(E, v0, &d0, &ok0) || !to_dec(E, v1, &d1, &ok1))
                return false;
            if (!ok0 || !ok1)
                res->incompatible = true;   /* NaN/Infinity has no decimal */
            else
                res->comp = keyenc_dec_cmp(&d0, &d1);
        } else if (t0 == NSON_DOUBLE || t1 == NSON_DOUBLE) {
            double a = t0 == NSON_DOUBLE ? v0->u.d : (double)query_intval(v0);
            double b = t1 == NSON_DOUBLE ? v1->u.d : (double)query_intval(v1);
            res->comp = java_dcmp(a, b);
        } else {
            res->comp = i64cmp(query_intval(v0), query_intval(v1));
        }
        return true;
    }
    switch (t0) {
    case NSON_STRING:
        if (t1 == NSON_STRING) {
            res->comp = utf16_cmp(v0->u.str.ptr ? v0->u.str.ptr : "", v0->u.str.len,
                                  v1->u.str.ptr ? v1->u.str.ptr : "", v1->u.str.len);
            return true;
        }
        if (t1 == NSON_TIMESTAMP) {
            cs_ts_t a, b;
            if (!to_ts(E, v0, &a) || !to_ts(E, v1, &b))
                return false;
            res->comp = a.sec != b.sec ? i64cmp(a.sec, b.sec) : i64cmp(a.nsec, b.nsec);
            return true;
        }
        break;
    case NSON_TIMESTAMP:
        if (t1 == NSON_TIMESTAMP || t1 == NSON_STRING) {
            cs_ts_t a, b;
            if (!to_ts(E, v0, &a) || !to_ts(E, v1, &b))
                return false;
            res->comp = a.sec != b.sec ? i64cmp(a.sec, b.sec) : i64cmp(a.nsec, b.nsec);
            return true;
        }
        break;
    case NSON_BOOLEAN:
        if (t1 == NSON_BOOLEAN) {
            res->comp = (int)v0->u.b - (int)v1->u.b;
            return true;
        }
        break;
    case NSON_BINARY:
        if (t1 == NSON_BINARY) {
            if (op != OP_EQ && op != OP_NE) {
                res->incompatible = true;
                return true;
            }
            res->comp = !(v0->u.bin.len == v1->u.bin.len && v0->u.bin.is_null == v1->u.bin.is_null &&
                          (v0->u.bin.len == 0 ||
                           memcmp(v0->u.bin.ptr, v1->u.bin.ptr, v0->u.bin.len) == 0));
            return true;
        }
        break;
    case NSON_MAP:
        if (t1 == NSON_MAP) {
            if (op != OP_EQ && op != OP_NE) {
                res->incompatible = true;
                return true;
            }
            return compare_maps(E, v0, v1, op, res, depth);
        }
        break;
    case NSON_ARRAY:
        if (t1 == NSON_ARRAY)
            return compare_arrays(E, v0, v1, op, res, depth);
        break;
    default:
        break;
    }
    res->incompatible = true;
    return true;
}

/* ------------------------------------------------------------------------
 * evaluation: logic
 * ------------------------------------------------------------------------ */

typedef enum { TV_FALSE, TV_TRUE, TV_NULL } tv_t;

static bool eval_bool(eval_t *E, const qx_t *x, tv_t *out);

static const char *expr_what(const qx_t *x)
{
    switch (x->kind) {
    case X_AND: return "AND";
    case X_OR: return "OR";
    case X_NOT: return "NOT";
    default: return "WHERE";
    }
}

/* The truth value of an operand that yields items (AndOrIter: empty is
 * false, NULL unknown, otherwise it must be one BOOLEAN). */
static bool items_truth(eval_t *E, const qx_t *parent, const items_t *it, tv_t *out)
{
    if (it->n == 0) {
        *out = TV_FALSE;
        return true;
    }
    if (it->n > 1)
        return eval_fail(E, CS_EINVAL, "The operand of %s is a sequence with more than one item",
                         expr_what(parent));
    const nson_value_t *v = it->v[0];
    if (v->type == NSON_NULL) {
        *out = TV_NULL;
        return true;
    }
    if (v->type != NSON_BOOLEAN)
        return eval_fail(E, CS_EINVAL, "The operand of %s is not a boolean: it is a %s value",
                         expr_what(parent), query_type_name(v));
    *out = v->u.b ? TV_TRUE : TV_FALSE;
    return true;
}

static bool operand_truth(eval_t *E, const qx_t *parent, const qx_t *x, tv_t *out)
{
    if (x->kind == X_CMP || x->kind == X_AND || x->kind == X_OR || x->kind == X_NOT ||
        x->kind == X_ISNULL)
        return eval_bool(E, x, out);
    items_t it;
    items_init(&it);
    return eval_items(E, x, &it) && items_truth(E, parent, &it, out);
}

static bool eval_cmp(eval_t *E, const qx_t *x, tv_t *out)
{
    items_t l, r;
    items_init(&l);
    items_init(&r);
    if (!eval_items(E, x->a, &l) || !eval_items(E, x->b, &r))
        return false;
    if (l.n > 1 || r.n > 1)
        return eval_fail(E, CS_EINVAL, "The %s operand of comparison operator %s is a sequence "
                                       "with more than one items. Comparison operators cannot "
                                       "operate on sequences of more than one items.",
                         l.n > 1 ? "left" : "right", cmpop_text[x->op]);
    cres_t res = { 0 };
    if (l.n == 0 && r.n == 0)
        res.comp = 0;
    else if (l.n == 0 || r.n == 0) {
        res.incompatible = x->op != OP_NE;
        res.comp = 1;
    } else if (!compare(E, l.v[0], r.v[0], x->op, &res, 0))
        return false;
    if (res.have_null) {
        *out = TV_NULL;
        return true;
    }
    if (res.incompatible) {
        *out = TV_FALSE;
        return true;
    }
    bool b;
    switch (x->op) {
    case OP_EQ: b = res.comp == 0; break;
    case OP_NE: b = res.comp != 0; break;
    case OP_LT: b = res.comp < 0; break;
    case OP_LE: b = res.comp <= 0; break;
    case OP_GT: b = res.comp > 0; break;
    default: b = res.comp >= 0; break;
    }
    *out = b ? TV_TRUE : TV_FALSE;
    return true;
}

static bool eval_bool(eval_t *E, const qx_t *x, tv_t *out)
{
    tv_t a;
    switch (x->kind) {
    case X_CMP:
        return eval_cmp(E, x, out);
    case X_AND:
    case X_OR: {
        /* AndOrIter: the first decisive operand wins, else NULL if any was */
        tv_t decisive = x->kind == X_AND ? TV_FALSE : TV_TRUE;
        bool have_null = false;
        for (uint32_t i = 0; i < x->nargs; i++) {
            if (!operand_truth(E, x, x->args[i], &a))
                return false;
            if (a == decisive) {
                *out = a;
                return true;
            }
            have_null |= a == TV_NULL;
        }
        *out = have_null ? TV_NULL : x->kind == X_AND ? TV_TRUE : TV_FALSE;
        return true;
    }
    case X_NOT:
        if (!operand_truth(E, x, x->a, &a))
            return false;
        *out = a == TV_NULL ? TV_NULL : a == TV_TRUE ? TV_FALSE : TV_TRUE;
        return true;
    case X_ISNULL: {
        items_t it;
        items_init(&it);
        if (!eval_items(E, x->a, &it))
            return false;
        if (it.n > 1)
            return eval_fail(E, CS_EINVAL, "The operand of IS NULL is a sequence with more than "
                                           "one item");
        bool is_null = it.n == 1 && it.v[0]->type == NSON_NULL;
        *out = is_null != x->negated ? TV_TRUE : TV_FALSE;
        return true;
    }
    default:
        return operand_truth(E, x, x, out);
    }
}

static bool eval_items(eval_t *E, const qx_t *x, items_t *out)
{
    tv_t t;
    switch (x->kind) {
    case X_CONST:
        return items_push(E, out, x->val);
    case X_VAR: {
        const nson_value_t *v = E->q->vars[x->var].value;
        if (!v)
            return eval_fail(E, CS_EINVAL, "Variable %s has not been bound",
                             E->q->vars[x->var].name);
        return items_push(E, out, v);
    }
    case X_PATH:
        return eval_path(E, x, out);
    case X_COUNT:
        return eval_fail(E, CS_EINVAL, "count(*) cannot be evaluated on one row");
    default:
        if (!eval_bool(E, x, &t))
            return false;
        return items_push(E, out, t == TV_NULL ? &V_NULL : t == TV_TRUE ? &V_TRUE : &V_FALSE);
    }
}

/* ------------------------------------------------------------------------
 * entry points for the server
 * ------------------------------------------------------------------------ */

cs_err_t query_filter(const query_t *q, arena_t *scratch, const nson_value_t *row, bool *match,
                      cs_error_t *err)
{
    *match = true;
    if (!q->where)
        return CS_OK;
    eval_t E = { .q = q, .scratch = scratch, .row = row, .err = err };
    tv_t t;
    if (!eval_bool(&E, q->where, &t))
        return E.rc;
    *match = t == TV_TRUE;
    return CS_OK;
}

cs_err_t query_project(const query_t *q, arena_t *scratch, const nson_value_t *row,
                       nson_writer_t *w, cs_error_t *err)
{
    if (q->select_star) {
        nson_w_value(w, row);
        return CS_OK;
    }
    eval_t E = { .q = q, .scratch = scratch, .row = row, .err = err };
    nson_w_map_begin(w);
    for (uint32_t i = 0; i < q->nsel; i++) {
        items_t it;
        items_init(&it);
        if (!eval_items(&E, q->sel[i].e, &it))
            return E.rc;
        nson_w_key(w, q->sel[i].name);
        if (it.n == 0) {
            nson_w_null(w);
        } else if (it.n == 1) {
            nson_w_value(w, it.v[0]);
        } else {
            nson_w_array_begin(w);
            for (uint32_t k = 0; k < it.n; k++)
                nson_w_value(w, it.v[k]);
            nson_w_array_end(w);
        }
    }
    nson_w_map_end(w);
    return CS_OK;
}

void query_write_count(const query_t *q, int64_t count, nson_writer_t *w)
{
    nson_w_map_begin(w);
    nson_w_kv_long(w, q->nsel ? q->sel[0].name : "Column_1", count);
    nson_w_map_end(w);
}

cs_err_t query_sort_key(const query_t *q, arena_t *scratch, const nson_value_t *row,
                        nson_writer_t *w, cs_error_t *err)
{
    eval_t E = { .q = q, .scratch = scratch, .row = row, .err = err };
    nson_w_array_begin(w);
    for (uint32_t i = 0; i < q->norder; i++) {
        items_t it;
        items_init(&it);
        if (!eval_items(&E, q->order[i], &it))
            return E.rc;
        if (it.n > 1)
            return cs_fail(err, CS_EINVAL, "ORDER BY expression %u returns more than one item",
                           i + 1);
        if (it.n == 0) {
            nson_w_empty(w);
            continue;
        }
        const nson_value_t *v = it.v[0];
        if (v->type == NSON_MAP || v->type == NSON_ARRAY)
            return cs_fail(err, CS_EINVAL, "ORDER BY expression %u returns a %s: only atomic "
                                           "values can be sorted", i + 1, query_type_name(v));
        nson_w_value(w, v);
    }
    nson_w_array_end(w);
    return CS_OK;
}

/* FieldValueImpl.compareAtomicsTotalOrder for values that are not special:
 * numbers < timestamps < strings < booleans < binaries. */
static int class_rank(const nson_value_t *v)
{
    switch (v->type) {
    case NSON_INTEGER: case NSON_LONG: case NSON_DOUBLE: case NSON_NUMBER: return 0;
    case NSON_TIMESTAMP: return 1;
    case NSON_STRING: return 2;
    case NSON_BOOLEAN: return 4;
    default: return 5;
    }
}

static int special_rank(const nson_value_t *v)
{
    return v->type == NSON_EMPTY ? 1 : v->type == NSON_JSON_NULL ? 2 : v->type == NSON_NULL ? 3 : 0;
}

static int atomic_total(const nson_value_t *a, const nson_value_t *b)
{
    int ra = class_rank(a), rb = class_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0) {
        if (a->type == NSON_NUMBER || b->type == NSON_NUMBER) {
            char da[32], db[32];
            keyenc_dec_t x, y;
            bool okx, oky;
            const nson_value_t *v[2] = { a, b };
            keyenc_dec_t *d[2] = { &x, &y };
            char *dig[2] = { da, db };
            bool *ok[2] = { &okx, &oky };
            char *heap[2] = { NULL, NULL };
            for (int i = 0; i < 2; i++) {
                if (query_is_intlike(v[i])) {
                    keyenc_dec_from_i64(query_intval(v[i]), dig[i], d[i]);
                    *ok[i] = true;
                } else if (v[i]->type == NSON_DOUBLE) {
                    *ok[i] = keyenc_dec_from_double(v[i]->u.d, dig[i], d[i]);
                } else {
                    heap[i] = malloc(v[i]->u.str.len + 1);
                    *ok[i] = heap[i] && !v[i]->u.str.is_null &&
                             keyenc_dec_parse(v[i]->u.str.ptr, v[i]->u.str.len, heap[i], d[i],
                                              NULL) == CS_OK;
                }
            }
            int c = okx && oky ? keyenc_dec_cmp(&x, &y) : okx ? -1 : oky ? 1 : 0;
            free(heap[0]);
            free(heap[1]);
            return c;
        }
        if (a->type == NSON_DOUBLE || b->type == NSON_DOUBLE)
            return java_dcmp(a->type == NSON_DOUBLE ? a->u.d : (double)query_intval(a),
                             b->type == NSON_DOUBLE ? b->u.d : (double)query_intval(b));
        return i64cmp(query_intval(a), query_intval(b));
    }
    if (ra == 1) {
        cs_ts_t x, y;
        bool okx = timefmt_parse(a->u.str.ptr, a->u.str.len, &x, NULL) == CS_OK;
        bool oky = timefmt_parse(b->u.str.ptr, b->u.str.len, &y, NULL) == CS_OK;
        if (!okx || !oky)
            return okx ? -1 : oky ? 1 : 0;
        return x.sec != y.sec ? i64cmp(x.sec, y.sec) : i64cmp(x.nsec, y.nsec);
    }
    if (ra == 2)
        return utf16_cmp(a->u.str.ptr ? a->u.str.ptr : "", a->u.str.len,
                         b->u.str.ptr ? b->u.str.ptr : "", b->u.str.len);
    if (ra == 4)
        return (int)a->u.b - (int)b->u.b;
    if (a->type != NSON_BINARY || b->type != NSON_BINARY)
        return i64cmp(a->type, b->type);
    /* BinaryValue.toString() is base64; compare those texts */
    size_t la = 4 * ((a->u.bin.len + 2) / 3) + 1, lb = 4 * ((b->u.bin.len + 2) / 3) + 1;
    char *ta = malloc(la), *tb = malloc(lb);
    int c = 0;
    if (ta && tb) {
        size_t na = row_base64_encode(a->u.bin.ptr, a->u.bin.len, ta);
        size_t nb = row_base64_encode(b->u.bin.ptr, b->u.bin.len, tb);
        c = utf16_cmp(ta, na, tb, nb);
    }
    free(ta);
    free(tb);
    return c;
}

int query_sort_cmp(const query_t *q, const nson_value_t *a, const nson_value_t *b)
{
    for (uint32_t i = 0; i < q->norder; i++) {
        if (a->type != NSON_ARRAY || b->type != NSON_ARRAY || i >= a->u.arr.count ||
            i >= b->u.arr.count)
            return 0;
        const nson_value_t *x = a->u.arr.items[i], *y = b->u.arr.items[i];
        bool desc = q->order_desc[i], nulls_first = q->order_nulls_first[i];
        int sx = special_rank(x), sy = special_rank(y);
        /* CompOpIter.compareAtomicsTotalOrder with the item's SortSpec */
        int c = sx && !sy ? 1 : !sx && sy ? -1 : sx ? i64cmp(sx, sy) : atomic_total(x, y);
        if (desc)
            c = -c;
        if (!desc && nulls_first && (sx != 0) != (sy != 0))
            c = sx ? -1 : 1;
        else if (desc && !nulls_first && (sx != 0) != (sy != 0))
            c = sx ? 1 : -1;
        if (c != 0)
            return c;
    }
    return 0;
}
