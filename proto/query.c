/*
 * query.c - the SELECT subset of query.h: parser (on the shared KVQL lexer
 * of lex.h), schema check, variable binding, key prefixes and plan text.
 * The evaluator is in query_eval.c; the AST both share is in query_int.h.
 *
 * Sections: tokens, parser helpers, expressions, statement, names, schema
 * check, binding, key prefix, plan text. Every node comes from the caller's
 * arena; parse functions return NULL/false after recording the first error
 * in the lexer's sticky error (P->L.rc), callers just propagate it.
 */
#include "query.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyenc.h"
#include "lex.h"
#include "query_int.h"
#include "timefmt.h"

/* ------------------------------------------------------------------------
 * tokens (the lexer is lex.c; the query's operators and sigils are here)
 * ------------------------------------------------------------------------ */

enum {
    TK_VAR = LEX_NKINDS,    /* "$name" */
    TK_QMARK,               /* '?' */
    TK_DOLLAR,              /* '$' alone: the context item */
    TK_ANYOP,               /* "=any", "<any", ...: KVQL's quantified comparisons */
};

typedef struct parser {
    lex_t L;            /* text, position, current and previous token, sticky error */
    arena_t *a;
    int depth;
    query_t *q;
} parser_t;

#define fail_at(P, ...) lex_fail(&(P)->L, __VA_ARGS__)
#define FAIL(P, ...) lex_fail_tok(&(P)->L, CS_EINVAL, __VA_ARGS__)
#define NOTSUP(P, ...) lex_fail_tok(&(P)->L, CS_ENOTSUP, __VA_ARGS__)

static bool oom(parser_t *P)
{
    if (P->L.rc == CS_OK)
        P->L.rc = cs_fail(P->L.err, CS_ENOMEM, "out of memory parsing the query");
    return false;
}

/* Read the next token into P->L.tok. On top of lex_next: an empty `` is
 * refused, "$name" and '?' become variables ('$' alone the context item),
 * and "<=", ">=", "!=", "<>", "||" and KVQL's "=any", "<any", ... become
 * one token. */
static bool lex(parser_t *P)
{
    lex_t *L = &P->L;
    if (!lex_next(L))
        return false;
    lex_tok_t *t = &L->tok;
    if (t->kind == LEX_ID && t->quoted && t->len == 2) {
        *t = (lex_tok_t){ .kind = LEX_EOF, .p = t->p, .off = t->off, .line = t->line,
                          .col = t->col };
        return FAIL(P, "empty `quoted` identifier");
    }
    if (t->kind != LEX_PUNCT)
        return true;
    const char *s = L->s;
    size_t i = L->pos;
    unsigned char c = (unsigned char)t->p[0];
    if (c == '$') {
        size_t k = i;
        if (k < L->n && lex_is_alpha((unsigned char)s[k])) {
            while (k < L->n && lex_is_ident_char((unsigned char)s[k]))
                k++;
            t->kind = TK_VAR;
        } else {
            t->kind = TK_DOLLAR;
        }
        lex_extend(L, k - i);
        return true;
    }
    if (c == '?') {
        t->kind = TK_QMARK;
        return true;
    }
    static const char *const two[] = { "<=", ">=", "!=", "<>", "||" };
    for (size_t k = 0; k < sizeof two / sizeof two[0]; k++)
        if (i < L->n && s[i - 1] == two[k][0] && s[i] == two[k][1]) {
            i++;
            break;
        }
    /* KVQL lexes "=any", "<any", ... as one token */
    if (strchr("=<>!", c) && i + 3 <= L->n && strncasecmp(s + i, "any", 3) == 0 &&
        !(i + 3 < L->n && lex_is_ident_char((unsigned char)s[i + 3]))) {
        i += 3;
        t->kind = TK_ANYOP;
    }
    lex_extend(L, i - L->pos);
    return true;
}

/* ------------------------------------------------------------------------
 * parser helpers
 * ------------------------------------------------------------------------ */

static bool is_punct(const lex_tok_t *t, const char *p)
{
    return t->kind == LEX_PUNCT && strlen(p) == t->len && strncmp(t->p, p, t->len) == 0;
}

static bool expect_punct(parser_t *P, const char *p)
{
    char b[64];
    if (!is_punct(&P->L.tok, p))
        return FAIL(P, "expected '%s', found %s", p, lex_tok_desc(&P->L.tok, b, sizeof b));
    return lex(P);
}

static bool expect_kw(parser_t *P, const char *kw)
{
    char b[64];
    if (!lex_is_kw(&P->L.tok, kw))
        return FAIL(P, "expected %s, found %s", kw, lex_tok_desc(&P->L.tok, b, sizeof b));
    return lex(P);
}

/* Copy of an identifier token (backquotes removed). */
static const char *tok_ident(parser_t *P)
{
    const char *p = P->L.tok.p;
    size_t len = P->L.tok.len;
    if (P->L.tok.quoted) {
        p++;
        len -= 2;
    }
    char *s = arena_strndup(P->a, p, len);
    if (!s)
        oom(P);
    return s;
}

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xE0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i];
        int d = lex_is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0)
            return false;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return true;
}

/* The contents of a string literal token with its escapes (\' \" \\ \/ \b
 * \f \n \r \t \uXXXX, surrogate pairs joined) applied. */
static const char *tok_string(parser_t *P, size_t *out_len)
{
    const char *p = P->L.tok.p + 1, *end = P->L.tok.p + P->L.tok.len - 1;
    char *out = arena_alloc(P->a, (size_t)(end - p) + 1);
    if (!out) {
        oom(P);
        return NULL;
    }
    size_t o = 0;
    while (p < end) {
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        p++;
        char e = *p++;
        uint32_t cp;
        switch (e) {
        case '\'': case '"': case '\\': case '/': out[o++] = e; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u':
            if (!hex4(p, end, &cp)) {
                FAIL(P, "invalid \\u escape in string literal");
                return NULL;
            }
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, end, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    FAIL(P, "unpaired surrogate \\u escape in string literal");
                    return NULL;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                FAIL(P, "unpaired surrogate \\u escape in string literal");
                return NULL;
            }
            put_utf8(out, &o, cp);   /* at most 4 bytes for 6 (or 12) of input */
            break;
        default:
            FAIL(P, "invalid escape '\\%c' in string literal", e);
            return NULL;
        }
    }
    out[o] = '\0';
    if (!nson_utf8_valid((const uint8_t *)out, o)) {
        FAIL(P, "string literal is not valid UTF-8");
        return NULL;
    }
    *out_len = o;
    return out;
}

static qx_t *new_node(parser_t *P, xkind_t kind, int line, int col)
{
    qx_t *x = arena_calloc(P->a, 1, sizeof *x);
    if (!x) {
        oom(P);
        return NULL;
    }
    x->kind = kind;
    x->line = line;
    x->col = col;
    x->field = -1;
    return x;
}

static nson_value_t *new_value(parser_t *P, nson_type_t type)
{
    nson_value_t *v = arena_calloc(P->a, 1, sizeof *v);
    if (!v)
        oom(P);
    else
        v->type = type;
    return v;
}

