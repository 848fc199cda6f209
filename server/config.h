/*
 * config.h - server settings from the command line and CSEMU_* variables.
 *
 * Precedence: command-line flag > environment variable > default. Durations
 * accept a unit (ms, s, m, h, d); a bare number is seconds. Sizes accept K, M,
 * G suffixes (powers of two); a bare number is bytes.
 */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSEMU_VERSION "0.1.0"

typedef struct server_config {
    char host[256];               /* listen address (default 127.0.0.1) */
    int port;                     /* 0 = pick a free port (printed on the ready line) */
    char data_dir[4096];          /* LMDB directory (default ./csemu-data) */
    bool sync;                    /* fsync every commit */
    size_t map_size;              /* LMDB map size in bytes */
    size_t max_request;           /* largest accepted request body, bytes */
    int64_t retention_ms;         /* change events older than this are purged */
    int64_t max_poll_interval_ms; /* default consumer liveness timeout */
    uint32_t partitions;          /* partitions of a newly streamed table */
    bool test_clock;              /* allow POST /admin/clock (tests only) */
    int log_level;                /* log_level_t */
} server_config_t;

typedef enum { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_EXIT_ERROR } config_result_t;

/* Fill cfg from defaults, environment and argv. Prints --help/--version
 * output or a usage error itself; the result says whether to run. */
config_result_t config_load(server_config_t *cfg, int argc, char **argv);

/* "90s" -> 90000; false on bad input. */
bool config_parse_duration_ms(const char *s, int64_t *out);
/* "64M" -> 67108864; false on bad input. */
bool config_parse_size(const char *s, size_t *out);

#endif
