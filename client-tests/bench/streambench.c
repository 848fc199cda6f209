/*
 * streambench.c - target 6: Change Streams drain rate through the
 * reference consumer API (csc_stream.h), beside Redis Streams on the same
 * machine in the same run.
 *
 *  - a table "ev" with change streaming enabled is filled with STREAM_N
 *    events (WriteMultiple, 50 puts per request sharing a shard key, 256
 *    shard keys, 16 connections);
 *  - each drain is a new group (manual commit, EARLIEST) reading all of it:
 *    poll(limit) then commit of that bundle, until STREAM_N records; limit
 *    100 and 1000, through the consumer API (lazy JSON: records keep
 *    their NSON bytes, nothing is rendered as the drain never reads a
 *    value) and through a "lean" client (the same ops 43/44 on a raw
 *    connection, reading only the cursor and the record count: what the
 *    server can do, without the API's libcurl transport and records);
 *  - Redis (redisbench.c): XREADGROUP COUNT 100 + XACK over STREAM_N
 *    entries, persistence off;
 *  - every drain (Redis's too) runs twice: as the scheduler places it, and
 *    [co]-located, server and client pinned to one CPU. A one-connection
 *    request/reply loop on a VM is dominated by cross-CPU wake-ups when
 *    the two sides land on different CPUs, which makes the unpinned figures
 *    swing by 2x between runs; the [co] pairs are stable (a few %) and are
 *    the ones judged;
 *  - live: a producer (puts, 4 connections, 3 s) runs while group "glive"
 *    (LATEST) consumes through the API; events/s and how long after the
 *    last put the consumer had everything.
 * A server that answers "not supported" to enabling streaming or to the
 * consumer's CREATE makes this part SKIP with that message (the Redis
 * yardstick still runs, so the figure to reach is known).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "csc.h"
#include "redisbench.h"
#include "report.h"

#define STREAM_N 200000
#define STREAM_TABLE "ev"
#define STREAM_DDL "CREATE TABLE ev(sk STRING, id LONG, val STRING, PRIMARY KEY(SHARD(sk), id))"
#define STREAM_SHARDS 256        /* distinct shard keys: events spread over partitions */
#define STREAM_VALUE_LEN 100
#define WM_OPS 50                /* puts per WriteMultiple (the server's limit) */
#define FLOOR_EVENTS_S 170000.0
#define DRAIN_MAX_MS 60000       /* a drain slower than 3.3k events/s is cut here */
#define LIVE_PRODUCE_MS 3000
#define LIVE_BASE 10000000

/* ------------------------------------------------------------------------
 * setup
 * ------------------------------------------------------------------------ */

static bool not_supported(const csc_error_t *e)
{
    return csc_stream_not_supported(e) || e->e.code == CS_ENOTSUP || e->e.code == CS_EUNKNOWNOP;
}

/* Create "ev" and enable streaming. *skip set when the server says "not
 * supported" (err holds its message). */
static cs_err_t setup_table(csc_handle_t *h, bool *skip, csc_error_t *err)
{
    csc_table_limits_t lim = { 1000, 1000, 10, CSC_LIMITS_PROVISIONED };
    csc_table_request_t req = { .statement = STREAM_DDL, .limits = &lim };
    csc_table_result_t res;
    cs_err_t rc = csc_do_table_request(h, &req, 20000, 20, &res, err);
    csc_table_result_free(&res);
    if (rc == CS_OK) {
        rc = csc_enable_change_streaming(h, STREAM_TABLE, true, 20000, &res, err);
        csc_table_result_free(&res);
    }
    *skip = rc != CS_OK && not_supported(err);
    return rc;
}

static cs_err_t new_consumer(csc_handle_t *h, const char *group, csc_start_location_t start,
                             csc_consumer_t **out, csc_error_t *err)
{
    csc_consumer_builder_t *bl = csc_builder_new();
    if (!bl)
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    csc_builder_set_handle(bl, h);
    csc_builder_set_group_id(bl, group);
    csc_builder_set_commit_manual(bl);
    csc_builder_set_max_poll_interval(bl, 600000);
    /* the drains count records and never look at their JSON: ask for it
     * lazily, as a consumer that reads only some values would */
    csc_builder_set_lazy_json(bl, true);
    csc_builder_add_table(bl, STREAM_TABLE, NULL, &start);
    cs_err_t rc = csc_consumer_build(bl, out, err);
    csc_builder_free(bl);
    return rc;
}

