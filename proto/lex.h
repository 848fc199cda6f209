/*
 * lex.h - the KVQL lexer shared by the DDL parser (ddl.c) and the query
 * parser (query.c).
 *
 * Pure: no I/O, no allocation. Tokens point into the caller's text, which
 * must outlive the lexer; nothing past text[len] is ever read (the text need
 * not be NUL-terminated).
 *
 * What it knows is what both grammars share: blanks and the three comment
 * styles ('#' and '//' to the end of the line, slash-star blocks),
 * identifiers (a letter, then letters, digits and '_') and `quoted` ones,
 * numbers (digits, an optional fraction and exponent, an optional 'n'/'N'
 * suffix), strings in '...' and "..." with their escapes left in place, and
 * the 1-based line / 0-based column of every token. Everything else is one
 * byte of LEX_PUNCT: what punctuation exists, which bytes are refused and
 * what a token means are the parser's decisions (lex_extend widens a token
 * to a multi-byte operator). Escapes are applied by the parsers too: the
 * DDL and the query language treat them differently.
 *
 * Errors are sticky: the first one is kept in L->rc / *L->err as
 * "Error: at (LINE, COL) what", and later failures change nothing. A lex_t
 * is a plain value: a copy is a saved position (current and previous token,
 * line, error) and assigning it back restores all of it.
 */
#ifndef CS_LEX_H
#define CS_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "cs_err.h"

typedef enum {
    LEX_EOF,        /* end of the text */
    LEX_ID,         /* identifier; `quoted` ones have quoted set */
    LEX_INT,        /* digits only (maybe with n_suffix) */
    LEX_FLOAT,      /* digits with a fraction and/or an exponent */
    LEX_STR,        /* '...' or "..." (p[0] is the quote; escapes not applied) */
    LEX_PUNCT,      /* any other single byte */
    LEX_NKINDS      /* first kind a parser may use for its own tokens */
} lex_kind_t;

typedef struct lex_tok {
    int kind;           /* lex_kind_t, or a parser's own kind >= LEX_NKINDS */
    const char *p;      /* text of the token (strings and `ids` with their quotes) */
    size_t len;         /* bytes at p (a number's 'n' suffix is not counted) */
    size_t off;         /* byte offset of p in the text */
    int line, col;      /* 1-based line, 0-based column in bytes */
    bool n_suffix;      /* number written with an 'n'/'N' suffix */
    bool quoted;        /* LEX_ID written as `quoted` */
} lex_tok_t;

typedef struct lex {
    const char *s;          /* the text (borrowed) */
    size_t n;               /* its length in bytes */
    size_t pos;             /* next byte to read */
    int line;               /* 1-based line of pos */
    size_t line_start;      /* offset of the first byte of that line */
    lex_tok_t tok;          /* current token */
    lex_tok_t prev;         /* the token before it */
    const char *str_what;   /* how messages name a string: "string" (default) */
    cs_error_t *err;        /* receives the first error's message (may be NULL) */
    cs_err_t rc;            /* CS_OK until the first error */
} lex_t;

/* Start lexing text[0..len) (no token read yet: tok is LEX_EOF). Errors go
 * to *err. */
void lex_init(lex_t *L, const char *text, size_t len, cs_error_t *err);

/* Read the next token into L->tok (the current one moves to L->prev).
 * False on a lexical error, recorded at the offending token or comment:
 * "unterminated comment", "unterminated `quoted` identifier",
 * "unterminated <str_what>", "Identifiers must start with a letter: X"
 * (a name or number running into letters, or a name starting with '_'). */
bool lex_next(lex_t *L);
/* After a failed lex_next, tok.kind is LEX_EOF and tok.p/line/col say where
 * the bad token starts. */

/* Widen the current token by k bytes that follow it on the same line (a
 * parser's multi-byte operator or sigil). The caller checks k <= L->n - L->pos. */
void lex_extend(lex_t *L, size_t k);

/* Record "Error: at (line, col) <fmt...>" with code unless an error is
 * already recorded; always returns false. lex_fail_tok uses the current
 * token's position. */
bool lex_fail(lex_t *L, cs_err_t code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
bool lex_fail_tok(lex_t *L, cs_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True for an unquoted identifier equal to kw, ignoring ASCII case. */
bool lex_is_kw(const lex_tok_t *t, const char *kw);

/* "'text'" of a token for messages (cut to 40 bytes with "..."), or
 * "end of statement" for LEX_EOF. Returns buf or a constant. */
const char *lex_tok_desc(const lex_tok_t *t, char *buf, size_t cap);

/* Character classes of KVQL (ASCII only, whatever the locale). */
static inline bool lex_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool lex_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool lex_is_ident_char(int c)
{
    return lex_is_alpha(c) || lex_is_digit(c) || c == '_';
}

#endif