/* The variable named name (creating it); NULL on error. */
static qvar_t *var_get(parser_t *P, const char *name, bool create)
{
    query_t *q = P->q;
    for (uint32_t i = 0; i < q->nvars; i++)
        if (strcmp(q->vars[i].name, name) == 0)
            return &q->vars[i];
    if (!create)
        return NULL;
    if (q->nvars >= MAX_VARS) {
        FAIL(P, "too many variables (more than %d)", MAX_VARS);
        return NULL;
    }
    if (q->nvars % 16 == 0) {
        qvar_t *nv = arena_calloc(P->a, q->nvars + 16, sizeof *nv);
        if (!nv) {
            oom(P);
            return NULL;
        }
        if (q->nvars)
            memcpy(nv, q->vars, q->nvars * sizeof *nv);
        q->vars = nv;
    }
    qvar_t *v = &q->vars[q->nvars++];
    memset(v, 0, sizeof *v);
    v->name = name;
    return v;
}

/* ------------------------------------------------------------------------
 * expressions
 * ------------------------------------------------------------------------ */

static qx_t *parse_or(parser_t *P);

/* A numeric literal (the current token, negated when neg) as the server's
 * constant: INTEGER or LONG when it fits, DOUBLE when the double is exact,
 * NUMBER otherwise or with the 'n' suffix (Translator.exitConst_expr). */
static nson_value_t *number_literal(parser_t *P, bool neg)
{
    size_t len = P->L.tok.len;
    char *text = arena_alloc(P->a, len + 2);
    char *dig = arena_alloc(P->a, len + 2);
    if (!text || !dig) {
        oom(P);
        return NULL;
    }
    size_t o = 0;
    if (neg)
        text[o++] = '-';
    memcpy(text + o, P->L.tok.p, len);
    text[o + len] = '\0';
    keyenc_dec_t d;
    cs_error_t e;
    if (keyenc_dec_parse(text, o + len, dig, &d, &e) != CS_OK) {
        FAIL(P, "Invalid numeric literal: %s", text);
        return NULL;
    }
    nson_value_t *v;
    int64_t l;
    if (!P->L.tok.n_suffix && P->L.tok.kind == LEX_INT && keyenc_dec_to_i64(&d, &l)) {
        if (l >= INT32_MIN && l <= INT32_MAX) {
            v = new_value(P, NSON_INTEGER);
            if (v)
                v->u.i = (int32_t)l;
        } else {
            v = new_value(P, NSON_LONG);
            if (v)
                v->u.l = l;
        }
        return v;
    }
    if (!P->L.tok.n_suffix && P->L.tok.kind == LEX_FLOAT) {
        double dv = strtod(text, NULL);
        char dbuf[32];
        keyenc_dec_t dd;
        if (isfinite(dv) && keyenc_dec_from_double(dv, dbuf, &dd) && keyenc_dec_cmp(&d, &dd) == 0) {
            v = new_value(P, NSON_DOUBLE);
            if (v)
                v->u.d = dv;
            return v;
        }
    }
    char *canon = arena_alloc(P->a, d.ndigits + 32);
    if (!canon) {
        oom(P);
        return NULL;
    }
    size_t n = keyenc_dec_format(&d, canon, d.ndigits + 32);
    v = new_value(P, NSON_NUMBER);
    if (v) {
        v->u.str.ptr = canon;
        v->u.str.len = (uint32_t)n;
    }
    return v;
}

/* Names a construct outside the subset, when the current token starts one. */
static bool refuse_construct(parser_t *P)
{
    static const struct { const char *kw; const char *what; } kws[] = {
        { "CASE", "CASE expressions" },
        { "EXISTS", "EXISTS" },
        { "SELECT", "subqueries" },
    };
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (lex_is_kw(&P->L.tok, kws[i].kw))
            return NOTSUP(P, "%s are not supported by csemu's query engine", kws[i].what);
    return true;
}

/* alias.column... or column: a chain of names; the alias is resolved once
 * the FROM clause is known. */
static qx_t *parse_column_ref(parser_t *P)
{
    qx_t *x = new_node(P, X_PATH, P->L.tok.line, P->L.tok.col);
    const char **names = arena_alloc(P->a, 8 * sizeof *names);
    if (!x || !names) {
        oom(P);
        return NULL;
    }
    uint32_t n = 0, cap = 8;
    names[n++] = tok_ident(P);
    if (!names[0] || !lex(P))
        return NULL;
    char b[64];
    if (is_punct(&P->L.tok, "("))
        return NOTSUP(P, "function %s() is not supported by csemu's query engine (only "
                         "count(*) is)", names[0]), NULL;
    while (is_punct(&P->L.tok, ".")) {
        if (!lex(P))
            return NULL;
        const char *name;
        if (P->L.tok.kind == LEX_ID) {
            name = tok_ident(P);
            if (!name || !lex(P))
                return NULL;
            if (is_punct(&P->L.tok, "(")) {
                if (strcasecmp(name, "keys") == 0 || strcasecmp(name, "values") == 0)
                    return NOTSUP(P, "map filter steps (.keys(), .values()) are not supported "
                                     "by csemu's query engine"), NULL;
                return NOTSUP(P, "function %s() is not supported by csemu's query engine", name),
                       NULL;
            }
        } else if (P->L.tok.kind == LEX_STR) {
            size_t l;
            name = tok_string(P, &l);
            if (!name || !lex(P))
                return NULL;
        } else if (P->L.tok.kind == TK_VAR || P->L.tok.kind == TK_DOLLAR ||
                   is_punct(&P->L.tok, "(")) {
            return NOTSUP(P, "computed field steps are not supported by csemu's query engine"),
                   NULL;
        } else {
            return FAIL(P, "expected a field name after '.', found %s",
                        lex_tok_desc(&P->L.tok, b, sizeof b)), NULL;
        }
        if (n == cap) {
            const char **nn = arena_alloc(P->a, 2 * cap * sizeof *nn);
            if (!nn)
                return oom(P), NULL;
            memcpy(nn, names, n * sizeof *nn);
            names = nn;
            cap *= 2;
        }
        if (n >= 256)
            return FAIL(P, "path has too many steps"), NULL;
        names[n++] = name;
    }
    x->names = names;
    x->nnames = n;
    return x;
}

/* Steps that may follow any primary expression; all outside the subset. */
static bool refuse_postfix(parser_t *P)
{
    if (is_punct(&P->L.tok, "["))
        return NOTSUP(P, "array steps ([...]) are not supported by csemu's query engine");
    if (is_punct(&P->L.tok, "."))
        return NOTSUP(P, "field steps on this expression are not supported by csemu's query "
                         "engine");
    return true;
}