/* STREAM_N puts as WriteMultiple bodies of WM_OPS each, ids base... */
static cs_err_t make_fill(load_set_t *set, int64_t base, cs_error_t *err)
{
    char value[STREAM_VALUE_LEN + 1];
    memset(value, 'v', STREAM_VALUE_LEN);
    value[STREAM_VALUE_LEN] = 0;
    load_set_init(set, BENCH_TENANT);
    csc_write_op_t ops[WM_OPS];
    json_t *rows[WM_OPS];
    cs_err_t rc = CS_OK;
    for (int64_t first = 0; first < STREAM_N && rc == CS_OK; first += WM_OPS) {
        memset(ops, 0, sizeof ops);
        for (int i = 0; i < WM_OPS; i++) {
            /* a WriteMultiple shares one shard key */
            char sk[16];
            snprintf(sk, sizeof sk, "s%d", (int)((first / WM_OPS) % STREAM_SHARDS));
            rows[i] = json_pack("{s:s, s:I, s:s}", "sk", sk, "id", (json_int_t)(base + first + i),
                                "val", value);
            ops[i].put.table_name = STREAM_TABLE;
            ops[i].put.value = csc_json(rows[i]);
        }
        csc_write_multiple_request_t req = { .ops = ops, .num_ops = WM_OPS };
        buf_t body;
        buf_init(&body, 0);
        csc_error_t ce;
        rc = csc_write_multiple_encode(NULL, &req, &body, &ce);
        if (rc != CS_OK)
            cs_fail(err, rc, "encoding WriteMultiple: %s", ce.e.msg);
        else
            rc = load_set_add(set, body.data, body.len, err);
        buf_free(&body);
        for (int i = 0; i < WM_OPS; i++)
            json_decref(rows[i]);
    }
    return rc;
}

