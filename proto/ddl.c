/*
 * ddl.c - recursive-descent parser for table DDL (grammar in ddl.h).
 *
 * Sections: tokens (on top of lex.c), parser helpers, types and column definitions, CREATE
 * TABLE, ALTER TABLE, indexes, statement dispatch. Every node comes from the
 * statement's own arena, so an error anywhere is cleaned up by one
 * arena_free. Parse functions return false after recording the first error
 * in the lexer (P->L.rc / P->L.err); callers just propagate false.
 */
#include "ddl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lex.h"

/* ------------------------------------------------------------------------
 * tokens (the lexer is lex.c; the DDL's punctuation and keywords are here)
 * ------------------------------------------------------------------------ */

typedef struct parser {
    lex_t L;            /* text, position, current token, sticky error */
    arena_t *a;
    int depth;
} parser_t;

#define FAIL(P, ...) lex_fail_tok(&(P)->L, CS_EINVAL, __VA_ARGS__)
#define NOTSUP(P, ...) lex_fail_tok(&(P)->L, CS_ENOTSUP, __VA_ARGS__)

/* "'text'" of the current token, or "end of statement". */
static const char *tok_desc(parser_t *P, char *buf, size_t cap)
{
    return lex_tok_desc(&P->L.tok, buf, cap);
}

/* Read the next token into P->L.tok; a byte that is no DDL punctuation is
 * refused here. */
static bool lex(parser_t *P)
{
    if (!lex_next(&P->L))
        return false;
    lex_tok_t *t = &P->L.tok;
    if (t->kind != LEX_PUNCT)
        return true;
    unsigned char c = (unsigned char)t->p[0];
    if (strchr("(),.;:[]{}*+-=<>!?/|$", c) != NULL)
        return true;
    t->kind = LEX_EOF;
    if (c >= 0x80 || c < 0x20)
        return FAIL(P, "unexpected character (byte 0x%02X)", c);
    return FAIL(P, "unexpected character '%c'", c);
}

/* ------------------------------------------------------------------------
 * parser helpers
 * ------------------------------------------------------------------------ */

static bool is_kw(parser_t *P, const char *kw) { return lex_is_kw(&P->L.tok, kw); }

static bool is_punct(parser_t *P, char c)
{
    return P->L.tok.kind == LEX_PUNCT && P->L.tok.p[0] == c;
}

static bool next(parser_t *P) { return lex(P); }

/* Look at the token `ahead` positions after the current one; an error on
 * the way is not recorded and reads as the end of the statement. */
static lex_tok_t peek(parser_t *P, int ahead)
{
    lex_t save = P->L;
    cs_error_t scratch;
    P->L.err = &scratch;
    for (int i = 0; i < ahead; i++)
        if (!lex(P))
            break;
    lex_tok_t t = P->L.tok;
    if (P->L.rc != CS_OK)
        t.kind = LEX_EOF;
    P->L = save;
    return t;
}

static bool accept_kw(parser_t *P, const char *kw)
{
    if (!is_kw(P, kw))
        return false;
    next(P);
    return true;
}

static bool accept_punct(parser_t *P, char c)
{
    if (!is_punct(P, c))
        return false;
    next(P);
    return true;
}

static bool expect_kw(parser_t *P, const char *kw, const char *where)
{
    char b[64];
    if (P->L.rc != CS_OK)
        return false;
    if (!is_kw(P, kw))
        return FAIL(P, "expected %s%s%s, found %s", kw, where ? " " : "", where ? where : "",
                    tok_desc(P, b, sizeof b));
    return next(P);
}

static bool expect_punct(parser_t *P, char c, const char *where)
{
    char b[64];
    if (P->L.rc != CS_OK)
        return false;
    if (!is_punct(P, c))
        return FAIL(P, "expected '%c'%s%s, found %s", c, where ? " " : "", where ? where : "",
                    tok_desc(P, b, sizeof b));
    return next(P);
}

static char *dup_tok(parser_t *P, const lex_tok_t *t)
{
    char *s = arena_strndup(P->a, t->p, t->len);
    if (!s)
        lex_fail(&P->L, CS_ENOMEM, t->line, t->col, "out of memory");
    return s;
}

/* Grow an arena vector by one element; returns the new element (zeroed). */
static void *vec_push(parser_t *P, void **arr, uint32_t *n, uint32_t *cap, size_t elsize)
{
    if (*n == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 4;
        void *na = arena_calloc(P->a, ncap, elsize);
        if (!na) {
            FAIL(P, "statement too complex");
            return NULL;
        }
        if (*n)
            memcpy(na, *arr, (size_t)*n * elsize);
        *arr = na;
        *cap = ncap;
    }
    void *el = (char *)*arr + (size_t)*n * elsize;
    memset(el, 0, elsize);
    (*n)++;
    return el;
}

bool ddl_valid_name(const char *s)
{
    if (!s || !lex_is_alpha((unsigned char)s[0]))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!lex_is_ident_char((unsigned char)*p))
            return false;
    return true;
}

/* An identifier (plain or `quoted`); checks the name rules for `what`
 * ("Field names", "Table names", ...) with length limit maxlen. */
static bool parse_name(parser_t *P, const char *what, size_t maxlen, char **out)
{
    char b[64];
    lex_tok_t t = P->L.tok;
    if (P->L.rc != CS_OK)
        return false;
    if (t.kind == LEX_ID && t.quoted) {
        t.p++;
        t.len -= 2;
    } else if (t.kind != LEX_ID) {
        return FAIL(P, "expected a name, found %s", tok_desc(P, b, sizeof b));
    }
    char *s = dup_tok(P, &t);
    if (!s)
        return false;
    if (!ddl_valid_name(s))
        return FAIL(P, "%s may contain only alphanumeric values plus the character \"_\" "
                    "and must start with an alphabetic character: %s", what, s);
    if (strlen(s) > maxlen)
        return FAIL(P, "Illegal name: %.64s... %s must be less than or equal to %zu characters.",
                    s, what, maxlen);
    *out = s;
    return next(P);
}

