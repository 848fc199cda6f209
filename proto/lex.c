/*
 * lex.c - the KVQL lexer shared by ddl.c and query.c (contract in lex.h).
 *
 * Sections: errors, blanks and comments, tokens, helpers. Every scan is
 * bounded by L->n; the line counter moves on each '\n' consumed, inside
 * comments and strings too, so positions after a multi-line token are right.
 */
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * errors
 * ------------------------------------------------------------------------ */

static bool lex_vfail(lex_t *L, cs_err_t code, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static bool lex_vfail(lex_t *L, cs_err_t code, int line, int col, const char *fmt, va_list ap)
{
    if (L->rc != CS_OK)
        return false;
    char what[400];
    vsnprintf(what, sizeof what, fmt, ap);
    L->rc = cs_fail(L->err, code, "Error: at (%d, %d) %s", line, col, what);
    return false;
}

bool lex_fail(lex_t *L, cs_err_t code, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lex_vfail(L, code, line, col, fmt, ap);
    va_end(ap);
    return false;
}

bool lex_fail_tok(lex_t *L, cs_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lex_vfail(L, code, L->tok.line, L->tok.col, fmt, ap);
    va_end(ap);
    return false;
}

void lex_init(lex_t *L, const char *text, size_t len, cs_error_t *err)
{
    *L = (lex_t){ .s = text, .n = len, .line = 1, .str_what = "string", .err = err,
                  .rc = CS_OK };
}

/* ------------------------------------------------------------------------
 * blanks and comments
 * ------------------------------------------------------------------------ */

/* Skip blanks and the three comment styles (optimizer hints are comments
 * too: they never change a result); false on an unterminated block comment,
 * reported where it starts. */
static bool skip_space(lex_t *L)
{
    for (;;) {
        if (L->pos >= L->n)
            return true;
        char c = L->s[L->pos];
        if (c == '\n') {
            L->pos++;
            L->line++;
            L->line_start = L->pos;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            L->pos++;
        } else if (c == '#' || (c == '/' && L->pos + 1 < L->n && L->s[L->pos + 1] == '/')) {
            while (L->pos < L->n && L->s[L->pos] != '\n')
                L->pos++;
        } else if (c == '/' && L->pos + 1 < L->n && L->s[L->pos + 1] == '*') {
            int line = L->line, col = (int)(L->pos - L->line_start);
            L->pos += 2;
            for (;;) {
                if (L->pos + 1 >= L->n)
                    return lex_fail(L, CS_EINVAL, line, col, "unterminated comment");
                if (L->s[L->pos] == '*' && L->s[L->pos + 1] == '/') {
                    L->pos += 2;
                    break;
                }
                if (L->s[L->pos] == '\n') {
                    L->line++;
                    L->line_start = L->pos + 1;
                }
                L->pos++;
            }
        } else {
            return true;
        }
    }
}

/* ------------------------------------------------------------------------
 * tokens
 * ------------------------------------------------------------------------ */

/* The rest of a name that may not start where it does ("9abc", "_x"): the
 * whole run of identifier characters is named in the message. */
static bool bad_ident(lex_t *L, size_t i)
{
    lex_tok_t *t = &L->tok;
    while (i < L->n && lex_is_ident_char((unsigned char)L->s[i]))
        i++;
    t->len = i - L->pos;
    return lex_fail_tok(L, CS_EINVAL, "Identifiers must start with a letter: %.*s", (int)t->len,
                        t->p);
}

/* digits [. digits] [(e|E) [+|-] digits] [n|N], starting at i (a digit, or
 * a '.' before one). */
static bool lex_number(lex_t *L, size_t i)
{
    const char *s = L->s;
    lex_tok_t *t = &L->tok;
    bool is_float = false;
    while (i < L->n && lex_is_digit((unsigned char)s[i]))
        i++;
    if (i + 1 < L->n && s[i] == '.' && lex_is_digit((unsigned char)s[i + 1])) {
        is_float = true;
        i++;
        while (i < L->n && lex_is_digit((unsigned char)s[i]))
            i++;
    }
    if (i < L->n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < L->n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < L->n && lex_is_digit((unsigned char)s[j])) {
            is_float = true;
            i = j;
            while (i < L->n && lex_is_digit((unsigned char)s[i]))
                i++;
        }
    }
    t->kind = is_float ? LEX_FLOAT : LEX_INT;
    t->len = i - L->pos;
    if (i < L->n && (s[i] == 'n' || s[i] == 'N') &&
        !(i + 1 < L->n && lex_is_ident_char((unsigned char)s[i + 1]))) {
        t->n_suffix = true;
        i++;
    }
    if (i < L->n && lex_is_ident_char((unsigned char)s[i]))
        return bad_ident(L, i);
    L->pos = i;
    return true;
}

/* '...' or "...": a backslash keeps the next byte in the string. */
static bool lex_string(lex_t *L, size_t i)
{
    const char *s = L->s;
    lex_tok_t *t = &L->tok;
    char quote = s[i++];
    while (i < L->n && s[i] != quote) {
        if (s[i] == '\\' && i + 1 < L->n)
            i++;
        if (s[i] == '\n') {
            L->line++;
            L->line_start = i + 1;
        }
        i++;
    }
    if (i >= L->n) {
        t->len = i - L->pos;
        return lex_fail_tok(L, CS_EINVAL, "unterminated %s", L->str_what);
    }
    t->kind = LEX_STR;
    t->len = i + 1 - L->pos;
    L->pos = i + 1;
    return true;
}

bool lex_next(lex_t *L)
{
    L->prev = L->tok;
    if (!skip_space(L))
        return false;
    lex_tok_t *t = &L->tok;
    *t = (lex_tok_t){ .kind = LEX_EOF, .p = L->s + L->pos, .off = L->pos, .line = L->line,
                      .col = (int)(L->pos - L->line_start) };
    if (L->pos >= L->n)
        return true;
    const char *s = L->s;
    size_t i = L->pos;
    unsigned char c = (unsigned char)s[i];

    if (lex_is_alpha(c)) {
        while (i < L->n && lex_is_ident_char((unsigned char)s[i]))
            i++;
        t->kind = LEX_ID;
    } else if (c == '`') {
        i++;
        while (i < L->n && s[i] != '`' && s[i] != '\n')
            i++;
        if (i >= L->n || s[i] != '`')
            return lex_fail_tok(L, CS_EINVAL, "unterminated `quoted` identifier");
        i++;
        t->kind = LEX_ID;
        t->quoted = true;
    } else if (lex_is_digit(c) ||
               (c == '.' && i + 1 < L->n && lex_is_digit((unsigned char)s[i + 1]))) {
        return lex_number(L, i);
    } else if (c == '_') {
        return bad_ident(L, i);
    } else if (c == '\'' || c == '"') {
        return lex_string(L, i);
    } else {
        i++;
        t->kind = LEX_PUNCT;
    }
    t->len = i - L->pos;
    L->pos = i;
    return true;
}

void lex_extend(lex_t *L, size_t k)
{
    L->tok.len += k;
    L->pos += k;
}

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

bool lex_is_kw(const lex_tok_t *t, const char *kw)
{
    return t->kind == LEX_ID && !t->quoted && strlen(kw) == t->len &&
           strncasecmp(t->p, kw, t->len) == 0;
}

const char *lex_tok_desc(const lex_tok_t *t, char *buf, size_t cap)
{
    if (t->kind == LEX_EOF)
        return "end of statement";
    size_t l = t->len > 40 ? 40 : t->len;
    snprintf(buf, cap, "'%.*s%s'", (int)l, t->p, t->len > 40 ? "..." : "");
    return buf;
}