static cs_err_t make_puts(load_set_t *set, int64_t base, size_t n, cs_error_t *err)
{
    char value[STREAM_VALUE_LEN + 1];
    memset(value, 'v', STREAM_VALUE_LEN);
    value[STREAM_VALUE_LEN] = 0;
    load_set_init(set, BENCH_TENANT);
    cs_err_t rc = CS_OK;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        char sk[16];
        snprintf(sk, sizeof sk, "s%d", (int)(i % STREAM_SHARDS));
        json_t *row = json_pack("{s:s, s:I, s:s}", "sk", sk, "id", (json_int_t)(base + (int64_t)i),
                                "val", value);
        csc_put_request_t req = { .table_name = STREAM_TABLE, .value = csc_json(row) };
        buf_t body;
        buf_init(&body, 0);
        csc_error_t ce;
        rc = csc_put_encode(NULL, &req, &body, &ce);
        if (rc != CS_OK)
            cs_fail(err, rc, "encoding a put: %s", ce.e.msg);
        else
            rc = load_set_add(set, body.data, body.len, err);
        buf_free(&body);
        json_decref(row);
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * draining
 * ------------------------------------------------------------------------ */

typedef struct drain_result {
    uint64_t events, polls, empty_polls;
    double seconds, per_sec;
    double server_cpu_us;        /* per event */
    double client_cpu_us;        /* per event */
    uint64_t last_ns;            /* when the last records arrived (now_ns) */
    double other_cpu_pct;        /* other processes' CPU meanwhile, % of the machine */
    char error[256];
} drain_result_t;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* One poll (limit) and, when it returned records, one commit of what it
 * returned; *n = records. Two ways: the consumer API, and "lean". */
typedef struct drainer drainer_t;
struct drainer {
    cs_err_t (*poll_commit)(drainer_t *d, int limit, size_t *n, char *why, size_t why_len);
    csc_consumer_t *consumer;   /* api */
    load_conn_t *conn;          /* lean */
    uint8_t *cursor;            /* lean: the consumer's current cursor (malloc) */
    size_t cursor_len;
};

static cs_err_t api_poll_commit(drainer_t *d, int limit, size_t *n, char *why, size_t why_len)
{
    csc_bundle_t b;
    csc_error_t err;
    *n = 0;
    cs_err_t rc = csc_consumer_poll(d->consumer, limit, 0, &b, &err);
    if (rc != CS_OK) {
        snprintf(why, why_len, "poll: %.200s", err.e.msg);
        return rc;
    }
    *n = csc_bundle_num_records(&b);
    if (*n && (rc = csc_bundle_commit(&b, 0, &err)) != CS_OK)
        snprintf(why, why_len, "commit: %.200s", err.e.msg);
    csc_bundle_free(&b);
    return rc;
}

/* Lean: send body, decode the reply MAP (BINARY event payloads stay
 * opaque), check "e", take "cu" as the new cursor. */
static nson_value_t *lean_call(drainer_t *d, arena_t *a, buf_t *body, char *why, size_t why_len)
{
    const uint8_t *rep;
    size_t len;
    cs_error_t err;
    if (!buf_ok(body) || load_conn_call(d->conn, body->data, body->len, &rep, &len, &err) != CS_OK) {
        snprintf(why, why_len, "%.200s", buf_ok(body) ? err.msg : "out of memory");
        return NULL;
    }
    nson_value_t *root = nson_decode(a, rep, len, false, &err);
    int32_t e = -1;
    const char *x = NULL;
    const uint8_t *cu;
    uint32_t cu_len;
    if (!root || !nson_get_int(root, "e", &e, NULL) || e != 0) {
        nson_get_string(root, "x", &x, NULL);
        snprintf(why, why_len, "error %d: %.200s", e, root ? (x ? x : "?") : err.msg);
        return NULL;
    }
    if (nson_get_binary(root, "cu", &cu, &cu_len, NULL)) {
        uint8_t *copy = malloc(cu_len ? cu_len : 1);
        if (!copy) {
            snprintf(why, why_len, "out of memory");
            return NULL;
        }
        memcpy(copy, cu, cu_len);
        free(d->cursor);
        d->cursor = copy;
        d->cursor_len = cu_len;
    }
    return root;
}

static cs_err_t lean_poll_commit(drainer_t *d, int limit, size_t *n, char *why, size_t why_len)
{
    *n = 0;
    buf_t body;
    buf_init(&body, 0);
    arena_t a;
    arena_init(&a, 256u << 20);
    cs_err_t rc = CS_EIO;
    csc_error_t ce;
    if (csc_cs_poll_encode(NULL, d->cursor, d->cursor_len, limit, 0, &body, &ce) != CS_OK) {
        snprintf(why, why_len, "poll encode: %.200s", ce.e.msg);
        goto out;
    }
    nson_value_t *root = lean_call(d, &a, &body, why, why_len);
    if (!root)
        goto out;
    /* records = sum over messages ("eb") and events ("es", each a BINARY
     * holding an event MAP) of the event's "es" count */
    const nson_value_t *eb = nson_map_get(root, "eb");
    for (uint32_t i = 0; eb && eb->type == NSON_ARRAY && i < eb->u.arr.count; i++) {
        const nson_value_t *es = nson_map_get(eb->u.arr.items[i], "es");
        for (uint32_t j = 0; es && es->type == NSON_ARRAY && j < es->u.arr.count; j++) {
            const nson_value_t *bin = es->u.arr.items[j];
            cs_error_t err;
            nson_value_t *ev = bin->type == NSON_BINARY
                ? nson_decode(&a, bin->u.bin.ptr, bin->u.bin.len, true, &err) : NULL;
            const nson_value_t *rs = ev ? nson_map_get(ev, "es") : NULL;
            if (!rs || rs->type != NSON_ARRAY) {
                snprintf(why, why_len, "poll reply: an event without records");
                goto out;
            }
            *n += rs->u.arr.count;
        }
    }
    if (*n) {
        buf_reset(&body);
        csc_cs_request_t req = { .mode = CSC_CS_COMMIT, .cursor = d->cursor,
                                 .cursor_len = d->cursor_len };
        if (csc_cs_request_encode(NULL, &req, &body, &ce) != CS_OK) {
            snprintf(why, why_len, "commit encode: %.200s", ce.e.msg);
            goto out;
        }
        if (!lean_call(d, &a, &body, why, why_len))
            goto out;
    }
    rc = CS_OK;
out:
    arena_free(&a);
    buf_free(&body);
    return rc;
}

/* Poll + commit until want records were read, or max_ms passed. With
 * producer_done (live mode) an empty poll means "not yet" until the
 * producer has finished; want is re-read as it grows. */
static void drain(drainer_t *d, int limit, const volatile uint64_t *want,
                  const volatile bool *producer_done, pid_t server, int max_ms,
                  drain_result_t *r)
{
    memset(r, 0, sizeof *r);
    int64_t cpu0 = proc_cpu_us(server), self0 = self_cpu_us(), busy0 = machine_busy_us();
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)max_ms * 1000000u, last = t0;
    int idle = 0;
    while (now_ns() < end) {
        bool done = !producer_done || __atomic_load_n(producer_done, __ATOMIC_ACQUIRE);
        if (done && r->events >= *want)
            break;
        size_t n;
        if (d->poll_commit(d, limit, &n, r->error, sizeof r->error) != CS_OK)
            break;
        r->polls++;
        if (n == 0) {
            r->empty_polls++;
            /* a drained pre-filled stream: a few empty polls (a first poll may
             * only rebalance), then give up */
            if (done && ++idle > 50) {
                snprintf(r->error, sizeof r->error, "stream ran dry at %llu of %llu events",
                         (unsigned long long)r->events, (unsigned long long)*want);
                break;
            }
            sleep_ms(1);
            continue;
        }
        idle = 0;
        r->events += n;
        last = now_ns();
    }
    if (!r->error[0] && r->events < *want)
        snprintf(r->error, sizeof r->error, "time bound (%d ms) hit at %llu of %llu events",
                 max_ms, (unsigned long long)r->events, (unsigned long long)*want);
    int64_t cpu1 = proc_cpu_us(server), self1 = self_cpu_us(), busy1 = machine_busy_us();
    double wall_us = (double)(now_ns() - t0) / 1e3;
    double other = (double)(busy1 - busy0 - (cpu1 - cpu0) - (self1 - self0));
    r->other_cpu_pct = wall_us > 0 && other > 0 ? 100.0 * other / (wall_us * machine_cpus()) : 0;
    r->last_ns = last;
    r->seconds = (double)(last - t0) / 1e9;
    r->per_sec = r->seconds > 0 ? (double)r->events / r->seconds : 0;
    r->server_cpu_us = r->events ? (double)(cpu1 - cpu0) / (double)r->events : -1;
    r->client_cpu_us = r->events ? (double)(self1 - self0) / (double)r->events : -1;
}