/* [namespace:]name[.child...] -> "name.child" */
static bool parse_table_name(parser_t *P, char **out)
{
    char *first;
    if (!parse_name(P, "Table names", DDL_MAX_TABLE_NAME, &first))
        return false;
    if (is_punct(P, ':'))
        return NOTSUP(P, "namespaces are not supported by the cloud service: %s:", first);
    size_t len = strlen(first);
    char *full = first;
    while (is_punct(P, '.')) {
        char *part;
        if (!next(P) || !parse_name(P, "Table names", DDL_MAX_TABLE_NAME, &part))
            return false;
        size_t pl = strlen(part);
        char *nf = arena_alloc(P->a, len + 1 + pl + 1);
        if (!nf)
            return FAIL(P, "statement too complex");
        memcpy(nf, full, len);
        nf[len] = '.';
        memcpy(nf + len + 1, part, pl + 1);
        full = nf;
        len += 1 + pl;
    }
    *out = full;
    return true;
}

/* Unescape a '...' or "..." token into arena memory. */
static bool parse_string(parser_t *P, char **out)
{
    char b[64];
    if (P->L.rc != CS_OK)
        return false;
    if (P->L.tok.kind != LEX_STR)
        return FAIL(P, "expected a quoted string, found %s", tok_desc(P, b, sizeof b));
    const char *s = P->L.tok.p + 1;
    size_t n = P->L.tok.len - 2;
    char *o = arena_alloc(P->a, n + 1);
    if (!o)
        return FAIL(P, "statement too complex");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            o[k++] = s[i];
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            if (i + 4 >= n)
                return FAIL(P, "invalid \\u escape in string");
            for (int j = 1; j <= 4; j++) {
                char h = s[i + j];
                if (!isxdigit((unsigned char)h))
                    return FAIL(P, "invalid \\u escape in string");
                cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
            }
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return FAIL(P, "surrogate \\u escapes are not supported in strings");
            if (cp < 0x80) {
                o[k++] = (char)cp;
            } else if (cp < 0x800) {
                o[k++] = (char)(0xC0 | (cp >> 6));
                o[k++] = (char)(0x80 | (cp & 0x3F));
            } else {
                o[k++] = (char)(0xE0 | (cp >> 12));
                o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[k++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: o[k++] = e; break;   /* \' \" \\ \/ */
        }
    }
    o[k] = '\0';
    *out = o;
    return next(P);
}

/* Integer literal into int64 within [lo, hi]. */
static bool parse_int(parser_t *P, bool allow_sign, int64_t lo, int64_t hi, const char *what,
                      int64_t *out)
{
    char b[64];
    int sign = 1;
    if (allow_sign && (is_punct(P, '-') || is_punct(P, '+'))) {
        sign = is_punct(P, '-') ? -1 : 1;
        if (!next(P))
            return false;
    }
    if (P->L.tok.kind != LEX_INT)
        return FAIL(P, "expected an integer for %s, found %s", what, tok_desc(P, b, sizeof b));
    /* accumulate negatively so INT64_MIN parses */
    int64_t v = 0;
    for (size_t i = 0; i < P->L.tok.len; i++) {
        int d = P->L.tok.p[i] - '0';
        if (v < (INT64_MIN + d) / 10)
            return FAIL(P, "Invalid value for %s: %.*s is out of range", what,
                        (int)P->L.tok.len, P->L.tok.p);
        v = v * 10 - d;
    }
    if (sign > 0) {
        if (v == INT64_MIN)
            return FAIL(P, "Invalid value for %s: out of range", what);
        v = -v;
    }
    if (v < lo || v > hi)
        return FAIL(P, "Invalid value for %s: %lld is out of range", what, (long long)v);
    *out = v;
    return next(P);
}

/* duration: INT (SECONDS|S|MINUTES|M|HOURS|H|DAYS|D); only hours and days
 * are valid for a table TTL. */
static bool parse_duration(parser_t *P, ttl_t *out)
{
    char b[64];
    lex_tok_t start = P->L.tok;
    int64_t v;
    if (!parse_int(P, false, 0, INT32_MAX, "TTL", &v))
        return false;
    if (is_kw(P, "DAYS") || is_kw(P, "D")) {
        out->unit = TTL_DAYS;
    } else if (is_kw(P, "HOURS") || is_kw(P, "H")) {
        out->unit = TTL_HOURS;
    } else if (is_kw(P, "SECONDS") || is_kw(P, "S") || is_kw(P, "MINUTES") || is_kw(P, "M")) {
        bool sec = is_kw(P, "SECONDS") || is_kw(P, "S");
        return lex_fail(&P->L, CS_EINVAL, start.line, start.col,
                        "Invalid TTL Unit: %s in %lld %.*s", sec ? "SECONDS" : "MINUTES",
                        (long long)v, (int)P->L.tok.len, P->L.tok.p);
    } else {
        return FAIL(P, "expected a TTL unit (DAYS or HOURS), found %s", tok_desc(P, b, sizeof b));
    }
    out->value = v;
    return next(P);
}

/* ------------------------------------------------------------------------
 * types and column definitions
 * ------------------------------------------------------------------------ */

const char *ddl_tkind_name(ddl_tkind_t k)
{
    static const char *const names[] = {
        [DDL_T_INTEGER] = "INTEGER", [DDL_T_LONG] = "LONG", [DDL_T_FLOAT] = "FLOAT",
        [DDL_T_DOUBLE] = "DOUBLE", [DDL_T_NUMBER] = "NUMBER", [DDL_T_STRING] = "STRING",
        [DDL_T_BOOLEAN] = "BOOLEAN", [DDL_T_BINARY] = "BINARY",
        [DDL_T_FIXED_BINARY] = "FIXED_BINARY", [DDL_T_ENUM] = "ENUM",
        [DDL_T_TIMESTAMP] = "TIMESTAMP", [DDL_T_JSON] = "JSON", [DDL_T_ARRAY] = "ARRAY",
        [DDL_T_MAP] = "MAP", [DDL_T_RECORD] = "RECORD",
    };
    if ((unsigned)k >= sizeof names / sizeof names[0])
        return "UNKNOWN";
    return names[k];
}