static qx_t *parse_primary(parser_t *P)
{
    char b[64];
    lex_tok_t t = P->L.tok;
    if (++P->depth > QUERY_MAX_DEPTH)
        return FAIL(P, "expression nested too deeply (more than %d levels)", QUERY_MAX_DEPTH),
               NULL;
    qx_t *x = NULL;
    if (t.kind == LEX_INT || t.kind == LEX_FLOAT || is_punct(&t, "-")) {
        bool neg = false;
        if (is_punct(&t, "-")) {
            if (!lex(P))
                return NULL;
            if (P->L.tok.kind != LEX_INT && P->L.tok.kind != LEX_FLOAT)
                return NOTSUP(P, "arithmetic expressions are not supported by csemu's query "
                                 "engine"), NULL;
            neg = true;
        }
        x = new_node(P, X_CONST, t.line, t.col);
        if (!x || !(x->val = number_literal(P, neg)) || !lex(P))
            return NULL;
    } else if (t.kind == LEX_STR) {
        size_t len;
        const char *s = tok_string(P, &len);
        nson_value_t *v = s ? new_value(P, NSON_STRING) : NULL;
        x = v ? new_node(P, X_CONST, t.line, t.col) : NULL;
        if (!x)
            return NULL;
        v->u.str.ptr = s;
        v->u.str.len = (uint32_t)len;
        x->val = v;
        if (!lex(P))
            return NULL;
    } else if (lex_is_kw(&t, "true") || lex_is_kw(&t, "false") || lex_is_kw(&t, "null")) {
        nson_value_t *v = new_value(P, lex_is_kw(&t, "null") ? NSON_JSON_NULL : NSON_BOOLEAN);
        x = v ? new_node(P, X_CONST, t.line, t.col) : NULL;
        if (!x)
            return NULL;
        v->u.b = lex_is_kw(&t, "true");
        x->val = v;
        if (!lex(P))
            return NULL;
    } else if (t.kind == TK_VAR || t.kind == TK_QMARK) {
        const char *name;
        if (t.kind == TK_QMARK) {
            char nb[16];
            snprintf(nb, sizeof nb, "#%u", ++P->q->nqmarks);
            name = arena_strndup(P->a, nb, strlen(nb));
        } else {
            name = arena_strndup(P->a, t.p, t.len);
        }
        if (!name)
            return oom(P), NULL;
        if (!lex(P))
            return NULL;
        if (is_punct(&P->L.tok, ".")) {
            /* "$t.col": a "$t" table alias, resolved with the FROM clause */
            x = new_node(P, X_PATH, t.line, t.col);
            if (!x)
                return NULL;
            const char **names = arena_alloc(P->a, 2 * sizeof *names);
            if (!names)
                return oom(P), NULL;
            names[0] = name;
            if (!lex(P))
                return NULL;
            if (P->L.tok.kind != LEX_ID)
                return FAIL(P, "expected a column name after '%s.'", name), NULL;
            qx_t *rest = parse_column_ref(P);
            if (!rest)
                return NULL;
            const char **all = arena_alloc(P->a, (rest->nnames + 1) * sizeof *all);
            if (!all)
                return oom(P), NULL;
            all[0] = name;
            memcpy(all + 1, rest->names, rest->nnames * sizeof *all);
            x->names = all;
            x->nnames = rest->nnames + 1;
        } else {
            x = new_node(P, X_VAR, t.line, t.col);
            if (!x)
                return NULL;
            x->names = arena_alloc(P->a, sizeof *x->names);
            if (!x->names)
                return oom(P), NULL;
            x->names[0] = name;   /* resolved to a variable or the "$t" alias later */
            x->nnames = 1;
        }
    } else if (t.kind == TK_DOLLAR) {
        return NOTSUP(P, "the context item '$' is not supported by csemu's query engine"), NULL;
    } else if (is_punct(&t, "(")) {
        if (!lex(P))
            return NULL;
        if (lex_is_kw(&P->L.tok, "SELECT"))
            return NOTSUP(P, "subqueries are not supported by csemu's query engine"), NULL;
        x = parse_or(P);
        if (!x || !expect_punct(P, ")"))
            return NULL;
    } else if (is_punct(&t, "[")) {
        return NOTSUP(P, "array constructors are not supported by csemu's query engine"), NULL;
    } else if (is_punct(&t, "{")) {
        return NOTSUP(P, "map constructors are not supported by csemu's query engine"), NULL;
    } else if (t.kind == LEX_ID) {
        if (!refuse_construct(P))
            return NULL;
        x = parse_column_ref(P);
        if (!x)
            return NULL;
    } else {
        return FAIL(P, "expected an expression, found %s", lex_tok_desc(&t, b, sizeof b)), NULL;
    }
    P->depth--;
    if (!refuse_postfix(P))
        return NULL;
    return x;
}

/* An operand of a comparison: a primary; arithmetic is refused by name. */
static qx_t *parse_operand(parser_t *P)
{
    qx_t *x = parse_primary(P);
    if (!x)
        return NULL;
    static const char *const arith[] = { "+", "-", "*", "/", "||" };
    for (size_t i = 0; i < sizeof arith / sizeof arith[0]; i++)
        if (is_punct(&P->L.tok, arith[i]))
            return NOTSUP(P, "arithmetic and concatenation ('%s') are not supported by csemu's "
                             "query engine", arith[i]), NULL;
    if (lex_is_kw(&P->L.tok, "div"))
        return NOTSUP(P, "arithmetic (div) is not supported by csemu's query engine"), NULL;
    return x;
}

