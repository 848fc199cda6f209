/*
 * log.h - leveled logging to stderr.
 *
 * Client mistakes are logged at LOG_WARN ("their fault"), our own failures at
 * LOG_ERROR ("our fault"); per-request lines at LOG_DEBUG. stdout is kept for
 * the readiness line that scripts and tests wait for.
 */
#ifndef CS_LOG_H
#define CS_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level_t;

void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* Parse "debug", "info", "warn", "error", "off"; returns -1 if unknown. */
int log_level_parse(const char *name);
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