static void print_drain(const char *what, const drain_result_t *r)
{
    printf("  %-22s %8llu events in %6.2fs = %8.0f events/s  (%llu polls, %llu empty; server "
           "%.2f us/event, client %.2f us/event; others %.0f%%)%s%s\n",
           what, (unsigned long long)r->events, r->seconds, r->per_sec,
           (unsigned long long)r->polls, (unsigned long long)r->empty_polls, r->server_cpu_us,
           r->client_cpu_us, r->other_cpu_pct, r->error[0] ? "  FAILED: " : "", r->error);
}

/* ------------------------------------------------------------------------
 * live: producer || consumer
 * ------------------------------------------------------------------------ */

typedef struct producer {
    const bench_ctx_t *b;
    const csemu_t *s;
    const load_set_t *set;
    load_result_t res;
    volatile uint64_t produced;
    volatile bool done;
    uint64_t end_ns;            /* when the last put was acknowledged */
} producer_t;

static void *producer_main(void *arg)
{
    producer_t *p = arg;
    load_spec_t spec = { .port = p->s->port, .set = p->set, .transport = p->b->transport,
                         .conns = 4, .max_requests = p->set->n, .max_ms = LIVE_PRODUCE_MS };
    cs_error_t err;
    if (load_run(&spec, &p->res, &err) != CS_OK)
        snprintf(p->res.first_error, sizeof p->res.first_error, "%.200s", err.msg);
    /* warm-up puts are off: every acknowledged put is one event to read */
    p->produced = p->res.ok;
    p->end_ns = now_ns();
    __atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* ------------------------------------------------------------------------
 * the scenario
 * ------------------------------------------------------------------------ */

static void redis_yardstick(const bench_ctx_t *b, redis_stream_result_t rr[2], bool *have)
{
    *have = false;
    memset(rr, 0, 2 * sizeof *rr);
    if (!b->redis_bin) {
        printf("  Redis: redis-server not found (make deps-bench installs it)\n");
        return;
    }
    cs_error_t err;
    if (redis_stream_bench(b->redis_bin, b->work, STREAM_N, STREAM_VALUE_LEN, 100, rr, &err) !=
        CS_OK) {
        printf("  Redis: %s\n", err.msg);
        return;
    }
    *have = true;
    printf("  Redis %s, persistence off: %llu entries filled in %.2fs\n", rr[0].version,
           (unsigned long long)rr[0].events, rr[0].fill_seconds);
    for (int co = 0; co < 2; co++)
        printf("  Redis XREADGROUP COUNT 100 + XACK%s: %.2fs = %.0f events/s (server %.2f us/event,"
               " client %.2f us/event)\n", co ? " [co]" : "     ", rr[co].seconds,
               rr[co].per_sec, rr[co].server_cpu_us, rr[co].client_cpu_us);
}

static void skip_rows(const char *why)
{
    printf("  SKIPPED: %s\n", why);
    report_row("Streams drain, limit 100, consumer API", "skipped", ">= 1x Redis, >= 170k/s",
               NULL, VERDICT_SKIP);
    report_row("Streams drain, limit 1000, consumer API", "skipped", ">= 170k/s", NULL,
               VERDICT_SKIP);
    report_row("Streams live producer||consumer (API)", "skipped", NULL, NULL, VERDICT_SKIP);
}

/* The four drains, each run twice (as placed by the scheduler, and
 * co-located: server and client pinned to one CPU). */
typedef struct drain_kind {
    const char *name;
    bool lean;
    int limit;
} drain_kind_t;

static const drain_kind_t kinds[4] = {
    { "consumer API", false, 100 },
    { "consumer API", false, 1000 },
    { "lean client", true, 100 },
    { "lean client", true, 1000 },
};

/* Drain the whole stream with a new group (start EARLIEST): through the
 * consumer API, or (lean) CREATE through the API and then polls and
 * commits on a raw connection. */
static void drain_all(csc_handle_t *h, const csemu_t *s, const drain_kind_t *k, bool colocate,
                      drain_result_t *r)
{
    static int groups;
    char group[64];
    snprintf(group, sizeof group, "g%d-%s-%d%s", ++groups, k->lean ? "lean" : "api", k->limit,
             colocate ? "-co" : "");
    csc_consumer_t *c = NULL;
    csc_error_t ce;
    cs_error_t err;
    uint64_t want = STREAM_N;
    drainer_t d = { .poll_commit = k->lean ? lean_poll_commit : api_poll_commit };
    memset(r, 0, sizeof *r);
    if (new_consumer(h, group, csc_start_earliest(), &c, &ce) != CS_OK) {
        snprintf(r->error, sizeof r->error, "consumer: %.200s", ce.e.msg);
        return;
    }
    d.consumer = c;
    if (k->lean) {
        size_t len = 0;
        const uint8_t *cu = csc_consumer_cursor(c, &len);
        d.cursor = cu ? malloc(len ? len : 1) : NULL;
        if (!d.cursor) {
            snprintf(r->error, sizeof r->error, "no cursor");
            goto out;
        }
        memcpy(d.cursor, cu, len);
        d.cursor_len = len;
        if (load_conn_open(s->port, BENCH_TENANT, &d.conn, &err) != CS_OK) {
            snprintf(r->error, sizeof r->error, "%.200s", err.msg);
            goto out;
        }
    }
    int cpu = -1;
    if (colocate) {
        cpu = least_busy_cpu(100);
        if (!proc_pin(s->p.pid, cpu) || !pin_self(cpu))
            cpu = -1;
    }
    drain(&d, k->limit, &want, NULL, s->p.pid, DRAIN_MAX_MS, r);
    if (colocate) {
        pin_self(-1);
        proc_pin(s->p.pid, -1);
        if (cpu < 0 && !r->error[0])
            snprintf(r->error, sizeof r->error, "could not pin to one CPU");
    }
out:
    load_conn_close(d.conn);
    free(d.cursor);
    csc_consumer_free(c);   /* a lean drain left its cursor stale: the server expires it */
}

/* Rows for one drain: vs Redis (limit 100) and vs the floor. Judged only
 * for the consumer API co-located (the stable comparison: both sides on
 * one CPU, as Redis is measured); the rest are shown as info. */
static void drain_rows(const drain_kind_t *k, bool co, const drain_result_t *r,
                       const redis_stream_result_t *rr, bool have_redis)
{
    bool ok = !r->error[0];
    bool judged = co && !k->lean;
    char metric[96];
    snprintf(metric, sizeof metric, "Streams drain, limit %d, %s%s", k->limit, k->name,
             co ? " [co]" : "");
    if (k->limit == 100) {
        double ratio = have_redis && rr->per_sec > 0 ? r->per_sec / rr->per_sec : 0;
        verdict_t v = ok && have_redis && ratio >= 1.0 ? VERDICT_PASS : VERDICT_FAIL;
        report_row(metric, cell("%.0f events/s", r->per_sec),
                   have_redis ? cell(">= 1x Redis%s (%.0f)", co ? " [co]" : "", rr->per_sec)
                              : "Redis not measured",
                   have_redis ? cell("%.2fx", ratio) : NULL, judged || !ok ? v : VERDICT_INFO);
        if (r->other_cpu_pct >= NOISE_MAX)
            report_mark_noisy();
    }
    verdict_t v = ok && r->per_sec >= FLOOR_EVENTS_S ? VERDICT_PASS : VERDICT_FAIL;
    report_row(cell("%s, floor", metric), cell("%.0f events/s", r->per_sec), ">= 170000 events/s",
               cell("%.2fx", r->per_sec / FLOOR_EVENTS_S), judged || !ok ? v : VERDICT_INFO);
    if (r->other_cpu_pct >= NOISE_MAX)
        report_mark_noisy();
}

static void live_run(const bench_ctx_t *b, csc_handle_t *h, const csemu_t *s,
                     const load_set_t *live)
{
    drain_result_t dl;
    csc_consumer_t *c = NULL;
    csc_error_t ce;
    memset(&dl, 0, sizeof dl);
    if (new_consumer(h, "glive", csc_start_latest(), &c, &ce) != CS_OK) {
        snprintf(dl.error, sizeof dl.error, "consumer: %.200s", ce.e.msg);
    } else {
        producer_t p = { .b = b, .s = s, .set = live };
        pthread_t pt;
        drainer_t d = { .poll_commit = api_poll_commit, .consumer = c };
        if (pthread_create(&pt, NULL, producer_main, &p) == 0) {
            drain(&d, 1000, &p.produced, &p.done, s->p.pid, LIVE_PRODUCE_MS + 30000, &dl);
            pthread_join(pt, NULL);
            /* end_ns is taken after the producer's threads are joined, so a
             * consumer that kept up shows <= 0: it had everything at once */
            double lag = ((double)dl.last_ns - (double)p.end_ns) / 1e6;
            printf("  live producer: %.0f puts/s (4 conn, %llu puts)%s%s; the consumer had read "
                   "all %llu events %s%.1f ms after the producer finished\n", p.res.rps,
                   (unsigned long long)p.res.ok, p.res.errors ? " FAILED: " : "",
                   p.res.errors ? p.res.first_error : "", (unsigned long long)dl.events,
                   lag <= 0 ? "<= " : "", lag > 0 ? lag : 0.0);
        } else {
            snprintf(dl.error, sizeof dl.error, "cannot start the producer thread");
        }
    }
    csc_consumer_free(c);
    print_drain("live, API, poll 1000", &dl);
    report_row("Streams live producer||consumer (API)", cell("%.0f events/s", dl.per_sec), NULL,
               NULL, dl.error[0] ? VERDICT_FAIL : VERDICT_INFO);
}

void bench_streams(const bench_ctx_t *b)
{
    printf("\n[6] Change Streams: drain %d events through the consumer API vs Redis Streams "
           "([co] = server and client pinned to one CPU)\n", STREAM_N);
    redis_stream_result_t rr[2];
    bool have_redis;
    redis_yardstick(b, rr, &have_redis);
    report_row("Redis XREADGROUP COUNT 100 + XACK", have_redis ? cell("%.0f events/s", rr[0].per_sec)
               : "not measured", NULL, NULL, VERDICT_INFO);
    report_row("Redis XREADGROUP COUNT 100 + XACK [co]", have_redis
               ? cell("%.0f events/s", rr[1].per_sec) : "not measured", NULL, NULL, VERDICT_INFO);

    csemu_t s;
    cs_error_t err;
    csc_error_t ce;
    csc_handle_t *h = NULL;
    csc_consumer_t *probe = NULL;
    load_set_t fill = { 0 }, live = { 0 };
    if (csemu_start(b, &s, NULL, false, &err) != CS_OK) {
        printf("  csemu: %s\n", err.msg);
        report_row("Change Streams", "server did not start", NULL, NULL, VERDICT_FAIL);
        return;
    }
    h = csc_handle_new(s.endpoint, BENCH_TENANT);
    bool skip = false;
    if (!h || setup_table(h, &skip, &ce) != CS_OK) {
        if (skip)
            skip_rows(cell("enabling change streaming: %s", h ? ce.e.msg : "no handle"));
        else
            report_row("Change Streams setup", cell("%.60s", ce.e.msg), NULL, NULL, VERDICT_FAIL);
        goto out;
    }
    /* a server without ops 43/44 stops us here, before the fill */
    if (new_consumer(h, "gprobe", csc_start_earliest(), &probe, &ce) != CS_OK) {
        if (not_supported(&ce))
            skip_rows(cell("ChangeStreamConsumer: %s", ce.e.msg));
        else
            report_row("Change Streams consumer", cell("%.60s", ce.e.msg), NULL, NULL,
                       VERDICT_FAIL);
        goto out;
    }
    if (make_fill(&fill, 0, &err) != CS_OK || make_puts(&live, LIVE_BASE, 100000, &err) != CS_OK) {
        printf("  %s\n", err.msg);
        goto out;
    }
    load_spec_t spec = { .port = s.port, .set = &fill, .transport = b->transport, .conns = 16,
                         .max_requests = fill.n, .max_ms = 120000, .server_pid = s.p.pid };
    load_result_t fr;
    if (load_run(&spec, &fr, &err) != CS_OK || fr.ok != fill.n) {
        printf("  fill: %s\n", fr.first_error[0] ? fr.first_error : err.msg);
        report_row("Change Streams fill", "failed", NULL, NULL, VERDICT_FAIL);
        goto out;
    }
    printf("  filled %d events (WriteMultiple x%d, 16 conn) in %.2fs = %.0f events/s\n",
           STREAM_N, WM_OPS, fr.seconds, STREAM_N / fr.seconds);

    drain_result_t dr[2][4];
    for (int co = 0; co < 2; co++)
        for (int i = 0; i < 4; i++) {
            drain_all(h, &s, &kinds[i], co, &dr[co][i]);
            char what[64];
            snprintf(what, sizeof what, "%s, poll %d%s", kinds[i].lean ? "lean" : "API",
                     kinds[i].limit, co ? " [co]" : "");
            print_drain(what, &dr[co][i]);
        }
    for (int co = 1; co >= 0; co--)
        for (int i = 0; i < 4; i++)
            drain_rows(&kinds[i], co, &dr[co][i], &rr[co], have_redis);
    live_run(b, h, &s, &live);
out:
    csc_consumer_free(probe);
    csc_handle_free(h);
    load_set_free(&fill);
    load_set_free(&live);
    csemu_stop(&s, false);
}
