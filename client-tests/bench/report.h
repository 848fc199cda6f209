/*
 * report.h - the bench's final table: metric, value, target, ratio,
 * verdict. Rows are collected while scenarios run and printed at the end
 * as a Markdown table (so RESULTS.md can quote it verbatim).
 */
#ifndef CSBENCH_REPORT_H
#define CSBENCH_REPORT_H

#include <stdio.h>

typedef enum { VERDICT_INFO = 0, VERDICT_PASS, VERDICT_FAIL, VERDICT_SKIP } verdict_t;

/* Add a row; every text is copied. value/target/ratio may be NULL ("-"). */
void report_row(const char *metric, const char *value, const char *target, const char *ratio,
                verdict_t v);
/* printf-style text for a cell, in one of a few rotating static buffers
 * (enough for the cells of one report_row call). */
const char *cell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Mark the last row as measured while other processes took more than the
 * bench's noise limit of the machine: its result shows a '*'. */
void report_mark_noisy(void);

/* Print the table; returns the number of FAIL rows. */
int report_print(FILE *f);
void report_free(void);

#endif
