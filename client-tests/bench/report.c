/* report.c - the final table (see report.h). */
#include "report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    char metric[96], value[64], target[64], ratio[32];
    verdict_t verdict;
    bool noisy;
} row_t;

static row_t *rows;
static size_t nrows, caprows;

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src && *src ? src : "-");
}

void report_row(const char *metric, const char *value, const char *target, const char *ratio,
                verdict_t v)
{
    if (nrows == caprows) {
        size_t cap = caprows ? caprows * 2 : 32;
        row_t *r = realloc(rows, cap * sizeof *r);
        if (!r)
            return;
        rows = r;
        caprows = cap;
    }
    row_t *r = &rows[nrows++];
    copy(r->metric, sizeof r->metric, metric);
    copy(r->value, sizeof r->value, value);
    copy(r->target, sizeof r->target, target);
    copy(r->ratio, sizeof r->ratio, ratio);
    r->verdict = v;
    r->noisy = false;
}

void report_mark_noisy(void)
{
    if (nrows)
        rows[nrows - 1].noisy = true;
}

const char *cell(const char *fmt, ...)
{
    static char ring[8][96];
    static unsigned next;
    char *b = ring[next++ % 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

int report_print(FILE *f)
{
    static const char *names[] = { "info", "PASS", "FAIL", "SKIP" };
    int fails = 0, noisy = 0;
    fprintf(f, "| %-52s | %-22s | %-27s | %-8s | %-6s |\n", "metric", "value", "target", "ratio",
            "result");
    fprintf(f, "|%s|%s|%s|%s|%s|\n", "------------------------------------------------------",
            "------------------------", "-----------------------------", "----------",
            "--------");
    for (size_t i = 0; i < nrows; i++) {
        row_t *r = &rows[i];
        char verdict[16];
        snprintf(verdict, sizeof verdict, "%s%s", names[r->verdict], r->noisy ? "*" : "");
        fprintf(f, "| %-52s | %-22s | %-27s | %-8s | %-6s |\n", r->metric, r->value, r->target,
                r->ratio, verdict);
        fails += r->verdict == VERDICT_FAIL;
        noisy += r->noisy;
    }
    if (noisy)
        fprintf(f, "\n* measured while other processes used much of the machine "
                   "(see \"others\" in the lines above): take with care\n");
    return fails;
}

void report_free(void)
{
    free(rows);
    rows = NULL;
    nrows = caprows = 0;
}