static bool comp_op(const lex_tok_t *t, cmpop_t *op)
{
    if (t->kind != LEX_PUNCT)
        return false;
    static const struct { const char *p; cmpop_t op; } ops[] = {
        { "=", OP_EQ }, { "!=", OP_NE }, { "<>", OP_NE }, { "<", OP_LT }, { "<=", OP_LE },
        { ">", OP_GT }, { ">=", OP_GE },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (is_punct(t, ops[i].p)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

static qx_t *parse_cond(parser_t *P)
{
    qx_t *a = parse_operand(P);
    if (!a)
        return NULL;
    cmpop_t op;
    if (comp_op(&P->L.tok, &op)) {
        qx_t *x = new_node(P, X_CMP, P->L.tok.line, P->L.tok.col);
        if (!x || !lex(P))
            return NULL;
        x->op = op;
        x->a = a;
        if (!(x->b = parse_operand(P)))
            return NULL;
        if (comp_op(&P->L.tok, &op))
            return FAIL(P, "comparisons cannot be chained: use AND"), NULL;
        return x;
    }
    if (P->L.tok.kind == TK_ANYOP)
        return NOTSUP(P, "quantified comparisons (%.*s) are not supported by csemu's query "
                         "engine", (int)P->L.tok.len, P->L.tok.p), NULL;
    if (lex_is_kw(&P->L.tok, "BETWEEN"))
        return NOTSUP(P, "BETWEEN is not supported by csemu's query engine: use >= AND <="), NULL;
    if (lex_is_kw(&P->L.tok, "IN"))
        return NOTSUP(P, "IN is not supported by csemu's query engine: use = ... OR = ..."), NULL;
    if (lex_is_kw(&P->L.tok, "LIKE"))
        return NOTSUP(P, "LIKE is not supported by csemu's query engine"), NULL;
    return a;
}

static qx_t *parse_is_null(parser_t *P)
{
    qx_t *a = parse_cond(P);
    if (!a)
        return NULL;
    if (!lex_is_kw(&P->L.tok, "IS"))
        return a;
    qx_t *x = new_node(P, X_ISNULL, P->L.tok.line, P->L.tok.col);
    if (!x || !lex(P))
        return NULL;
    if (lex_is_kw(&P->L.tok, "NOT")) {
        x->negated = true;
        if (!lex(P))
            return NULL;
    }
    if (lex_is_kw(&P->L.tok, "OF"))
        return NOTSUP(P, "IS OF TYPE is not supported by csemu's query engine"), NULL;
    if (!expect_kw(P, "NULL"))
        return NULL;
    x->a = a;
    return x;
}

static qx_t *parse_not(parser_t *P)
{
    if (!lex_is_kw(&P->L.tok, "NOT"))
        return parse_is_null(P);
    qx_t *x = new_node(P, X_NOT, P->L.tok.line, P->L.tok.col);
    if (!x || !lex(P))
        return NULL;
    if (lex_is_kw(&P->L.tok, "EXISTS"))
        return NOTSUP(P, "EXISTS is not supported by csemu's query engine"), NULL;
    x->a = parse_is_null(P);
    return x->a ? x : NULL;
}

/* a AND b AND c (or OR): one node with every operand, so that evaluating
 * a long chain needs no deep recursion. */
static qx_t *parse_chain(parser_t *P, xkind_t kind, const char *kw, qx_t *(*sub)(parser_t *))
{
    qx_t *first = sub(P);
    if (!first || !lex_is_kw(&P->L.tok, kw))
        return first;
    qx_t *x = new_node(P, kind, P->L.tok.line, P->L.tok.col);
    if (!x)
        return NULL;
    uint32_t cap = 4;
    x->args = arena_alloc(P->a, cap * sizeof *x->args);
    if (!x->args)
        return oom(P), NULL;
    x->args[x->nargs++] = first;
    while (lex_is_kw(&P->L.tok, kw)) {
        if (!lex(P))
            return NULL;
        qx_t *e = sub(P);
        if (!e)
            return NULL;
        if (x->nargs == cap) {
            qx_t **na = arena_alloc(P->a, 2 * cap * sizeof *na);
            if (!na)
                return oom(P), NULL;
            memcpy(na, x->args, x->nargs * sizeof *na);
            x->args = na;
            cap *= 2;
        }
        x->args[x->nargs++] = e;
    }
    return x;
}

static qx_t *parse_and(parser_t *P)
{
    return parse_chain(P, X_AND, "AND", parse_not);
}

static qx_t *parse_or(parser_t *P)
{
    if (++P->depth > QUERY_MAX_DEPTH)
        return FAIL(P, "expression nested too deeply (more than %d levels)", QUERY_MAX_DEPTH),
               NULL;
    qx_t *x = parse_chain(P, X_OR, "OR", parse_and);
    P->depth--;
    return x;
}

/* ------------------------------------------------------------------------
 * statement
 * ------------------------------------------------------------------------ */

static bool parse_declare(parser_t *P)
{
    static const struct { const char *name; vtype_t t; } types[] = {
        { "INTEGER", VT_INTEGER }, { "LONG", VT_LONG }, { "FLOAT", VT_FLOAT },
        { "DOUBLE", VT_DOUBLE }, { "NUMBER", VT_NUMBER }, { "STRING", VT_STRING },
        { "BOOLEAN", VT_BOOLEAN }, { "BINARY", VT_BINARY }, { "TIMESTAMP", VT_TIMESTAMP },
        { "JSON", VT_JSON }, { "ENUM", VT_ANY }, { "ARRAY", VT_ANY }, { "MAP", VT_ANY },
        { "RECORD", VT_ANY }, { "ANY", VT_ANY }, { "ANYATOMIC", VT_ANY },
        { "ANYJSONATOMIC", VT_ANY }, { "ANYRECORD", VT_ANY }, { "GEOMETRY", VT_ANY },
        { "POINT", VT_ANY },
    };
    char b[64];
    if (!lex(P))   /* DECLARE */
        return false;
    do {
        if (P->L.tok.kind != TK_VAR)
            return FAIL(P, "expected a variable name ($name), found %s",
                        lex_tok_desc(&P->L.tok, b, sizeof b));
        const char *name = arena_strndup(P->a, P->L.tok.p, P->L.tok.len);
        if (!name)
            return oom(P);
        if (var_get(P, name, false))
            return FAIL(P, "variable %s is declared twice", name);
        qvar_t *v = var_get(P, name, true);
        if (!v || !lex(P))
            return false;
        v->declared = true;
        size_t k = 0;
        while (k < sizeof types / sizeof types[0] && !lex_is_kw(&P->L.tok, types[k].name))
            k++;
        if (k == sizeof types / sizeof types[0])
            return FAIL(P, "unknown type %s for variable %s", lex_tok_desc(&P->L.tok, b, sizeof b),
                        name);
        v->type = types[k].t;
        v->type_name = types[k].name;
        if (!lex(P))
            return false;
        if (is_punct(&P->L.tok, "(")) {   /* BINARY(n), TIMESTAMP(p), ARRAY(T), ... */
            int depth = 0;
            do {
                if (P->L.tok.kind == LEX_EOF)
                    return FAIL(P, "unterminated type of variable %s", name);
                if (is_punct(&P->L.tok, "("))
                    depth++;
                else if (is_punct(&P->L.tok, ")"))
                    depth--;
                if (depth > QUERY_MAX_DEPTH)
                    return FAIL(P, "type of variable %s nested too deeply", name);
                if (!lex(P))
                    return false;
            } while (depth > 0);
        }
        if (!expect_punct(P, ";"))
            return false;
    } while (P->L.tok.kind == TK_VAR);
    return true;
}

static bool next_is_clause(const lex_tok_t *t)
{
    static const char *const kws[] = { "WHERE", "ORDER", "GROUP", "LIMIT", "OFFSET", "LEFT" };
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (lex_is_kw(t, kws[i]))
            return true;
    return false;
}

static bool parse_from(parser_t *P)
{
    char b[64];
    query_t *q = P->q;
    if (!expect_kw(P, "FROM"))
        return false;
    if (lex_is_kw(&P->L.tok, "NESTED"))
        return NOTSUP(P, "NESTED TABLES (joins) are not supported by csemu's query engine");
    if (P->L.tok.kind != LEX_ID)
        return FAIL(P, "expected a table name, found %s", lex_tok_desc(&P->L.tok, b, sizeof b));
    buf_t name;
    buf_init(&name, DDL_MAX_TABLE_NAME + 1);
    for (;;) {
        size_t off = P->L.tok.quoted ? 1 : 0;
        buf_append(&name, P->L.tok.p + off, P->L.tok.len - 2 * off);
        if (!lex(P))
            break;
        if (is_punct(&P->L.tok, ":")) {
            buf_free(&name);
            return NOTSUP(P, "namespaces are not supported by csemu (the cloud service has "
                             "none)");
        }
        if (!is_punct(&P->L.tok, "."))
            break;
        buf_putc(&name, '.');
        if (!lex(P))
            break;
        if (P->L.tok.kind != LEX_ID) {
            buf_free(&name);
            return FAIL(P, "expected a table name after '.', found %s",
                        lex_tok_desc(&P->L.tok, b, sizeof b));
        }
    }
    if (P->L.rc != CS_OK || !buf_ok(&name)) {
        bool too_long = !buf_ok(&name);
        buf_free(&name);
        return too_long ? FAIL(P, "table name is too long") : false;
    }
    q->table = arena_strndup(P->a, name.len ? (const char *)name.data : "", name.len);
    buf_free(&name);
    if (!q->table)
        return oom(P);
    bool as = false;
    if (lex_is_kw(&P->L.tok, "AS")) {
        as = true;
        if (!lex(P))
            return false;
    }
    if (P->L.tok.kind == TK_VAR ||
        (P->L.tok.kind == LEX_ID && (as || !next_is_clause(&P->L.tok)))) {
        q->alias_is_var = P->L.tok.kind == TK_VAR;
        q->alias = q->alias_is_var ? arena_strndup(P->a, P->L.tok.p, P->L.tok.len)
                                   : (char *)tok_ident(P);
        if (!q->alias)
            return oom(P);
        if (!lex(P))
            return false;
    } else if (as) {
        return FAIL(P, "expected a table alias after AS, found %s",
                    lex_tok_desc(&P->L.tok, b, sizeof b));
    } else {
        q->alias = arena_strndup(P->a, q->table, strlen(q->table));
        if (!q->alias)
            return oom(P);
        for (char *c = q->alias; *c; c++)
            if (*c == '.')
                *c = '_';
    }
    if (is_punct(&P->L.tok, ","))
        return NOTSUP(P, "several tables or UNNEST in FROM (joins) are not supported by csemu's "
                         "query engine");
    if (lex_is_kw(&P->L.tok, "LEFT"))
        return NOTSUP(P, "LEFT OUTER JOIN is not supported by csemu's query engine");
    return true;
}

static bool parse_select_list(parser_t *P)
{
    query_t *q = P->q;
    char b[64];
    if (!expect_kw(P, "SELECT"))
        return false;
    if (lex_is_kw(&P->L.tok, "DISTINCT"))
        return NOTSUP(P, "SELECT DISTINCT is not supported by csemu's query engine");
    if (is_punct(&P->L.tok, "*")) {
        q->select_star = true;
        return lex(P);
    }
    uint32_t cap = 0;
    for (;;) {
        lex_tok_t start = P->L.tok;
        qx_t *e;
        if (lex_is_kw(&start, "count")) {
            /* count(*) or another aggregate */
            lex_t save = P->L;
            if (!lex(P))
                return false;
            if (!is_punct(&P->L.tok, "(")) {
                P->L = save;
                e = parse_or(P);
            } else {
                if (!lex(P))
                    return false;
                if (!is_punct(&P->L.tok, "*"))
                    return NOTSUP(P, "count(expression) and count(DISTINCT ...) are not "
                                     "supported by csemu's query engine (only count(*) is)");
                if (!lex(P) || !expect_punct(P, ")"))
                    return false;
                e = new_node(P, X_COUNT, start.line, start.col);
                q->count_star = true;
            }
        } else {
            e = parse_or(P);
        }
        if (!e)
            return false;
        if (q->nsel >= MAX_SELECT)
            return FAIL(P, "too many SELECT expressions (more than %d)", MAX_SELECT);
        if (q->nsel == cap) {
            cap = cap ? 2 * cap : 8;
            qsel_t *ns = arena_calloc(P->a, cap, sizeof *ns);
            if (!ns)
                return oom(P);
            if (q->nsel)
                memcpy(ns, q->sel, q->nsel * sizeof *ns);
            q->sel = ns;
        }
        qsel_t *s = &q->sel[q->nsel++];
        s->e = e;
        if (lex_is_kw(&P->L.tok, "AS")) {
            if (!lex(P))
                return false;
            if (P->L.tok.kind != LEX_ID)
                return FAIL(P, "expected a name after AS, found %s",
                            lex_tok_desc(&P->L.tok, b, sizeof b));
            s->name = tok_ident(P);
            s->as_given = true;
            if (!s->name || !lex(P))
                return false;
        }
        if (!is_punct(&P->L.tok, ","))
            break;
        if (!lex(P))
            return false;
    }
    if (q->count_star && q->nsel > 1)
        return fail_at(P, CS_ENOTSUP, 1, 0, "count(*) together with other SELECT expressions "
                                             "(aggregation with GROUP BY) is not supported by "
                                             "csemu's query engine");
    return true;
}

static bool parse_order_by(parser_t *P)
{
    query_t *q = P->q;
    if (!lex(P) || !expect_kw(P, "BY"))
        return false;
    q->order = arena_calloc(P->a, MAX_ORDER, sizeof *q->order);
    q->order_desc = arena_calloc(P->a, MAX_ORDER, sizeof *q->order_desc);
    q->order_nulls_first = arena_calloc(P->a, MAX_ORDER, sizeof *q->order_nulls_first);
    if (!q->order || !q->order_desc || !q->order_nulls_first)
        return oom(P);
    for (;;) {
        if (q->norder >= MAX_ORDER)
            return FAIL(P, "too many ORDER BY expressions");
        qx_t *e = parse_operand(P);
        if (!e)
            return false;
        bool desc = false;
        if (lex_is_kw(&P->L.tok, "ASC") || lex_is_kw(&P->L.tok, "DESC")) {
            desc = lex_is_kw(&P->L.tok, "DESC");
            if (!lex(P))
                return false;
        }
        bool nulls_first = desc;   /* Translator.exitSort_spec */
        if (lex_is_kw(&P->L.tok, "NULLS")) {
            if (!lex(P))
                return false;
            if (!lex_is_kw(&P->L.tok, "FIRST") && !lex_is_kw(&P->L.tok, "LAST"))
                return FAIL(P, "expected FIRST or LAST after NULLS");
            nulls_first = lex_is_kw(&P->L.tok, "FIRST");
            if (!lex(P))
                return false;
        }
        q->order_desc[q->norder] = desc;
        q->order_nulls_first[q->norder] = nulls_first;
        q->order[q->norder++] = e;
        if (!is_punct(&P->L.tok, ","))
            return true;
        if (!lex(P))
            return false;
    }
}

static qx_t *parse_count_value(parser_t *P, const char *what)
{
    lex_tok_t t = P->L.tok;
    if (t.kind == LEX_INT || t.kind == TK_VAR || t.kind == TK_QMARK) {
        qx_t *x = parse_operand(P);
        if (x && x->kind == X_CONST && x->val->type != NSON_INTEGER && x->val->type != NSON_LONG)
            return fail_at(P, CS_EINVAL, t.line, t.col, "%s must be a non-negative integer",
                           what), NULL;
        return x;
    }
    if (t.kind == LEX_EOF)
        return FAIL(P, "expected a number after %s", what), NULL;
    if (t.kind == LEX_STR || t.kind == LEX_FLOAT || is_punct(&t, "-") || lex_is_kw(&t, "true") ||
        lex_is_kw(&t, "false") || lex_is_kw(&t, "null"))
        return FAIL(P, "%s must be a non-negative integer", what), NULL;
    return NOTSUP(P, "%s other than an integer or a variable is not supported by csemu's "
                     "query engine", what), NULL;
}

static bool parse_statement(parser_t *P)
{
    query_t *q = P->q;
    char b[64];
    if (!lex(P))
        return false;
    if (lex_is_kw(&P->L.tok, "DECLARE") && !parse_declare(P))
        return false;
    static const char *const dml[] = { "INSERT", "UPSERT", "UPDATE", "DELETE" };
    for (size_t i = 0; i < sizeof dml / sizeof dml[0]; i++)
        if (lex_is_kw(&P->L.tok, dml[i]))
            return NOTSUP(P, "%s statements are not supported by csemu's query engine: use "
                             "Put, Delete, WriteMultiple or MultiDelete", dml[i]);
    static const char *const ddl[] = { "CREATE", "ALTER", "DROP", "DESCRIBE", "DESC", "SHOW",
                                       "GRANT", "REVOKE" };
    for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++)
        if (lex_is_kw(&P->L.tok, ddl[i]))
            return FAIL(P, "%.*s is not a query: run DDL statements with a TableRequest",
                        (int)P->L.tok.len, P->L.tok.p);
    if (!lex_is_kw(&P->L.tok, "SELECT"))
        return FAIL(P, "expected SELECT, found %s", lex_tok_desc(&P->L.tok, b, sizeof b));
    if (!parse_select_list(P) || !parse_from(P))
        return false;
    if (lex_is_kw(&P->L.tok, "WHERE")) {
        if (!lex(P) || !(q->where = parse_or(P)))
            return false;
    }
    if (lex_is_kw(&P->L.tok, "GROUP"))
        return NOTSUP(P, "GROUP BY is not supported by csemu's query engine");
    if (lex_is_kw(&P->L.tok, "ORDER") && !parse_order_by(P))
        return false;
    if (lex_is_kw(&P->L.tok, "LIMIT")) {
        if (!lex(P) || !(q->limit = parse_count_value(P, "LIMIT")))
            return false;
    }
    if (lex_is_kw(&P->L.tok, "OFFSET")) {
        if (!lex(P) || !(q->offset = parse_count_value(P, "OFFSET")))
            return false;
    }
    if (is_punct(&P->L.tok, ";") && !lex(P))
        return false;
    if (P->L.tok.kind != LEX_EOF)
        return FAIL(P, "unexpected %s after the end of the query",
                    lex_tok_desc(&P->L.tok, b, sizeof b));
    return true;
}

/* ------------------------------------------------------------------------
 * names: aliases, variables, result names (no schema needed)
 * ------------------------------------------------------------------------ */

typedef bool (*visit_fn)(parser_t *P, qx_t *x);

static bool walk(parser_t *P, qx_t *x, visit_fn fn)
{
    if (!x)
        return true;
    if (!fn(P, x))
        return false;
    for (uint32_t i = 0; i < x->nargs; i++)
        if (!walk(P, x->args[i], fn))
            return false;
    return walk(P, x->a, fn) && walk(P, x->b, fn);
}

/* X_PATH: split names into column and steps; X_VAR: link the variable or
 * turn "$t" into the whole row. */
static bool resolve_names(parser_t *P, qx_t *x)
{
    query_t *q = P->q;
    if (x->kind == X_VAR) {
        const char *name = x->names[0];
        if (q->alias_is_var && strcmp(name, q->alias) == 0) {
            x->kind = X_PATH;
            x->whole_row = true;
            return true;
        }
        qvar_t *v = var_get(P, name, true);
        if (!v)
            return false;
        v->used = true;
        x->var = (int)(v - q->vars);
        return true;
    }
    if (x->kind != X_PATH || x->whole_row || x->col_name)
        return true;
    if (x->names[0][0] == '$') {
        if (!q->alias_is_var || strcmp(x->names[0], q->alias) != 0)
            return fail_at(P, CS_ENOTSUP, x->line, x->col, "field steps on variables are not "
                                                           "supported by csemu's query engine");
        x->alias_form = true;
    } else if (x->nnames >= 2) {
        if (q->alias_is_var || strcmp(x->names[0], q->alias) != 0)
            return fail_at(P, CS_EINVAL, x->line, x->col,
                           "No table in the FROM clause has an alias named %s (a path into a "
                           "column must start with the table alias, e.g. %s.%s)",
                           x->names[0], q->alias_is_var ? q->alias : q->alias, x->names[0]);
        x->alias_form = true;
    }
    uint32_t first = x->alias_form ? 1 : 0;
    x->col_name = x->names[first];
    x->steps = x->names + first + 1;
    x->nsteps = x->nnames - first - 1;
    return true;
}

/* Result names; false (with the error) for a repeated AS name. */
static bool name_results(parser_t *P)
{
    query_t *q = P->q;
    for (uint32_t i = 0; i < q->nsel; i++)
        for (uint32_t j = 0; j < i && q->sel[i].as_given; j++)
            if (q->sel[j].as_given && strcmp(q->sel[j].name, q->sel[i].name) == 0)
                return fail_at(P, CS_EINVAL, q->sel[i].e->line, q->sel[i].e->col,
                               "Duplicate column name in SELECT clause: %s", q->sel[i].name);
    /* Translator.exitSelect_list: AS name, else a path's last field name or
     * a variable's name without '$', else (and for repeats) Column_<i> */
    for (uint32_t i = 0; i < q->nsel; i++) {
        qsel_t *s = &q->sel[i];
        if (s->as_given)
            continue;
        qx_t *e = s->e;
        if (e->kind == X_PATH && !e->whole_row)
            s->name = e->nsteps ? e->steps[e->nsteps - 1] : e->col_name;
        else if (e->kind == X_VAR)
            s->name = q->vars[e->var].name[0] == '#' ? NULL : q->vars[e->var].name + 1;
    }
    for (uint32_t i = 0; i < q->nsel; i++) {
        qsel_t *s = &q->sel[i];
        bool dup = false;
        for (uint32_t j = 0; j < i && s->name; j++)
            if (q->sel[j].name && strcmp(q->sel[j].name, s->name) == 0)
                dup = true;
        if (!s->name || dup) {
            char nb[32];
            snprintf(nb, sizeof nb, "Column_%u", i + 1);
            s->name = arena_strndup(q->a, nb, strlen(nb));
            if (!s->name)
                return oom(P);
        }
    }
    return true;
}

cs_err_t query_parse(arena_t *a, const char *text, size_t len, query_t **out, cs_error_t *err)
{
    *out = NULL;
    if (!text || len == 0)
        return cs_fail(err, CS_EINVAL, "the query statement is empty");
    if (len > QUERY_MAX_TEXT)
        return cs_fail(err, CS_EINVAL, "the query statement is longer than %d bytes",
                       QUERY_MAX_TEXT);
    if (memchr(text, '\0', len))
        return cs_fail(err, CS_EINVAL, "the query statement contains a NUL character");
    /* names become result keys: the text must be UTF-8 (a prepared
     * statement comes back as BINARY, never checked by the NSON reader) */
    if (!nson_utf8_valid((const uint8_t *)text, len))
        return cs_fail(err, CS_EINVAL, "the query statement is not valid UTF-8");
    parser_t P = { .a = a };
    lex_init(&P.L, text, len, err);
    P.L.str_what = "string literal";
    query_t *q = arena_calloc(a, 1, sizeof *q);
    if (!q)
        return cs_fail(err, CS_ENOMEM, "out of memory parsing the query");
    q->a = a;
    q->limit_v = -1;
    P.q = q;
    if (!parse_statement(&P))
        return P.L.rc;
    /* each '?' is a variable "#N" */
    for (uint32_t i = 0; i < q->nvars; i++)
        if (q->vars[i].name[0] == '#')
            q->vars[i].used = true;
    bool ok = walk(&P, q->where, resolve_names) && walk(&P, q->limit, resolve_names) &&
              walk(&P, q->offset, resolve_names);
    for (uint32_t i = 0; ok && i < q->nsel; i++)
        ok = walk(&P, q->sel[i].e, resolve_names);
    for (uint32_t i = 0; ok && i < q->norder; i++)
        ok = walk(&P, q->order[i], resolve_names);
    if (!ok)
        return P.L.rc;
    if (!name_results(&P))
        return P.L.rc;
    *out = q;
    return CS_OK;
}

const char *query_table(const query_t *q)
{
    return q->table;
}

/* ------------------------------------------------------------------------
 * schema check
 * ------------------------------------------------------------------------ */

typedef struct checker {
    query_t *q;
    const schema_t *s;
    cs_error_t *err;
    cs_err_t rc;
} checker_t;

static bool check_fail(checker_t *C, cs_err_t code, const qx_t *x, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool check_fail(checker_t *C, cs_err_t code, const qx_t *x, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    C->rc = cs_fail(C->err, code, "Error: at (%d, %d) %s", x->line, x->col, what);
    return false;
}

static bool check_path(checker_t *C, qx_t *x)
{
    const schema_t *s = C->s;
    if (x->whole_row) {
        x->type = NULL;
        return true;
    }
    int f = schema_field_index(s, x->col_name);
    if (f < 0)
        return check_fail(C, CS_EINVAL, x, "Table %s has no column named %s", C->q->table,
                          x->col_name);
    x->field = f;
    const ddl_type_t *t = s->fields[f].type;
    const char *where = s->fields[f].name;
    for (uint32_t i = 0; i < x->nsteps; i++) {
        while (t && t->kind == DDL_T_ARRAY)
            t = t->elem;
        if (!t || t->kind == DDL_T_JSON) {
            t = NULL;   /* inside JSON: names are exact, types unknown */
            continue;
        }
        if (t->kind == DDL_T_MAP) {
            t = t->elem;
        } else if (t->kind == DDL_T_RECORD) {
            uint32_t k = 0;
            while (k < t->nfields && strcasecmp(t->fields[k].name, x->steps[i]) != 0)
                k++;
            if (k == t->nfields)
                return check_fail(C, CS_EINVAL, x, "There is no field named %s in the RECORD "
                                                   "%s", x->steps[i], where);
            x->steps[i] = t->fields[k].name;   /* records store declared names */
            where = t->fields[k].name;
            t = t->fields[k].type;
        } else {
            return check_fail(C, CS_EINVAL, x, "Cannot apply the field step .%s to %s of type "
                                               "%s", x->steps[i], where, ddl_tkind_name(t->kind));
        }
    }
    x->type = t;
    return true;
}

static bool is_enum_path(const qx_t *x)
{
    return x && x->kind == X_PATH && x->type && x->type->kind == DDL_T_ENUM;
}

static bool check_node(checker_t *C, qx_t *x)
{
    if (!x)
        return true;
    if (x->kind == X_PATH && !check_path(C, x))
        return false;
    for (uint32_t i = 0; i < x->nargs; i++)
        if (!check_node(C, x->args[i]))
            return false;
    if (!check_node(C, x->a) || !check_node(C, x->b))
        return false;
    if (x->kind == X_CMP && (is_enum_path(x->a) || is_enum_path(x->b)))
        return check_fail(C, CS_ENOTSUP, x, "comparisons with ENUM columns are not supported by "
                                            "csemu's query engine");
    return true;
}

cs_err_t query_check(query_t *q, const schema_t *s, cs_error_t *err)
{
    checker_t C = { .q = q, .s = s, .err = err };
    q->schema = s;
    bool ok = check_node(&C, q->where);
    for (uint32_t i = 0; ok && i < q->nsel; i++)
        ok = check_node(&C, q->sel[i].e);
    /* ORDER BY a primary-key prefix in one direction is the scan order;
     * anything else sorts the results (SortIter) */
    q->sort = false;
    q->desc = q->norder > 0 && q->order_desc[0];
    for (uint32_t i = 0; ok && i < q->norder; i++) {
        qx_t *o = q->order[i];
        ok = check_node(&C, o);
        if (ok && is_enum_path(o))
            ok = check_fail(&C, CS_ENOTSUP, o, "ORDER BY an ENUM column is not supported by "
                                               "csemu's query engine");
        if (ok && (o->kind != X_PATH || o->whole_row || o->nsteps || i >= s->npk ||
                   (uint32_t)o->field != s->pk[i] || q->order_desc[i] != q->desc))
            q->sort = true;
    }
    if (q->sort || q->count_star)
        q->desc = false;
    if (q->count_star)
        q->sort = false;
    if (!ok) {
        q->schema = NULL;
        return C.rc;
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * binding
 * ------------------------------------------------------------------------ */

static bool value_fits(vtype_t t, const nson_value_t *v)
{
    if (v->type == NSON_NULL)
        return true;
    switch (t) {
    case VT_ANY:
    case VT_JSON: return true;
    case VT_INTEGER:
        return v->type == NSON_INTEGER ||
               (v->type == NSON_LONG && v->u.l >= INT32_MIN && v->u.l <= INT32_MAX);
    case VT_LONG: return v->type == NSON_INTEGER || v->type == NSON_LONG;
    case VT_FLOAT:
    case VT_DOUBLE:
        return v->type == NSON_INTEGER || v->type == NSON_LONG || v->type == NSON_DOUBLE;
    case VT_NUMBER:
        return v->type == NSON_INTEGER || v->type == NSON_LONG || v->type == NSON_DOUBLE ||
               v->type == NSON_NUMBER;
    case VT_STRING: return v->type == NSON_STRING;
    case VT_BOOLEAN: return v->type == NSON_BOOLEAN;
    case VT_BINARY: return v->type == NSON_BINARY;
    case VT_TIMESTAMP: {
        if (v->type == NSON_TIMESTAMP)
            return true;
        cs_ts_t ts;
        return v->type == NSON_STRING && !v->u.str.is_null &&
               timefmt_parse(v->u.str.ptr, v->u.str.len, &ts, NULL) == CS_OK;
    }
    }
    return false;
}

/* A LIMIT/OFFSET operand's value, which must be a non-negative integer. */
static cs_err_t count_value(const query_t *q, const qx_t *x, const char *what, int64_t *out,
                            cs_error_t *err)
{
    const nson_value_t *v = x->kind == X_CONST ? x->val : q->vars[x->var].value;
    int64_t n;
    if (v->type == NSON_INTEGER)
        n = v->u.i;
    else if (v->type == NSON_LONG)
        n = v->u.l;
    else
        return cs_fail(err, CS_EINVAL, "%s must be a non-negative integer, not a %s value", what,
                       query_type_name(v));
    if (n < 0)
        return cs_fail(err, CS_EINVAL, "%s must be a non-negative integer, not %lld", what,
                       (long long)n);
    *out = n;
    return CS_OK;
}

cs_err_t query_bind(query_t *q, const nson_value_t *bv, cs_error_t *err)
{
    for (uint32_t i = 0; i < q->nvars; i++)
        q->vars[i].value = NULL;
    if (bv && bv->type != NSON_ARRAY)
        return cs_fail(err, CS_EPROTO, "bind variables \"bv\" must be an ARRAY");
    for (uint32_t i = 0; bv && i < bv->u.arr.count; i++) {
        const nson_value_t *e = bv->u.arr.items[i];
        const char *name;
        bool bad = false;
        const nson_value_t *val = e->type == NSON_MAP ? nson_map_get(e, "l") : NULL;
        if (e->type != NSON_MAP || !nson_get_string(e, "m", &name, &bad) || !val)
            return cs_fail(err, CS_EPROTO, "bind variable %u is not a MAP {m: name, l: value}", i);
        for (uint32_t k = 0; k < q->nvars; k++)
            if (strcmp(q->vars[k].name, name) == 0)
                q->vars[k].value = val;
        /* a value for a variable the statement does not use is ignored */
    }
    for (uint32_t i = 0; i < q->nvars; i++) {
        const qvar_t *v = &q->vars[i];
        if (!v->used)
            continue;
        const char *shown = v->name[0] == '#' ? "?" : v->name;
        if (!v->value) {
            if (v->name[0] == '#')
                return cs_fail(err, CS_EINVAL, "Variable at position %s has not been bound",
                               v->name + 1);
            return cs_fail(err, CS_EINVAL, "Variable %s has not been bound", shown);
        }
        if (v->value->type == NSON_EMPTY)
            return cs_fail(err, CS_EINVAL, "Variable %s is bound to an EMPTY value", shown);
        if (v->declared && !value_fits(v->type, v->value))
            return cs_fail(err, CS_EINVAL, "Variable %s is declared %s but bound to a %s value",
                           v->name, v->type_name, query_type_name(v->value));
    }
    q->limit_v = -1;
    q->offset_v = 0;
    cs_err_t rc = CS_OK;
    if (q->limit)
        rc = count_value(q, q->limit, "LIMIT", &q->limit_v, err);
    if (rc == CS_OK && q->offset)
        rc = count_value(q, q->offset, "OFFSET", &q->offset_v, err);
    return rc;
}

void query_exec_info(const query_t *q, query_exec_t *out)
{
    out->count_star = q->count_star;
    out->select_star = q->select_star;
    out->desc = q->desc;
    out->sort = q->sort;
    out->offset = q->offset_v;
    out->limit = q->limit_v;
}

/* ------------------------------------------------------------------------
 * key prefix
 * ------------------------------------------------------------------------ */

/* The value an equality conjunct fixes column f to, or NULL. */
static const nson_value_t *eq_value(const query_t *q, const qx_t *x, uint32_t f)
{
    if (!x)
        return NULL;
    if (x->kind == X_AND) {
        for (uint32_t i = 0; i < x->nargs; i++) {
            const nson_value_t *v = eq_value(q, x->args[i], f);
            if (v)
                return v;
        }
        return NULL;
    }
    if (x->kind != X_CMP || x->op != OP_EQ)
        return NULL;
    for (int side = 0; side < 2; side++) {
        const qx_t *p = side ? x->b : x->a, *o = side ? x->a : x->b;
        if (p->kind != X_PATH || p->whole_row || p->nsteps || p->field != (int)f)
            continue;
        if (o->kind == X_CONST)
            return o->val;
        if (o->kind == X_VAR)
            return q->vars[o->var].value;
    }
    return NULL;
}

uint32_t query_key_prefix(const query_t *q, nson_writer_t *w)
{
    const schema_t *s = q->schema;
    if (!s || !q->where)
        return 0;
    const nson_value_t *vals[64];
    uint32_t n = 0;
    while (n < s->npk && n < 64) {
        const schema_field_t *f = &s->fields[s->pk[n]];
        const nson_value_t *v = eq_value(q, q->where, s->pk[n]);
        if (!v)
            break;
        ddl_tkind_t k = f->type->kind;
        bool ok = ((k == DDL_T_INTEGER || k == DDL_T_LONG) && query_is_intlike(v)) ||
                  (k == DDL_T_STRING && !f->type->as_uuid && v->type == NSON_STRING &&
                   !v->u.str.is_null);
        if (!ok)
            break;
        vals[n++] = v;
    }
    if (n < s->nshard || n == 0)
        return 0;
    nson_w_map_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        nson_w_key(w, schema_pk_name(s, i));
        nson_w_value(w, vals[i]);
    }
    nson_w_map_end(w);
    return n;
}

/* ------------------------------------------------------------------------
 * plan text
 * ------------------------------------------------------------------------ */

static void describe_expr(buf_t *b, const query_t *q, const qx_t *x)
{
    switch (x->kind) {
    case X_CONST:
        switch (x->val->type) {
        case NSON_INTEGER: buf_printf(b, "%d", x->val->u.i); break;
        case NSON_LONG: buf_printf(b, "%lld", (long long)x->val->u.l); break;
        case NSON_DOUBLE: buf_printf(b, "%.17g", x->val->u.d); break;
        case NSON_NUMBER: buf_printf(b, "%sn", x->val->u.str.ptr); break;
        case NSON_STRING: buf_printf(b, "'%s'", x->val->u.str.ptr); break;
        case NSON_BOOLEAN: buf_printf(b, "%s", x->val->u.b ? "true" : "false"); break;
        default: buf_printf(b, "null"); break;
        }
        break;
    case X_VAR:
        buf_printf(b, "%s", q->vars[x->var].name[0] == '#' ? "?" : q->vars[x->var].name);
        break;
    case X_PATH:
        if (x->whole_row) {
            buf_printf(b, "%s", q->alias);
            break;
        }
        buf_printf(b, "%s", x->field >= 0 && q->schema ? q->schema->fields[x->field].name
                                                       : x->col_name);
        for (uint32_t i = 0; i < x->nsteps; i++)
            buf_printf(b, ".%s", x->steps[i]);
        break;
    case X_CMP:
        buf_putc(b, '(');
        describe_expr(b, q, x->a);
        buf_printf(b, " %s ", cmpop_text[x->op]);
        describe_expr(b, q, x->b);
        buf_putc(b, ')');
        break;
    case X_AND:
    case X_OR:
        buf_putc(b, '(');
        for (uint32_t i = 0; i < x->nargs; i++) {
            if (i)
                buf_printf(b, " %s ", x->kind == X_AND ? "AND" : "OR");
            describe_expr(b, q, x->args[i]);
        }
        buf_putc(b, ')');
        break;
    case X_NOT:
        buf_printf(b, "NOT ");
        describe_expr(b, q, x->a);
        break;
    case X_ISNULL:
        describe_expr(b, q, x->a);
        buf_printf(b, x->negated ? " IS NOT NULL" : " IS NULL");
        break;
    case X_COUNT:
        buf_printf(b, "count(*)");
        break;
    }
}

void query_describe(const query_t *q, buf_t *b)
{
    buf_printf(b, "csemu simple query: %s of table %s in %s primary key order",
               q->count_star ? "count(*)" : "scan", q->table, q->desc ? "descending" : "ascending");
    if (q->sort) {
        buf_printf(b, "\n  sort: ");
        for (uint32_t i = 0; i < q->norder; i++) {
            if (i)
                buf_printf(b, ", ");
            describe_expr(b, q, q->order[i]);
            buf_printf(b, "%s%s", q->order_desc[i] ? " DESC" : "",
                       q->order_nulls_first[i] != q->order_desc[i]
                           ? (q->order_nulls_first[i] ? " NULLS FIRST" : " NULLS LAST") : "");
        }
    }
    if (q->where) {
        buf_printf(b, "\n  filter: ");
        describe_expr(b, q, q->where);
    }
    if (!q->count_star) {
        buf_printf(b, "\n  select: ");
        if (q->select_star)
            buf_printf(b, "*");
        for (uint32_t i = 0; !q->select_star && i < q->nsel; i++) {
            buf_printf(b, "%s%s = ", i ? ", " : "", q->sel[i].name);
            describe_expr(b, q, q->sel[i].e);
        }
    }
    if (q->offset) {
        buf_printf(b, "\n  offset: ");
        describe_expr(b, q, q->offset);
    }
    if (q->limit) {
        buf_printf(b, "\n  limit: ");
        describe_expr(b, q, q->limit);
    }
    buf_putc(b, '\0');
}
