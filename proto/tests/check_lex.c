/*
 * check_lex.c - the shared KVQL lexer: the token a parser sees for every
 * kind of text (names, `quoted` names, numbers, strings, punctuation),
 * comments and blanks skipped, line/column of each token, the previous
 * token, saving and restoring a position; the messages and positions of
 * lexical errors, the sticky first error, and that nothing past the given
 * length is ever read.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"

/* Every token of text as "KIND:text" joined by blanks, ending in "EOF", or
 * "ERR:<message>" at the first error. Numbers with an 'n' suffix show it as
 * "INT:5+n", `quoted` names as "QID:`x`". */
static const char *toks(const char *text)
{
    static char out[4096];
    static const char *const names[] = { "EOF", "ID", "INT", "FLOAT", "STR", "P" };
    cs_error_t e = {0};
    lex_t L;
    lex_init(&L, text, strlen(text), &e);
    size_t o = 0;
    out[0] = '\0';
    for (;;) {
        if (!lex_next(&L)) {
            ck_assert_int_eq(L.rc, CS_EINVAL);
            snprintf(out + o, sizeof out - o, "ERR:%s", e.msg);
            return out;
        }
        const lex_tok_t *t = &L.tok;
        if (t->kind == LEX_EOF) {
            snprintf(out + o, sizeof out - o, "EOF");
            return out;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "%s:%.*s%s ",
                              t->quoted ? "QID" : names[t->kind], (int)t->len, t->p,
                              t->n_suffix ? "+n" : "");
        ck_assert_uint_lt(o, sizeof out - 100);
    }
}

/* The lexer over text[0..len) in a heap block of exactly len bytes (no
 * NUL), so that AddressSanitizer sees any read past the end. */
typedef struct exact {
    char *buf;
    lex_t L;
    cs_error_t e;
} exact_t;

static void exact_open(exact_t *x, const char *text, size_t len)
{
    x->buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(x->buf);
    memcpy(x->buf, text, len);
    memset(&x->e, 0, sizeof x->e);
    lex_init(&x->L, x->buf, len, &x->e);
}

START_TEST(token_kinds)
{
    ck_assert_str_eq(toks("SELECT a_1, `two words` FROM t"),
                     "ID:SELECT ID:a_1 P:, QID:`two words` ID:FROM ID:t EOF");
    ck_assert_str_eq(toks("12 1.5 .5 1e3 2E-2 3e+4 6.25e1"),
                     "INT:12 FLOAT:1.5 FLOAT:.5 FLOAT:1e3 FLOAT:2E-2 FLOAT:3e+4 FLOAT:6.25e1 EOF");
    /* 'n'/'N' marks a NUMBER; it is not part of the token's text */
    ck_assert_str_eq(toks("5n 1.5N 7 n"), "INT:5+n FLOAT:1.5+n INT:7 ID:n EOF");
    /* a dot that is no fraction stays punctuation */
    ck_assert_str_eq(toks("5. 1.2.3 a.b"), "INT:5 P:. FLOAT:1.2 FLOAT:.3 ID:a P:. ID:b EOF");
    ck_assert_str_eq(toks("'it\\'s' \"say \\\"hi\\\"\" 'a\"b' \"\""),
                     "STR:'it\\'s' STR:\"say \\\"hi\\\"\" STR:'a\"b' STR:\"\" EOF");
    /* every other byte is one token: which ones mean something is the
     * parser's business */
    ck_assert_str_eq(toks("<= != $x ? || @"), "P:< P:= P:! P:= P:$ ID:x P:? P:| P:| P:@ EOF");
    ck_assert_str_eq(toks("``"), "QID:`` EOF");
    ck_assert_str_eq(toks(""), "EOF");
}
END_TEST

