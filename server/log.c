/* log.c - timestamped, leveled lines on stderr; one write per line. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static atomic_int current_level = LOG_INFO;

void log_set_level(log_level_t level) { atomic_store(&current_level, (int)level); }
log_level_t log_get_level(void) { return (log_level_t)atomic_load(&current_level); }

int log_level_parse(const char *name)
{
    static const char *const names[] = { "debug", "info", "warn", "error", "off" };
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    static const char *const tags[] = { "debug", "info", "warn", "error" };
    if ((int)level < atomic_load(&current_level) || level >= LOG_OFF)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);   /* wall time for humans, not the test clock */
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ csemu %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
