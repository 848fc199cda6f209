/* config.c - defaults, CSEMU_* environment, then getopt_long flags. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char usage_text[] =
    "Usage: csemu [options]\n"
    "Local emulator of the Oracle NoSQL Database Cloud service with Change Streams.\n"
    "Serves the official SDKs' wire protocol at http://HOST:PORT/V2/nosql/data.\n"
    "\n"
    "Options (environment variable in brackets):\n"
    "  --host ADDR              listen address, default 127.0.0.1 [CSEMU_HOST]\n"
    "  --port N                 listen port, default 8080; 0 picks a free one [CSEMU_PORT]\n"
    "  --data DIR               data directory (LMDB), default ./csemu-data [CSEMU_DATA]\n"
    "  --sync                   fsync every commit: survives power loss, not just\n"
    "                           a crash of the server [CSEMU_SYNC=1]\n"
    "  --map-size SIZE          LMDB map size, default 4G [CSEMU_MAP_SIZE]\n"
    "  --max-request-size SIZE  largest request body, default 32M [CSEMU_MAX_REQUEST_SIZE]\n"
    "  --retention DURATION     keep change events this long, default 24h [CSEMU_RETENTION]\n"
    "  --max-poll-interval DURATION\n"
    "                           consumer liveness timeout when the client sets none,\n"
    "                           default 30s [CSEMU_MAX_POLL_INTERVAL]\n"
    "  --partitions N           change-stream partitions of a newly streamed table,\n"
    "                           default 16 [CSEMU_PARTITIONS]\n"
    "  --test-clock             let POST /admin/clock move the server's clock (tests)\n"
    "                           [CSEMU_TEST_CLOCK=1]\n"
    "  --log-level LEVEL        debug, info, warn, error or off; default info [CSEMU_LOG_LEVEL]\n"
    "  --help                   print this help and exit\n"
    "  --version                print the version and exit\n"
    "\n"
    "DURATION takes a unit (ms, s, m, h, d; a bare number is seconds); SIZE takes\n"
    "K, M or G. On start the server prints one line, '... ready on http://HOST:PORT',\n"
    "on stdout. SIGINT or SIGTERM stop it cleanly; all data stays in the data directory.\n";

bool config_parse_duration_ms(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    double mult = 1000;   /* bare number: seconds */
    if (*end) {
        if (strcmp(end, "ms") == 0) mult = 1;
        else if (strcmp(end, "s") == 0) mult = 1000;
        else if (strcmp(end, "m") == 0) mult = 60e3;
        else if (strcmp(end, "h") == 0) mult = 3600e3;
        else if (strcmp(end, "d") == 0) mult = 86400e3;
        else return false;
    }
    double ms = v * mult;
    if (ms > 9.2e18)
        return false;
    *out = (int64_t)ms;
    return true;
}

bool config_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 0;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return false;
        }
        if (end[1] && !((end[1] == 'B' || end[1] == 'b' || end[1] == 'i') && !end[2]))
            return false;
    }
    if (v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

static bool parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 65535)
        return false;
    *out = (int)v;
    return true;
}