static bool parse_field_def(parser_t *P, ddl_field_t *f, bool top_level, int depth);

/* type_def. `field` names the column for messages. */
static bool parse_type(parser_t *P, const char *field, int depth, ddl_type_t **out)
{
    char b[64];
    if (P->L.rc != CS_OK)
        return false;
    if (depth > DDL_MAX_DEPTH)
        return FAIL(P, "type of field '%s' is nested too deeply (limit %d)", field,
                    DDL_MAX_DEPTH);
    ddl_type_t *t = arena_calloc(P->a, 1, sizeof *t);
    if (!t)
        return FAIL(P, "statement too complex");
    *out = t;
    if (P->L.tok.kind != LEX_ID || P->L.tok.quoted) {
        return FAIL(P, "expected a type for field '%s', found %s", field,
                    tok_desc(P, b, sizeof b));
    }
    static const struct { const char *kw; ddl_tkind_t k; } simple[] = {
        {"INTEGER", DDL_T_INTEGER}, {"LONG", DDL_T_LONG}, {"FLOAT", DDL_T_FLOAT},
        {"DOUBLE", DDL_T_DOUBLE}, {"NUMBER", DDL_T_NUMBER}, {"STRING", DDL_T_STRING},
        {"BOOLEAN", DDL_T_BOOLEAN}, {"JSON", DDL_T_JSON},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (is_kw(P, simple[i].kw)) {
            t->kind = simple[i].k;
            return next(P);
        }
    if (accept_kw(P, "BINARY")) {
        t->kind = DDL_T_BINARY;
        if (accept_punct(P, '(')) {
            int64_t size;
            if (!parse_int(P, false, 0, INT32_MAX, "BINARY size", &size))
                return false;
            if (size > 0) {
                t->kind = DDL_T_FIXED_BINARY;
                t->size = (int)size;
            }
            return expect_punct(P, ')', "after the BINARY size");
        }
        return P->L.rc == CS_OK;
    }
    if (is_kw(P, "TIMESTAMP")) {
        lex_tok_t at = P->L.tok;
        next(P);
        t->kind = DDL_T_TIMESTAMP;
        if (!is_punct(P, '('))
            return lex_fail(&P->L, CS_EINVAL, at.line, at.col,
                            "In DDL statements there is no default precision for the Timestamp "
                            "type. The precision must be explicitly specified.");
        next(P);
        int64_t p;
        if (P->L.tok.kind == LEX_INT && P->L.tok.len < 10 && atoi(P->L.tok.p) > 9)
            return FAIL(P, "Timestamp precision exceeds the maximum allowed precision (9)");
        if (!parse_int(P, false, 0, 9, "Timestamp precision", &p))
            return false;
        t->precision = (int)p;
        return expect_punct(P, ')', "after the TIMESTAMP precision");
    }
    if (accept_kw(P, "ENUM")) {
        t->kind = DDL_T_ENUM;
        uint32_t cap = 0;
        if (!expect_punct(P, '(', "after ENUM"))
            return false;
        do {
            char **slot = vec_push(P, (void **)&t->symbols, &t->nsymbols, &cap, sizeof(char *));
            if (!slot || !parse_name(P, "Enum symbols", 256, slot))
                return false;
        } while (accept_punct(P, ','));
        return expect_punct(P, ')', "after the ENUM symbols");
    }
    if (is_kw(P, "ARRAY") || is_kw(P, "MAP")) {
        t->kind = is_kw(P, "ARRAY") ? DDL_T_ARRAY : DDL_T_MAP;
        next(P);
        if (!expect_punct(P, '(', t->kind == DDL_T_ARRAY ? "after ARRAY" : "after MAP") ||
            !parse_type(P, field, depth + 1, &t->elem))
            return false;
        return expect_punct(P, ')', "after the element type");
    }
    if (accept_kw(P, "RECORD")) {
        t->kind = DDL_T_RECORD;
        uint32_t cap = 0;
        if (!expect_punct(P, '(', "after RECORD"))
            return false;
        do {
            ddl_field_t *f = vec_push(P, (void **)&t->fields, &t->nfields, &cap, sizeof *f);
            if (!f || !parse_field_def(P, f, false, depth + 1))
                return false;
        } while (accept_punct(P, ','));
        if (P->L.rc == CS_OK && !is_punct(P, ')'))
            return FAIL(P, "expected ',' or ')' after a RECORD field, found %s",
                        tok_desc(P, b, sizeof b));
        return expect_punct(P, ')', NULL);
    }
    static const char *const anys[] = {"ANY", "ANYATOMIC", "ANYJSONATOMIC", "ANYRECORD"};
    static const char *const anyn[] = {"Any", "AnyAtomic", "AnyJsonAtomic", "AnyRecord"};
    for (size_t i = 0; i < 4; i++)
        if (is_kw(P, anys[i]))
            return FAIL(P, "Type %s not allowed in DDL statements.", anyn[i]);
    return FAIL(P, "Unknown type %s for field '%s'", tok_desc(P, b, sizeof b), field);
}

/* DEFAULT literal: number | string | TRUE | FALSE | identifier */
static bool parse_default_value(parser_t *P, ddl_literal_t *lit)
{
    char b[64];
    if (is_punct(P, '-')) {
        if (!next(P))
            return false;
        if (P->L.tok.kind != LEX_INT && P->L.tok.kind != LEX_FLOAT)
            return FAIL(P, "expected a number after '-', found %s", tok_desc(P, b, sizeof b));
        char *s = arena_alloc(P->a, P->L.tok.len + 2);
        if (!s)
            return FAIL(P, "statement too complex");
        s[0] = '-';
        memcpy(s + 1, P->L.tok.p, P->L.tok.len);
        s[P->L.tok.len + 1] = '\0';
        *lit = (ddl_literal_t){DDL_LIT_NUMBER, s};
        return next(P);
    }
    switch (P->L.tok.kind) {
    case LEX_INT:
    case LEX_FLOAT:
        lit->kind = DDL_LIT_NUMBER;
        return (lit->text = dup_tok(P, &P->L.tok)) != NULL && next(P);
    case LEX_STR:
        lit->kind = DDL_LIT_STRING;
        return parse_string(P, &lit->text);
    case LEX_ID:
        if (P->L.tok.quoted) {
            lex_tok_t t = P->L.tok;
            t.p++;
            t.len -= 2;
            lit->kind = DDL_LIT_ID;
            return (lit->text = dup_tok(P, &t)) != NULL && next(P);
        }
        if (is_kw(P, "TRUE") || is_kw(P, "FALSE")) {
            lit->kind = DDL_LIT_BOOL;
            lit->text = is_kw(P, "TRUE") ? "true" : "false";
            return next(P);
        }
        if (is_kw(P, "NULL"))
            return FAIL(P, "NULL is not a valid DEFAULT value");
        lit->kind = DDL_LIT_ID;
        return (lit->text = dup_tok(P, &P->L.tok)) != NULL && next(P);
    default:
        return FAIL(P, "expected a DEFAULT value, found %s", tok_desc(P, b, sizeof b));
    }
}

/* GENERATED (ALWAYS | BY DEFAULT [ON NULL]) AS IDENTITY [(options)] */
static bool parse_identity(parser_t *P, ddl_identity_t **out)
{
    ddl_identity_t *id = arena_calloc(P->a, 1, sizeof *id);
    if (!id)
        return FAIL(P, "statement too complex");
    id->start = 1;
    id->increment = 1;
    id->cache = 1000;
    *out = id;
    if (!expect_kw(P, "GENERATED", NULL))
        return false;
    if (accept_kw(P, "ALWAYS")) {
        id->always = true;
    } else {
        if (!expect_kw(P, "BY", "or ALWAYS after GENERATED") ||
            !expect_kw(P, "DEFAULT", "after GENERATED BY"))
            return false;
        if (accept_kw(P, "ON")) {
            if (!expect_kw(P, "NULL", "after ON"))
                return false;
            id->on_null = true;
        }
    }
    if (!expect_kw(P, "AS", "after GENERATED ...") || !expect_kw(P, "IDENTITY", "after AS"))
        return false;
    if (!accept_punct(P, '('))
        return P->L.rc == CS_OK;
    bool seen_start = false, seen_inc = false, seen_max = false, seen_min = false,
         seen_cache = false, seen_cycle = false;
    char b[64];
    do {
        if (P->L.rc != CS_OK)
            return false;
        if (accept_kw(P, "START")) {
            if (seen_start)
                return FAIL(P, "START WITH can be specified for only one time");
            seen_start = true;
            if (!expect_kw(P, "WITH", "after START") ||
                !parse_int(P, true, INT64_MIN, INT64_MAX, "START WITH", &id->start))
                return false;
        } else if (accept_kw(P, "INCREMENT")) {
            if (seen_inc)
                return FAIL(P, "INCREMENT BY can be specified for only one time");
            seen_inc = true;
            if (!expect_kw(P, "BY", "after INCREMENT") ||
                !parse_int(P, true, INT64_MIN, INT64_MAX, "INCREMENT BY", &id->increment))
                return false;
        } else if (accept_kw(P, "MAXVALUE")) {
            if (seen_max)
                return FAIL(P, "MAXVALUE can be specified for only one time and cannot be "
                            "specified when NO MAXVALUE is specified.");
            seen_max = id->has_max = true;
            if (!parse_int(P, true, INT64_MIN, INT64_MAX, "MAXVALUE", &id->max))
                return false;
        } else if (accept_kw(P, "MINVALUE")) {
            if (seen_min)
                return FAIL(P, "MINVALUE can be specified for only one time and cannot be "
                            "specified when NO MINVALUE is specified.");
            seen_min = id->has_min = true;
            if (!parse_int(P, true, INT64_MIN, INT64_MAX, "MINVALUE", &id->min))
                return false;
        } else if (accept_kw(P, "CACHE")) {
            if (seen_cache)
                return FAIL(P, "CACHE can be specified for only one time and cannot be "
                            "specified when NO CACHE is specified.");
            seen_cache = true;
            if (!parse_int(P, false, 0, INT32_MAX, "CACHE", &id->cache))
                return false;
            if (id->cache == 0)
                return FAIL(P, "CACHE value cannot be 0.");
        } else if (accept_kw(P, "CYCLE")) {
            if (seen_cycle)
                return FAIL(P, "CYCLE can be specified for only one time and cannot be "
                            "specified when NO CYCLE is specified.");
            seen_cycle = id->cycle = true;
        } else if (accept_kw(P, "NO")) {
            if (accept_kw(P, "MAXVALUE")) {
                if (seen_max)
                    return FAIL(P, "NO MAXVALUE can be specified for only one time and cannot "
                                "be specified when MAXVALUE is specified.");
                seen_max = true;
            } else if (accept_kw(P, "MINVALUE")) {
                if (seen_min)
                    return FAIL(P, "NO MINVALUE can be specified for only one time and cannot "
                                "be specified when MINVALUE is specified.");
                seen_min = true;
            } else if (accept_kw(P, "CACHE")) {
                if (seen_cache)
                    return FAIL(P, "NO CACHE can be specified for only one time and cannot be "
                                "specified when CACHE is specified.");
                seen_cache = true;
            } else if (accept_kw(P, "CYCLE")) {
                if (seen_cycle)
                    return FAIL(P, "NO CYCLE can be specified for only one time and cannot be "
                                "specified when CYCLE is specified.");
                seen_cycle = true;
            } else {
                return FAIL(P, "expected MAXVALUE, MINVALUE, CACHE or CYCLE after NO, found %s",
                            tok_desc(P, b, sizeof b));
            }
        } else {
            return FAIL(P, "expected an identity option (START WITH, INCREMENT BY, MAXVALUE, "
                        "MINVALUE, CACHE, CYCLE, NO ...), found %s", tok_desc(P, b, sizeof b));
        }
        accept_punct(P, ',');
    } while (!is_punct(P, ')') && P->L.tok.kind != LEX_EOF);
    return expect_punct(P, ')', "after the identity options");
}

/* After a column's AS: UUID [GENERATED BY DEFAULT] (MR_COUNTER refused). */
static bool parse_as_clause(parser_t *P, ddl_field_t *f, bool top_level)
{
    char b[64];
    if (is_kw(P, "MR_COUNTER"))
        return NOTSUP(P, "MR_COUNTER columns are not supported");
    if (!is_kw(P, "UUID"))
        return FAIL(P, "expected UUID or MR_COUNTER after AS, found %s", tok_desc(P, b, sizeof b));
    if (!top_level)
        return FAIL(P, "AS UUID can only be used on a top-level column");
    if (f->type->kind != DDL_T_STRING)
        return FAIL(P, "AS UUID option can only be used for STRING");
    f->type->as_uuid = true;
    if (!next(P))
        return false;
    if (accept_kw(P, "GENERATED")) {
        f->type->uuid_generated = true;
        return expect_kw(P, "BY", "after GENERATED") &&
               expect_kw(P, "DEFAULT", "after GENERATED BY");
    }
    return P->L.rc == CS_OK;
}

/* The part of a column definition after its name: type_def [default_def |
 * identity_def | uuid_def] [COMMENT string]. top_level: a table column
 * (identity and UUID allowed). */
static bool parse_field_tail(parser_t *P, ddl_field_t *f, bool top_level, int depth)
{
    if (!parse_type(P, f->name, depth, &f->type))
        return false;
    bool ok = true;
    if (is_kw(P, "DEFAULT") || is_kw(P, "NOT")) {
        bool seen_def = false, seen_nn = false;
        while (ok && (is_kw(P, "DEFAULT") || is_kw(P, "NOT"))) {
            if (accept_kw(P, "DEFAULT")) {
                ok = seen_def ? FAIL(P, "DEFAULT given twice for field '%s'", f->name)
                              : parse_default_value(P, &f->def);
                seen_def = true;
            } else {
                ok = seen_nn ? FAIL(P, "NOT NULL given twice for field '%s'", f->name)
                             : next(P) && expect_kw(P, "NULL", "after NOT");
                seen_nn = f->not_null = true;
            }
        }
    } else if (is_kw(P, "GENERATED")) {
        ok = top_level ? parse_identity(P, &f->identity)
                       : FAIL(P, "an IDENTITY can only be defined on a top-level column");
    } else if (accept_kw(P, "AS")) {
        ok = parse_as_clause(P, f, top_level);
    }
    if (ok && accept_kw(P, "COMMENT"))
        ok = parse_string(P, &f->comment);
    return ok && P->L.rc == CS_OK;
}

/* id type_def ... (a table column or a RECORD field) */
static bool parse_field_def(parser_t *P, ddl_field_t *f, bool top_level, int depth)
{
    f->line = P->L.tok.line;
    f->col = P->L.tok.col;
    return parse_name(P, "Field names", DDL_MAX_NAME, &f->name) &&
           parse_field_tail(P, f, top_level, depth);
}

/* ------------------------------------------------------------------------
 * CREATE TABLE
 * ------------------------------------------------------------------------ */

/* id [(INT)] into the key column list */
static bool parse_key_col(parser_t *P, ddl_stmt_t *st, uint32_t *cap)
{
    ddl_key_col_t *k = vec_push(P, (void **)&st->pk, &st->npk, cap, sizeof *k);
    if (!k || !parse_name(P, "Field names", DDL_MAX_NAME, &k->name))
        return false;
    if (accept_punct(P, '(')) {
        int64_t size;
        if (!parse_int(P, false, 0, INT32_MAX, "primary key size", &size))
            return false;
        if (size < 1 || size > 5)
            return FAIL(P, "Size constraint value on primary key must be between 1 and 5. "
                        "Invalid value: %lld", (long long)size);
        k->size = (int)size;
        return expect_punct(P, ')', "after the key size");
    }
    return P->L.rc == CS_OK;
}

/* PRIMARY KEY ( [SHARD(ids) [,]] [ids] ) -- PRIMARY already current */
static bool parse_key_def(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    uint32_t cap = 0;
    if (st->npk > 0 || st->nshard >= 0)
        return FAIL(P, "Table definition must contain a single primary key definition");
    if (!next(P) || !expect_kw(P, "KEY", "after PRIMARY") ||
        !expect_punct(P, '(', "after PRIMARY KEY"))
        return false;
    if (is_kw(P, "SHARD") && peek(P, 1).kind == LEX_PUNCT && peek(P, 1).p[0] == '(') {
        next(P);
        next(P);
        do {
            if (!parse_key_col(P, st, &cap))
                return false;
        } while (accept_punct(P, ','));
        if (!expect_punct(P, ')', "after the SHARD key columns"))
            return false;
        st->nshard = (int32_t)st->npk;
        accept_punct(P, ',');
    }
    if (!is_punct(P, ')')) {
        do {
            if (!parse_key_col(P, st, &cap))
                return false;
        } while (accept_punct(P, ','));
    }
    if (st->npk == 0)
        return FAIL(P, "PRIMARY KEY must contain a list of fields");
    if (P->L.rc == CS_OK && !is_punct(P, ')'))
        return FAIL(P, "expected ',' or ')' in the PRIMARY KEY, found %s",
                    tok_desc(P, b, sizeof b));
    return expect_punct(P, ')', NULL);
}

/* USING TTL | WITH SCHEMA FROZEN | ENABLE BEFORE IMAGE | ... after ')' */
static bool parse_table_options(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    bool seen_ttl = false, seen_frozen = false, seen_bi = false;
    while (P->L.rc == CS_OK && P->L.tok.kind != LEX_EOF && !is_punct(P, ';')) {
        if (accept_kw(P, "USING")) {
            if (seen_ttl)
                return FAIL(P, "Only one TTL definition is allowed in CREATE TABLE DDL");
            seen_ttl = st->has_ttl = true;
            if (!expect_kw(P, "TTL", "after USING") || !parse_duration(P, &st->ttl))
                return false;
        } else if (accept_kw(P, "WITH")) {
            if (seen_frozen)
                return FAIL(P, "Only one frozen definition is allowed in CREATE TABLE DDL");
            seen_frozen = st->frozen = true;
            if (!expect_kw(P, "SCHEMA", "after WITH") || !expect_kw(P, "FROZEN", "after SCHEMA"))
                return false;
            st->frozen_force = accept_kw(P, "FORCE");
        } else if (accept_kw(P, "ENABLE")) {
            if (seen_bi)
                return FAIL(P, "Only one enable before image definition is allowed in CREATE "
                            "TABLE DDL");
            seen_bi = st->before_image = true;
            if (!expect_kw(P, "BEFORE", "after ENABLE") || !expect_kw(P, "IMAGE", "after BEFORE"))
                return false;
            if (accept_kw(P, "USING")) {
                if (!expect_kw(P, "TTL", "after USING") ||
                    !parse_duration(P, &st->before_image_ttl))
                    return false;
                if (st->before_image_ttl.value <= 0)
                    return FAIL(P, "Before image TTL value must be greater than 0");
                st->has_before_image_ttl = true;
            }
        } else if (is_kw(P, "AS")) {
            return NOTSUP(P, "JSON collection tables are not supported by csemu");
        } else if (is_kw(P, "IN")) {
            return NOTSUP(P, "multi-region tables (IN REGIONS) are not supported by csemu");
        } else {
            return FAIL(P, "unexpected %s after the table definition: expected USING TTL, WITH "
                        "SCHEMA FROZEN, ENABLE BEFORE IMAGE or the end of the statement",
                        tok_desc(P, b, sizeof b));
        }
    }
    return P->L.rc == CS_OK;
}

static bool parse_if_exists(parser_t *P, ddl_stmt_t *st, bool with_not)
{
    if (!is_kw(P, "IF"))
        return true;
    lex_tok_t t1 = peek(P, 1);
    if (with_not ? !lex_is_kw(&t1, "NOT") : !lex_is_kw(&t1, "EXISTS"))
        return true;   /* an index or table named "if" */
    next(P);
    if (with_not)
        next(P);
    if (!expect_kw(P, "EXISTS", with_not ? "after IF NOT" : "after IF"))
        return false;
    st->if_exists = true;
    return true;
}

/* CREATE TABLE ... (CREATE TABLE already consumed) */
static bool parse_create_table(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    uint32_t cap = 0;
    st->kind = DDL_CREATE_TABLE;
    st->nshard = -1;
    if (!parse_if_exists(P, st, true) || !parse_table_name(P, &st->table))
        return false;
    if (accept_kw(P, "COMMENT") && !parse_string(P, &st->comment))
        return false;
    if (!expect_punct(P, '(', "after the table name"))
        return false;
    for (;;) {
        lex_tok_t t1 = peek(P, 1);
        if (is_kw(P, "PRIMARY") && lex_is_kw(&t1, "KEY")) {
            if (!parse_key_def(P, st))
                return false;
        } else {
            ddl_field_t *f = vec_push(P, (void **)&st->fields, &st->nfields, &cap, sizeof *f);
            if (!f || !parse_field_def(P, f, true, 1))
                return false;
        }
        if (accept_punct(P, ','))
            continue;
        if (is_punct(P, ')'))
            break;
        return FAIL(P, "expected ',' or ')' after column definition, found %s",
                    tok_desc(P, b, sizeof b));
    }
    next(P);
    if (st->npk == 0)
        return FAIL(P, "Table definition must contain a single primary key definition");
    return parse_table_options(P, st);
}

/* ------------------------------------------------------------------------
 * ALTER TABLE
 * ------------------------------------------------------------------------ */

/* schema_path: id(.id)* ; array/map steps are refused */
static bool parse_schema_path(parser_t *P, ddl_alter_op_t *op)
{
    uint32_t cap = 0;
    do {
        char **slot = vec_push(P, (void **)&op->path, &op->npath, &cap, sizeof(char *));
        if (!slot)
            return false;
        if (is_kw(P, "VALUES") && peek(P, 1).kind == LEX_PUNCT && peek(P, 1).p[0] == '(')
            return NOTSUP(P, "altering MAP element fields is not supported");
        if (!parse_name(P, "Field names", DDL_MAX_NAME, slot))
            return false;
        if (is_punct(P, '['))
            return NOTSUP(P, "altering ARRAY element fields is not supported");
    } while (accept_punct(P, '.'));
    return P->L.rc == CS_OK;
}

static bool parse_alter_table(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    st->kind = DDL_ALTER_TABLE;
    st->nshard = -1;
    if (!parse_table_name(P, &st->table))
        return false;
    if (accept_punct(P, '(')) {
        uint32_t cap = 0;
        st->alter = DDL_ALTER_FIELDS;
        do {
            ddl_alter_op_t *op = vec_push(P, (void **)&st->ops, &st->nops, &cap, sizeof *op);
            if (!op)
                return false;
            if (accept_kw(P, "ADD")) {
                op->kind = DDL_ALTER_ADD;
                lex_tok_t at = P->L.tok;
                if (!parse_schema_path(P, op))
                    return false;
                /* re-parse the rest of the definition with the last step as name */
                ddl_field_t *f = &op->field;
                f->name = op->path[op->npath - 1];
                f->line = at.line;
                f->col = at.col;
                if (!parse_field_tail(P, f, op->npath == 1, 1))
                    return false;
            } else if (accept_kw(P, "DROP")) {
                op->kind = DDL_ALTER_DROP;
                if (!parse_schema_path(P, op))
                    return false;
            } else if (is_kw(P, "MODIFY")) {
                return NOTSUP(P, "ALTER TABLE ... MODIFY is not supported");
            } else {
                return FAIL(P, "expected ADD, DROP or MODIFY, found %s", tok_desc(P, b, sizeof b));
            }
        } while (accept_punct(P, ','));
        if (P->L.rc == CS_OK && !is_punct(P, ')'))
            return FAIL(P, "expected ',' or ')' after a field change, found %s",
                        tok_desc(P, b, sizeof b));
        return expect_punct(P, ')', NULL);
    }
    if (accept_kw(P, "USING")) {
        st->alter = DDL_ALTER_TTL;
        st->has_ttl = true;
        return expect_kw(P, "TTL", "after USING") && parse_duration(P, &st->ttl);
    }
    if (accept_kw(P, "FREEZE")) {
        st->alter = DDL_ALTER_FREEZE;
        if (!expect_kw(P, "SCHEMA", "after FREEZE"))
            return false;
        st->frozen = true;
        st->frozen_force = accept_kw(P, "FORCE");
        return P->L.rc == CS_OK;
    }
    if (accept_kw(P, "UNFREEZE")) {
        st->alter = DDL_ALTER_UNFREEZE;
        return expect_kw(P, "SCHEMA", "after UNFREEZE");
    }
    if (accept_kw(P, "ENABLE")) {
        st->alter = DDL_ALTER_ENABLE_BEFORE_IMAGE;
        st->before_image = true;
        if (!expect_kw(P, "BEFORE", "after ENABLE") || !expect_kw(P, "IMAGE", "after BEFORE"))
            return false;
        if (accept_kw(P, "USING")) {
            if (!expect_kw(P, "TTL", "after USING") || !parse_duration(P, &st->before_image_ttl))
                return false;
            if (st->before_image_ttl.value <= 0)
                return FAIL(P, "Before image TTL value must be greater than 0");
            st->has_before_image_ttl = true;
        }
        return P->L.rc == CS_OK;
    }
    if (accept_kw(P, "DISABLE")) {
        st->alter = DDL_ALTER_DISABLE_BEFORE_IMAGE;
        return expect_kw(P, "BEFORE", "after DISABLE") && expect_kw(P, "IMAGE", "after BEFORE");
    }
    lex_tok_t t1 = peek(P, 1);
    if ((is_kw(P, "ADD") || is_kw(P, "DROP")) && lex_is_kw(&t1, "REGIONS"))
        return NOTSUP(P, "multi-region tables (ADD/DROP REGIONS) are not supported by csemu");
    return FAIL(P, "expected '(', USING TTL, FREEZE SCHEMA, UNFREEZE SCHEMA, ENABLE BEFORE IMAGE "
                "or DISABLE BEFORE IMAGE after the table name, found %s", tok_desc(P, b, sizeof b));
}

/* ------------------------------------------------------------------------
 * indexes
 * ------------------------------------------------------------------------ */

/* One index path: every token up to a top-level ',' / ')' / AS, kept as
 * the source text without blanks ("info.tags[]", "keys(m)"). */
static bool parse_index_path(parser_t *P, ddl_index_field_t *f)
{
    char b[64];
    int depth = 0;
    size_t start = P->L.tok.off, end = start;
    int count = 0;
    while (P->L.rc == CS_OK) {
        if (P->L.tok.kind == LEX_EOF)
            return FAIL(P, "expected ')' after the index fields, found end of statement");
        if (depth == 0 && (is_punct(P, ',') || is_punct(P, ')') || is_kw(P, "AS")))
            break;
        if (is_punct(P, '(') || is_punct(P, '['))
            depth++;
        if (is_punct(P, ')') || is_punct(P, ']'))
            depth--;
        if (depth > DDL_MAX_DEPTH)
            return FAIL(P, "index path nested too deeply");
        end = P->L.tok.off + P->L.tok.len;
        count++;
        next(P);
    }
    if (P->L.rc != CS_OK)
        return false;
    if (count == 0)
        return FAIL(P, "expected an index field, found %s", tok_desc(P, b, sizeof b));
    char *o = arena_alloc(P->a, end - start + 1);
    if (!o)
        return FAIL(P, "statement too complex");
    size_t k = 0;
    char quote = 0;
    for (size_t i = start; i < end; i++) {
        char c = P->L.s[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        o[k++] = c;
    }
    o[k] = '\0';
    f->path = o;
    if (accept_kw(P, "AS")) {
        static const char *const types[] = {"INTEGER", "LONG", "DOUBLE", "STRING",
                                            "BOOLEAN", "NUMBER", "ANYATOMIC"};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (is_kw(P, types[i])) {
                f->type = (char *)types[i];
                return next(P);
            }
        if (is_kw(P, "GEOMETRY") || is_kw(P, "POINT"))
            return NOTSUP(P, "GEOMETRY and POINT indexes are not supported by csemu");
        return FAIL(P, "expected an index field type (INTEGER, LONG, DOUBLE, STRING, BOOLEAN, "
                    "NUMBER, ANYATOMIC) after AS, found %s", tok_desc(P, b, sizeof b));
    }
    return true;
}

static bool parse_create_index(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    uint32_t cap = 0;
    st->kind = DDL_CREATE_INDEX;
    st->nshard = -1;
    if (!parse_if_exists(P, st, true) || !parse_name(P, "Index names", DDL_MAX_NAME, &st->index) ||
        !expect_kw(P, "ON", "after the index name") || !parse_table_name(P, &st->table) ||
        !expect_punct(P, '(', "after the table name"))
        return false;
    do {
        ddl_index_field_t *f = vec_push(P, (void **)&st->ifields, &st->nifields, &cap, sizeof *f);
        if (!f || !parse_index_path(P, f))
            return false;
    } while (accept_punct(P, ','));
    if (P->L.rc == CS_OK && !is_punct(P, ')'))
        return FAIL(P, "expected ',' or ')' after an index field, found %s",
                    tok_desc(P, b, sizeof b));
    if (!expect_punct(P, ')', NULL))
        return false;
    while (accept_kw(P, "WITH")) {
        if (accept_kw(P, "NO")) {
            if (!expect_kw(P, "NULLS", "after WITH NO"))
                return false;
            st->with_no_nulls = true;
        } else if (accept_kw(P, "NULLS")) {
            st->with_no_nulls = false;
        } else if (accept_kw(P, "UNIQUE")) {
            if (!expect_kw(P, "KEYS", "after UNIQUE") || !expect_kw(P, "PER", "after KEYS") ||
                !expect_kw(P, "ROW", "after PER"))
                return false;
            st->unique_keys_per_row = true;
        } else {
            return FAIL(P, "expected NULLS, NO NULLS or UNIQUE KEYS PER ROW after WITH, found %s",
                        tok_desc(P, b, sizeof b));
        }
    }
    if (accept_kw(P, "COMMENT"))
        return parse_string(P, &st->comment);
    return P->L.rc == CS_OK;
}

static bool parse_drop_index(parser_t *P, ddl_stmt_t *st)
{
    st->kind = DDL_DROP_INDEX;
    st->nshard = -1;
    if (!parse_if_exists(P, st, false) || !parse_name(P, "Index names", DDL_MAX_NAME, &st->index) ||
        !expect_kw(P, "ON", "after the index name") || !parse_table_name(P, &st->table))
        return false;
    st->override = accept_kw(P, "OVERRIDE");
    return P->L.rc == CS_OK;
}

/* ------------------------------------------------------------------------
 * statements
 * ------------------------------------------------------------------------ */

static bool parse_statement(parser_t *P, ddl_stmt_t *st)
{
    char b[64];
    static const char *const queries[] = {"SELECT", "INSERT", "UPSERT", "UPDATE", "DELETE",
                                          "DECLARE"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
        if (is_kw(P, queries[i]))
            return FAIL(P, "%s is not a DDL statement: run it as a query", queries[i]);
    static const char *const others[] = {"GRANT", "REVOKE", "SHOW", "DESCRIBE", "DESC", "SET"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (is_kw(P, others[i]))
            return NOTSUP(P, "%s statements are not supported by the cloud service", others[i]);

    if (accept_kw(P, "CREATE")) {
        if (accept_kw(P, "TABLE"))
            return parse_create_table(P, st);
        if (accept_kw(P, "INDEX"))
            return parse_create_index(P, st);
        if (is_kw(P, "FULLTEXT"))
            return NOTSUP(P, "full-text indexes are not supported by csemu");
    } else if (accept_kw(P, "DROP")) {
        if (accept_kw(P, "TABLE")) {
            st->kind = DDL_DROP_TABLE;
            st->nshard = -1;
            return parse_if_exists(P, st, false) && parse_table_name(P, &st->table);
        }
        if (accept_kw(P, "INDEX"))
            return parse_drop_index(P, st);
    } else if (accept_kw(P, "ALTER")) {
        if (accept_kw(P, "TABLE"))
            return parse_alter_table(P, st);
    } else {
        return FAIL(P, "unknown statement %s: expected CREATE, DROP or ALTER",
                    tok_desc(P, b, sizeof b));
    }
    static const char *const objs[] = {"NAMESPACE", "USER", "ROLE", "REGION"};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        if (is_kw(P, objs[i]))
            return NOTSUP(P, "%s statements are not supported by the cloud service", objs[i]);
    return FAIL(P, "expected TABLE or INDEX, found %s", tok_desc(P, b, sizeof b));
}

cs_err_t ddl_parse(const char *text, ddl_stmt_t **out, cs_error_t *err)
{
    *out = NULL;
    if (!text)
        return cs_fail(err, CS_EINVAL, "Error: empty statement");
    size_t n = strnlen(text, DDL_MAX_TEXT + 1);
    if (n > DDL_MAX_TEXT)
        return cs_fail(err, CS_EINVAL, "Error: statement too long (limit %d bytes)", DDL_MAX_TEXT);
    ddl_stmt_t *st = calloc(1, sizeof *st);
    if (!st)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    /* a 64 KiB statement builds well under 2 MiB of nodes; 4 MiB is a ceiling */
    arena_init(&st->arena, 64 * DDL_MAX_TEXT);
    parser_t P = {.a = &st->arena};
    lex_init(&P.L, text, n, err);
    char b[64];
    if (lex(&P)) {
        if (P.L.tok.kind == LEX_EOF)
            FAIL(&P, "empty statement");
        else if (parse_statement(&P, st)) {
            accept_punct(&P, ';');
            if (P.L.rc == CS_OK && P.L.tok.kind != LEX_EOF)
                FAIL(&P, "unexpected %s after the end of the statement", tok_desc(&P, b, sizeof b));
        }
    }
    if (P.L.rc == CS_OK && !st->table)
        P.L.rc = cs_fail(err, CS_EINVAL, "Error: incomplete statement");
    if (P.L.rc != CS_OK) {
        ddl_free(st);
        return P.L.rc;
    }
    *out = st;
    return CS_OK;
}

void ddl_free(ddl_stmt_t *s)
{
    if (!s)
        return;
    arena_free(&s->arena);
    free(s);
}