START_TEST(comments_and_blanks)
{
    ck_assert_str_eq(toks("a # to the end\nb // also\n\tc /* block\n over lines */ d"),
                     "ID:a ID:b ID:c ID:d EOF");
    ck_assert_str_eq(toks("/*+ hint */ x /**/ y"), "ID:x ID:y EOF");
    ck_assert_str_eq(toks("a/b /c"), "ID:a P:/ ID:b P:/ ID:c EOF");
    ck_assert_str_eq(toks("  \r\n # only a comment"), "EOF");
    /* comment markers inside strings and backquotes are text */
    ck_assert_str_eq(toks("'# no' `/* no */`"), "STR:'# no' QID:`/* no */` EOF");
}
END_TEST

START_TEST(positions)
{
    const char *text = "SELECT\n  a, /* one\ntwo */ b\r\n# c\n'x\ny' z";
    lex_t L;
    lex_init(&L, text, strlen(text), NULL);
    static const struct { const char *p; int line, col; } want[] = {
        { "SELECT", 1, 0 }, { "a", 2, 2 }, { ",", 2, 3 }, { "b", 3, 7 },
        { "'x\ny'", 5, 0 }, { "z", 6, 3 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert(lex_next(&L));
        ck_assert_uint_eq(L.tok.len, strlen(want[i].p));
        ck_assert(memcmp(L.tok.p, want[i].p, L.tok.len) == 0);
        ck_assert_msg(L.tok.line == want[i].line && L.tok.col == want[i].col,
                      "%s at (%d, %d), want (%d, %d)", want[i].p, L.tok.line, L.tok.col,
                      want[i].line, want[i].col);
        ck_assert_uint_eq(L.tok.off, (size_t)(L.tok.p - text));
    }
    ck_assert(lex_next(&L));
    ck_assert_int_eq(L.tok.kind, LEX_EOF);
    ck_assert_int_eq(L.tok.line, 6);
    ck_assert_int_eq(L.tok.col, 4);
    ck_assert_int_eq(L.rc, CS_OK);
}
END_TEST

START_TEST(previous_token_and_saved_position)
{
    const char *text = "count ( * )";
    lex_t L;
    lex_init(&L, text, strlen(text), NULL);
    ck_assert_int_eq(L.tok.kind, LEX_EOF);      /* nothing read yet */
    ck_assert(lex_next(&L));
    ck_assert(lex_is_kw(&L.tok, "COUNT"));
    lex_t save = L;
    ck_assert(lex_next(&L) && lex_next(&L));
    ck_assert_int_eq(L.tok.p[0], '*');
    ck_assert_int_eq(L.prev.p[0], '(');
    L = save;                                   /* one token of lookahead undone */
    ck_assert(lex_is_kw(&L.tok, "count"));
    ck_assert(lex_next(&L));
    ck_assert_int_eq(L.tok.p[0], '(');
    ck_assert(lex_is_kw(&L.prev, "count"));

    /* a parser widens a byte into its own operator */
    const char *op = "a<=b";
    lex_init(&L, op, strlen(op), NULL);
    ck_assert(lex_next(&L) && lex_next(&L));
    ck_assert_int_eq(L.tok.kind, LEX_PUNCT);
    lex_extend(&L, 1);
    L.tok.kind = LEX_NKINDS;
    ck_assert_uint_eq(L.tok.len, 2);
    ck_assert(lex_next(&L));
    ck_assert(L.tok.kind == LEX_ID && L.tok.p[0] == 'b' && L.tok.col == 3);
    ck_assert_int_eq(L.prev.kind, LEX_NKINDS);
}
END_TEST

START_TEST(keywords_and_descriptions)
{
    const char *text = "select `select` selects 'select'";
    lex_t L;
    lex_init(&L, text, strlen(text), NULL);
    bool want[] = { true, false, false, false };   /* quoted names and strings are no keywords */
    for (int i = 0; i < 4; i++) {
        ck_assert(lex_next(&L));
        ck_assert_msg(lex_is_kw(&L.tok, "SELECT") == want[i], "token %d", i);
    }
    char b[64];
    ck_assert_str_eq(lex_tok_desc(&L.tok, b, sizeof b), "''select''");
    ck_assert(lex_next(&L));
    ck_assert_str_eq(lex_tok_desc(&L.tok, b, sizeof b), "end of statement");
    char name[80];
    memset(name, 'x', 60);
    name[60] = '\0';
    lex_init(&L, name, strlen(name), NULL);
    ck_assert(lex_next(&L));
    ck_assert_uint_eq(L.tok.len, 60);
    ck_assert_str_eq(lex_tok_desc(&L.tok, b, sizeof b),
                     "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
    ck_assert(lex_is_alpha('Q') && !lex_is_alpha('_') && !lex_is_alpha(0xE9));
    ck_assert(lex_is_ident_char('_') && lex_is_ident_char('7') && !lex_is_ident_char('-'));
}
END_TEST

START_TEST(lexical_errors)
{
    ck_assert_str_eq(toks("a\n  /* never closed"),
                     "ID:a ERR:Error: at (2, 2) unterminated comment");
    ck_assert_str_eq(toks("/*"), "ERR:Error: at (1, 0) unterminated comment");
    ck_assert_str_eq(toks("x /* *"), "ID:x ERR:Error: at (1, 2) unterminated comment");
    ck_assert_str_eq(toks("a `b"), "ID:a ERR:Error: at (1, 2) unterminated `quoted` identifier");
    ck_assert_str_eq(toks("`a\nb`"), "ERR:Error: at (1, 0) unterminated `quoted` identifier");
    ck_assert_str_eq(toks("x 'abc"), "ID:x ERR:Error: at (1, 2) unterminated string");
    ck_assert_str_eq(toks("'ends in a backslash\\'"), "ERR:Error: at (1, 0) unterminated string");
    ck_assert_str_eq(toks("\"a\nb"), "ERR:Error: at (1, 0) unterminated string");
    /* a name may not start with '_', nor a number run into letters */
    static const struct { const char *text, *msg; } names[] = {
        { "a _tmp", "ID:a ERR:Error: at (1, 2) Identifiers must start with a letter: _tmp" },
        { "9lives", "ERR:Error: at (1, 0) Identifiers must start with a letter: 9lives" },
        { "5nx", "ERR:Error: at (1, 0) Identifiers must start with a letter: 5nx" },
        { "1e", "ERR:Error: at (1, 0) Identifiers must start with a letter: 1e" },
        { "1.5e+x", "ERR:Error: at (1, 0) Identifiers must start with a letter: 1.5e" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_str_eq(toks(names[i].text), names[i].msg);

    /* a parser names strings its own way */
    cs_error_t e = {0};
    lex_t L;
    lex_init(&L, "'open", 5, &e);
    L.str_what = "string literal";
    ck_assert(!lex_next(&L));
    ck_assert_str_eq(e.msg, "Error: at (1, 0) unterminated string literal");
    /* the failed token reads as the end, where the bad one starts */
    lex_init(&L, "a\n  'open", 9, &e);
    ck_assert(lex_next(&L) && !lex_next(&L));
    ck_assert_int_eq(L.tok.kind, LEX_EOF);
    ck_assert(L.tok.line == 2 && L.tok.col == 2 && L.tok.off == 4);
}
END_TEST

START_TEST(first_error_sticks)
{
    cs_error_t e = {0};
    lex_t L;
    lex_init(&L, "a b", 3, &e);
    ck_assert(lex_next(&L));
    ck_assert(!lex_fail_tok(&L, CS_ENOTSUP, "%s not here", "a"));
    ck_assert_int_eq(L.rc, CS_ENOTSUP);
    ck_assert_int_eq(e.code, CS_ENOTSUP);
    ck_assert_str_eq(e.msg, "Error: at (1, 0) a not here");
    ck_assert(!lex_fail(&L, CS_EINVAL, 9, 9, "later"));
    ck_assert(lex_next(&L));                    /* reading on is allowed ... */
    ck_assert(!lex_fail_tok(&L, CS_EINVAL, "b is bad too"));
    ck_assert_int_eq(L.rc, CS_ENOTSUP);        /* ... but the first error stays */
    ck_assert_str_eq(e.msg, "Error: at (1, 0) a not here");

    /* no error sink: the code is still kept */
    lex_init(&L, "'x", 2, NULL);
    ck_assert(!lex_next(&L));
    ck_assert_int_eq(L.rc, CS_EINVAL);

    /* a long message is cut, not overflowed */
    char big[1000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lex_init(&L, "", 0, &e);
    lex_fail(&L, CS_EINVAL, 1, 0, "%s", big);
    ck_assert_uint_lt(strlen(e.msg), sizeof e.msg);
    ck_assert(strncmp(e.msg, "Error: at (1, 0) mmm", 20) == 0);
}
END_TEST

START_TEST(never_reads_past_the_length)
{
    /* each text is cut before what would complete its last token */
    static const struct {
        const char *text;
        size_t len;         /* bytes given to the lexer */
        int kind;           /* first token */
        size_t toklen;
        bool ok;            /* false: a lexical error instead */
    } cases[] = {
        { "abc'", 3, LEX_ID, 3, true },
        { "12e5", 3, LEX_INT, 2, false },      /* "12e" runs into a name */
        { "12.5", 3, LEX_INT, 2, true },       /* "12." : the dot is punctuation */
        { "5n1", 2, LEX_INT, 1, true },
        { "'ab'", 3, LEX_EOF, 0, false },
        { "'a\\'", 3, LEX_EOF, 0, false },
        { "`ab`", 3, LEX_EOF, 0, false },
        { "/* */", 4, LEX_EOF, 0, false },
        { "//x", 1, LEX_PUNCT, 1, true },
        { "$ab", 1, LEX_PUNCT, 1, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exact_t x;
        exact_open(&x, cases[i].text, cases[i].len);
        bool ok = lex_next(&x.L);
        ck_assert_msg(ok == cases[i].ok, "case %zu: %s", i, x.e.msg);
        if (ok) {
            ck_assert_int_eq(x.L.tok.kind, cases[i].kind);
            ck_assert_uint_eq(x.L.tok.len, cases[i].toklen);
            while (ok && x.L.tok.kind != LEX_EOF)
                ok = lex_next(&x.L);
        }
        free(x.buf);
    }
}
END_TEST

START_TEST(large_and_odd_input)
{
    /* a 100 KB name, then 10000 lines of comments */
    size_t n = 100000 + 10000 * 4 + 2;
    char *text = malloc(n + 1);
    ck_assert_ptr_nonnull(text);
    memset(text, 'q', 100000);
    size_t o = 100000;
    for (int i = 0; i < 10000; i++) {
        memcpy(text + o, "\n#c ", 4);
        o += 4;
    }
    text[o++] = '\n';
    text[o++] = ')';
    ck_assert_uint_eq(o, n);
    exact_t x;
    exact_open(&x, text, n);
    ck_assert(lex_next(&x.L));
    ck_assert_uint_eq(x.L.tok.len, 100000);
    ck_assert(lex_next(&x.L));
    ck_assert_int_eq(x.L.tok.kind, LEX_PUNCT);
    ck_assert_int_eq(x.L.tok.line, 10002);
    ck_assert_int_eq(x.L.tok.col, 0);
    free(x.buf);
    free(text);

    /* bytes outside ASCII letters and NULs are single punctuation tokens */
    static const char odd[] = { 'a', '\0', (char)0xC3, (char)0xA9, '\x01' };
    exact_open(&x, odd, sizeof odd);
    int kinds = 0;
    while (lex_next(&x.L) && x.L.tok.kind != LEX_EOF) {
        ck_assert_int_eq(x.L.tok.kind, kinds ? LEX_PUNCT : LEX_ID);
        ck_assert_uint_eq(x.L.tok.len, 1);
        kinds++;
    }
    ck_assert_int_eq(kinds, 5);
    ck_assert_int_eq(x.L.rc, CS_OK);
    free(x.buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lex");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, token_kinds);
    tcase_add_test(core, comments_and_blanks);
    tcase_add_test(core, positions);
    tcase_add_test(core, previous_token_and_saved_position);
    tcase_add_test(core, keywords_and_descriptions);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, lexical_errors);
    tcase_add_test(lim, first_error_sticks);
    tcase_add_test(lim, never_reads_past_the_length);
    tcase_add_test(lim, large_and_odd_input);
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