static bool truthy(const char *s)
{
    return s && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

/* Apply one setting by option name; shared by flags and environment. */
static bool apply(server_config_t *c, const char *name, const char *val)
{
    if (strcmp(name, "host") == 0) {
        if (strlen(val) >= sizeof c->host)
            return false;
        strcpy(c->host, val);
        return true;
    }
    if (strcmp(name, "port") == 0)
        return parse_port(val, &c->port);
    if (strcmp(name, "data") == 0) {
        if (!*val || strlen(val) >= sizeof c->data_dir)
            return false;
        strcpy(c->data_dir, val);
        return true;
    }
    if (strcmp(name, "map-size") == 0)
        return config_parse_size(val, &c->map_size) && c->map_size >= (1u << 20);
    if (strcmp(name, "max-request-size") == 0)
        return config_parse_size(val, &c->max_request) && c->max_request >= 1024;
    if (strcmp(name, "retention") == 0)
        return config_parse_duration_ms(val, &c->retention_ms) && c->retention_ms > 0;
    if (strcmp(name, "max-poll-interval") == 0)
        return config_parse_duration_ms(val, &c->max_poll_interval_ms) &&
               c->max_poll_interval_ms > 0;
    if (strcmp(name, "partitions") == 0) {
        char *end;
        long v = strtol(val, &end, 10);
        if (end == val || *end || v < 1 || v > 1024)
            return false;
        c->partitions = (uint32_t)v;
        return true;
    }
    if (strcmp(name, "log-level") == 0) {
        int l = log_level_parse(val);
        if (l < 0)
            return false;
        c->log_level = l;
        return true;
    }
    return false;
}

config_result_t config_load(server_config_t *c, int argc, char **argv)
{
    static const struct { const char *env, *name; } envs[] = {
        { "CSEMU_HOST", "host" },
        { "CSEMU_PORT", "port" },
        { "CSEMU_DATA", "data" },
        { "CSEMU_MAP_SIZE", "map-size" },
        { "CSEMU_MAX_REQUEST_SIZE", "max-request-size" },
        { "CSEMU_RETENTION", "retention" },
        { "CSEMU_MAX_POLL_INTERVAL", "max-poll-interval" },
        { "CSEMU_PARTITIONS", "partitions" },
        { "CSEMU_LOG_LEVEL", "log-level" },
    };
    static const struct option opts[] = {
        { "host", required_argument, NULL, 0 },
        { "port", required_argument, NULL, 0 },
        { "data", required_argument, NULL, 0 },
        { "map-size", required_argument, NULL, 0 },
        { "max-request-size", required_argument, NULL, 0 },
        { "retention", required_argument, NULL, 0 },
        { "max-poll-interval", required_argument, NULL, 0 },
        { "partitions", required_argument, NULL, 0 },
        { "log-level", required_argument, NULL, 0 },
        { "sync", no_argument, NULL, 's' },
        { "test-clock", no_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };

    memset(c, 0, sizeof *c);
    strcpy(c->host, "127.0.0.1");
    c->port = 8080;
    strcpy(c->data_dir, "./csemu-data");
    c->map_size = (size_t)4 << 30;
    c->max_request = (size_t)32 << 20;
    c->retention_ms = 24LL * 3600 * 1000;
    c->max_poll_interval_ms = 30000;
    c->partitions = 16;
    c->log_level = LOG_INFO;

    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *v = getenv(envs[i].env);
        if (v && *v && !apply(c, envs[i].name, v)) {
            fprintf(stderr, "csemu: invalid value '%s' for %s\n", v, envs[i].env);
            return CONFIG_EXIT_ERROR;
        }
    }
    c->sync = truthy(getenv("CSEMU_SYNC"));
    c->test_clock = truthy(getenv("CSEMU_TEST_CLOCK"));

    optind = 1;
    for (;;) {
        int idx = 0;
        int ch = getopt_long(argc, argv, "", opts, &idx);
        if (ch == -1)
            break;
        switch (ch) {
        case 0:
            if (!apply(c, opts[idx].name, optarg)) {
                fprintf(stderr, "csemu: invalid value '%s' for --%s (see --help)\n", optarg,
                        opts[idx].name);
                return CONFIG_EXIT_ERROR;
            }
            break;
        case 's': c->sync = true; break;
        case 'T': c->test_clock = true; break;
        case 'h': fputs(usage_text, stdout); return CONFIG_EXIT_OK;
        case 'V': printf("csemu %s\n", CSEMU_VERSION); return CONFIG_EXIT_OK;
        default:
            fprintf(stderr, "Try 'csemu --help'.\n");
            return CONFIG_EXIT_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "csemu: unexpected argument '%s' (see --help)\n", argv[optind]);
        return CONFIG_EXIT_ERROR;
    }
    return CONFIG_RUN;
}
