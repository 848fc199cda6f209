/*
 * csbench.c - `make bench`: csemu's performance figures, each beside its
 * target as a ratio measured in the same run.
 *
 *   csbench --server build/csemu --work-parent DIR [--redis redis-server]
 *           [--run-ms 2000] [--only startup|default|sync|streams]
 *   csbench --attach PORT [--pid PID] --load put|get|status [--conns N]
 *           (one load against a csemu started by hand, e.g. under perf)
 *
 * Scenarios (numbers as in the issue):
 *   5  start to ready (median of 10 fresh starts), idle RSS
 *   -  transport: the same SystemStatus load over libcurl and raw sockets;
 *      the cheaper client drives everything after
 *   1  SystemStatus (the baseline), Put, Get at 1, 16, 64 connections; the
 *      1-connection runs again with client and server pinned to one CPU
 *      (on a VM a cross-CPU wake-up costs more than the request itself)
 *   2  Put vs SystemStatus at 16 connections: server CPU per request and
 *      rate, median of alternating pairs
 *   3  default mode: N acknowledged puts, kill -9, restart, read all back
 *   4  --sync: 1-connection durable puts vs a bare LMDB commit loop; 64 vs 1
 *   6  Change Streams drain vs Redis Streams (streambench.c)
 * Each load line also says how much CPU other processes took meanwhile:
 * the machine may be shared. Everything is bounded by count and time;
 * every process is ours, on 127.0.0.1, stopped at the end; scratch data
 * lives under the work dir and is removed.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "csc.h"
#include "lmdbloop.h"
#include "report.h"

#define TABLE "bench"
#define TABLE_DDL "CREATE TABLE bench(id LONG, val STRING, PRIMARY KEY(id))"
#define VALUE_LEN 100            /* bytes of "val" in every row */
#define ROW_KEYS 50000           /* rows 0..ROW_KEYS-1: filled first, then read by the
                                  * gets and overwritten by the puts (a put is an update
                                  * of an existing 100-byte row: a steady state) */
#define PAIRS 3                  /* target 2: alternating SystemStatus/Put runs */
#define SYNC_TRIES 3
#define SURVIVE_N 20000          /* puts acknowledged before kill -9 */
#define SURVIVE_BASE 5000000
#define SYNC_KEYS 160000         /* durable puts insert keys 0, 1, ... */
#define STARTS 10

static const int conn_counts[] = { 1, 16, 64 };

/* ------------------------------------------------------------------------
 * requests, encoded once
 * ------------------------------------------------------------------------ */

static char value_text[VALUE_LEN + 1];

static cs_err_t add_put(load_set_t *set, int64_t id, cs_error_t *err)
{
    json_t *row = json_pack("{s:I, s:s}", "id", (json_int_t)id, "val", value_text);
    csc_put_request_t req = { .table_name = TABLE, .value = csc_json(row) };
    buf_t body;
    buf_init(&body, 0);
    csc_error_t ce;
    cs_err_t rc = row ? csc_put_encode(NULL, &req, &body, &ce) : CS_ENOMEM;
    if (rc != CS_OK)
        cs_fail(err, rc, "encoding a put: %s", row ? ce.e.msg : "out of memory");
    else
        rc = load_set_add(set, body.data, body.len, err);
    buf_free(&body);
    json_decref(row);
    return rc;
}

static cs_err_t add_get(load_set_t *set, int64_t id, cs_error_t *err)
{
    json_t *key = json_pack("{s:I}", "id", (json_int_t)id);
    csc_get_request_t req = { .table_name = TABLE, .key = csc_json(key) };
    buf_t body;
    buf_init(&body, 0);
    csc_error_t ce;
    cs_err_t rc = key ? csc_get_encode(NULL, &req, &body, &ce) : CS_ENOMEM;
    if (rc != CS_OK)
        cs_fail(err, rc, "encoding a get: %s", key ? ce.e.msg : "out of memory");
    else
        rc = load_set_add(set, body.data, body.len, err);
    buf_free(&body);
    json_decref(key);
    return rc;
}

/* n puts (or gets) of ids base, base+1, ... */
static cs_err_t make_rows(load_set_t *set, bool put, int64_t base, size_t n, cs_error_t *err)
{
    load_set_init(set, BENCH_TENANT);
    cs_err_t rc = CS_OK;
    for (size_t i = 0; i < n && rc == CS_OK; i++)
        rc = put ? add_put(set, base + (int64_t)i, err) : add_get(set, base + (int64_t)i, err);
    return rc;
}

static cs_err_t make_status(load_set_t *set, cs_error_t *err)
{
    load_set_init(set, BENCH_TENANT);
    csc_system_status_request_t req = { .operation_id = "bench-op" };
    buf_t body;
    buf_init(&body, 0);
    csc_error_t ce;
    cs_err_t rc = csc_system_status_encode(NULL, &req, &body, &ce);
    if (rc != CS_OK)
        cs_fail(err, rc, "encoding SystemStatus: %s", ce.e.msg);
    else
        rc = load_set_add(set, body.data, body.len, err);
    buf_free(&body);
    return rc;
}

/* A get reply must hold the row the matching put wrote. */
typedef struct row_check {
    int64_t base;
    size_t n;
} row_check_t;

static bool check_row(const uint8_t *body, size_t len, uint64_t ticket, void *arg, char *why,
                      size_t why_len)
{
    const row_check_t *rc = arg;
    int64_t id = rc->base + (int64_t)(ticket % rc->n);
    csc_reply_t r;
    csc_error_t e;
    csc_get_result_t g;
    memset(&g, 0, sizeof g);
    bool ok = false;
    if (csc_reply_decode(body, len, &r, &e) != CS_OK)
        snprintf(why, why_len, "get %lld: %s", (long long)id, e.e.msg);
    else if (csc_get_result_decode(r.root, &g, &e) != CS_OK)
        snprintf(why, why_len, "get %lld: %s", (long long)id, e.e.msg);
    else if (!g.found)
        snprintf(why, why_len, "row %lld is missing", (long long)id);
    else {
        json_t *jid = json_object_get(g.value.json, "id");
        const char *val = json_string_value(json_object_get(g.value.json, "val"));
        ok = json_integer_value(jid) == id && val && strcmp(val, value_text) == 0;
        if (!ok)
            snprintf(why, why_len, "row %lld has other content", (long long)id);
    }
    csc_get_result_free(&g);
    csc_reply_free(&r);
    return ok;
}

/* ------------------------------------------------------------------------
 * running and printing loads
 * ------------------------------------------------------------------------ */

/* other processes' CPU during each measured run: the machine is shared */
static double noise[256];
static int nnoise;

static void print_load(const char *what, int conns, const load_result_t *r)
{
    printf("  %-14s %2d conn: %8.0f req/s  p50 %6.0f us  p99 %6.0f us  server %5.1f us/req "
           "(sys %4.1f)  client %4.1f us/req  others %3.0f%%  (%llu ok in %.2fs",
           what, conns, r->rps, r->p50_us, r->p99_us, r->server_cpu_us, r->server_sys_us,
           r->client_cpu_us, r->other_cpu_pct, (unsigned long long)r->ok, r->seconds);
    if (r->other_cpu_pct >= 0 && nnoise < (int)(sizeof noise / sizeof noise[0]))
        noise[nnoise++] = r->other_cpu_pct;
    if (r->errors)
        printf(", %llu FAILED: %s", (unsigned long long)r->errors, r->first_error);
    printf(")\n");
}

/* One load against s; prints its line. max_requests 0 = time only. */
static bool run_from(const bench_ctx_t *b, const csemu_t *s, const char *what,
                     const load_set_t *set, int conns, uint64_t first, uint64_t max_requests,
                     int max_ms, load_check_fn check, void *arg, bool colocate,
                     load_result_t *res)
{
    load_spec_t spec = { .port = s->port, .set = set, .transport = b->transport,
                         .colocate = colocate,
                         .conns = conns, .max_requests = max_requests, .max_ms = max_ms,
                         .first_ticket = first,
                         .server_pid = s->p.pid, .check = check, .check_arg = arg,
                         .warmup = true };
    cs_error_t err;
    if (load_run(&spec, res, &err) != CS_OK) {
        printf("  %s: %s\n", what, err.msg);
        return false;
    }
    print_load(what, conns, res);
    return true;
}

static bool run(const bench_ctx_t *b, const csemu_t *s, const char *what, const load_set_t *set,
                int conns, uint64_t max_requests, int max_ms, load_check_fn check, void *arg,
                load_result_t *res)
{
    return run_from(b, s, what, set, conns, 0, max_requests, max_ms, check, arg, false, res);
}

static verdict_t at_least(double v, double target)
{
    return v >= target ? VERDICT_PASS : VERDICT_FAIL;
}

static verdict_t at_most(double v, double target)
{
    return v <= target ? VERDICT_PASS : VERDICT_FAIL;
}

static cs_err_t create_table(const csemu_t *s, cs_error_t *err)
{
    csc_handle_t *h = csc_handle_new(s->endpoint, BENCH_TENANT);
    if (!h)
        return cs_fail(err, CS_ENOMEM, "cannot make a client handle");
    csc_table_limits_t lim = { 1000, 1000, 10, CSC_LIMITS_PROVISIONED };
    csc_table_request_t req = { .statement = TABLE_DDL, .limits = &lim };
    csc_table_result_t res;
    csc_error_t ce;
    cs_err_t rc = csc_do_table_request(h, &req, 20000, 20, &res, &ce);
    if (rc != CS_OK)
        cs_fail(err, rc, "create table: %s", ce.e.msg);
    csc_table_result_free(&res);
    csc_handle_free(h);
    return rc;
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------------
 * 5: start to ready, idle RSS
 * ------------------------------------------------------------------------ */

static void scenario_startup(const bench_ctx_t *b)
{
    printf("\n[5] start to ready: %d starts on fresh data directories\n", STARTS);
    double ms[STARTS];
    int n = 0;
    for (int i = 0; i < STARTS; i++) {
        csemu_t s;
        cs_error_t err;
        if (csemu_start(b, &s, NULL, false, &err) != CS_OK) {
            printf("  start %d: %s\n", i + 1, err.msg);
            continue;
        }
        ms[n++] = s.p.ready_ms;
        csemu_stop(&s, false);
    }
    if (!n) {
        report_row("start to ready, median of 10", "no start", "< 50 ms", NULL, VERDICT_FAIL);
        return;
    }
    double lo = ms[0], hi = ms[0];
    for (int i = 1; i < n; i++) {
        lo = ms[i] < lo ? ms[i] : lo;
        hi = ms[i] > hi ? ms[i] : hi;
    }
    double med = median(ms, n);
    printf("  median %.1f ms (min %.1f, max %.1f) over %d starts\n", med, lo, hi, n);
    report_row("start to ready, median of 10", cell("%.1f ms", med), "< 50 ms",
               cell("%.2fx", med / 50), n == STARTS && med < 50 ? VERDICT_PASS : VERDICT_FAIL);
}

/* Create the table and do a few requests through the reference client,
 * then read VmRSS. */
static void idle_rss(const csemu_t *s)
{
    cs_error_t err;
    if (create_table(s, &err) != CS_OK) {
        printf("  %s\n", err.msg);
        report_row("idle RSS", "no table", "< 10 MB", NULL, VERDICT_FAIL);
        return;
    }
    csc_handle_t *h = csc_handle_new(s->endpoint, BENCH_TENANT);
    int failed = 0;
    for (int i = 0; h && i < 10; i++) {
        json_t *row = json_pack("{s:i, s:s}", "id", i, "val", value_text);
        json_t *key = json_pack("{s:i}", "id", i);
        csc_put_request_t pr = { .table_name = TABLE, .value = csc_json(row) };
        csc_get_request_t gr = { .table_name = TABLE, .key = csc_json(key) };
        csc_system_status_request_t sr = { .operation_id = "x" };
        csc_put_result_t pres;
        csc_get_result_t gres;
        csc_system_result_t sres;
        csc_error_t ce;
        failed += csc_put(h, &pr, &pres, &ce) != CS_OK;
        csc_put_result_free(&pres);
        failed += csc_get(h, &gr, &gres, &ce) != CS_OK || !gres.found;
        csc_get_result_free(&gres);
        failed += csc_system_status(h, &sr, &sres, &ce) != CS_OK;
        csc_system_result_free(&sres);
        json_decref(row);
        json_decref(key);
    }
    csc_handle_free(h);
    long kb = proc_rss_kb(s->p.pid);
    printf("\n[5] idle RSS after start, create table, 10 put/get/status: %ld KiB%s\n", kb,
           failed ? " (some requests FAILED)" : "");
    double mb = (double)kb / 1024;
    report_row("idle RSS (VmRSS)", cell("%.1f MiB", mb), "< 10 MiB", cell("%.2fx", mb / 10),
               kb > 0 && mb < 10 && !failed ? VERDICT_PASS : VERDICT_FAIL);
}

/* ------------------------------------------------------------------------
 * transport: libcurl vs raw sockets, same requests
 * ------------------------------------------------------------------------ */

static void choose_transport(bench_ctx_t *b, const csemu_t *s, const load_set_t *status)
{
    printf("\n[-] client transport: SystemStatus, 16 connections, libcurl vs raw sockets\n");
    load_result_t r[2];
    static const char *names[2] = { "raw sockets", "libcurl" };
    for (int t = 0; t < 2; t++) {
        b->transport = (load_transport_t)t;
        if (!run(b, s, names[t], status, 16, 0, b->run_ms * 3 / 4, NULL, NULL, &r[t]))
            memset(&r[t], 0, sizeof r[t]);
    }
    b->transport = r[LOAD_CURL].rps > r[LOAD_RAW].rps * 1.05 ? LOAD_CURL : LOAD_RAW;
    printf("  client CPU per request: raw %.1f us, libcurl %.1f us; req/s raw %.0f, libcurl "
           "%.0f: using %s\n",
           r[0].client_cpu_us, r[1].client_cpu_us, r[0].rps, r[1].rps, names[b->transport]);
    report_row("client CPU/req, libcurl vs raw socket", cell("%.1f vs %.1f us", r[1].client_cpu_us,
               r[0].client_cpu_us), NULL, cell("%.2fx", r[0].client_cpu_us > 0
               ? r[1].client_cpu_us / r[0].client_cpu_us : 0), VERDICT_INFO);
    report_row("SystemStatus 16 conn req/s, libcurl vs raw", cell("%.0f vs %.0f", r[1].rps,
               r[0].rps), NULL, cell("%.2fx", r[0].rps > 0 ? r[1].rps / r[0].rps : 0),
               VERDICT_INFO);
}

/* ------------------------------------------------------------------------
 * 1, 2, 3: default mode
 * ------------------------------------------------------------------------ */

/* 3: SURVIVE_N acknowledged puts, kill -9, restart, read them back. */
static void scenario_survive(const bench_ctx_t *b, csemu_t *s)
{
    printf("\n[3] default mode: %d puts acknowledged, kill -9, restart, read back\n", SURVIVE_N);
    load_set_t puts, gets;
    cs_error_t err;
    load_result_t w = { 0 }, rd = { 0 };
    bool ok = make_rows(&puts, true, SURVIVE_BASE, SURVIVE_N, &err) == CS_OK &&
              make_rows(&gets, false, SURVIVE_BASE, SURVIVE_N, &err) == CS_OK;
    if (!ok)
        printf("  %s\n", err.msg);
    ok = ok && run(b, s, "put", &puts, 16, SURVIVE_N, 60000, NULL, NULL, &w);
    if (ok) {
        /* the warm-up wrote puts 0..15 again: harmless, they are in the set */
        csemu_kill9(s);
        uint64_t t0 = now_ns();
        if (csemu_restart(b, s, &err) != CS_OK) {
            printf("  restart: %s\n", err.msg);
            ok = false;
        } else {
            printf("  restarted after kill -9 in %.1f ms\n", (double)(now_ns() - t0) / 1e6);
        }
    }
    row_check_t rc = { SURVIVE_BASE, SURVIVE_N };
    ok = ok && run(b, s, "get (check)", &gets, 16, SURVIVE_N, 60000, check_row, &rc, &rd);
    printf("  survived %llu/%llu acknowledged puts\n", (unsigned long long)rd.ok,
           (unsigned long long)w.ok);
    report_row("puts surviving kill -9 (default mode)",
               cell("%llu/%llu", (unsigned long long)rd.ok, (unsigned long long)w.ok),
               cell("%d/%d", SURVIVE_N, SURVIVE_N), cell("%.3f", (double)rd.ok / SURVIVE_N),
               ok && w.ok == SURVIVE_N && rd.ok == SURVIVE_N && !rd.errors ? VERDICT_PASS
                                                                           : VERDICT_FAIL);
    load_set_free(&puts);
    load_set_free(&gets);
}

static double median_of(const double *v, int n)
{
    double c[16];
    n = n > 16 ? 16 : n;
    memcpy(c, v, (size_t)n * sizeof *c);
    return n ? median(c, n) : 0;
}

/* 2: Put vs SystemStatus at 16 connections, as PAIRS adjacent pairs of
 * runs; each pair gives a ratio and the median ratio is reported, so a
 * burst of foreign load on the shared machine hits one pair, not the
 * verdict. */
static void scenario_put_vs_status(const bench_ctx_t *b, const csemu_t *s,
                                   const load_set_t *status, const load_set_t *puts)
{
    printf("\n[2] Put vs SystemStatus at 16 connections: %d alternating pairs of %d ms runs "
           "(pairs disturbed by other processes are retried, up to %d)\n", PAIRS, b->run_ms / 2,
           2 * PAIRS);
    typedef struct { load_result_t st, pu; double noise; } pair_t;
    pair_t pairs[2 * PAIRS];
    int n = 0, quiet = 0;
    for (int k = 0; k < 2 * PAIRS && quiet < PAIRS; k++) {
        pair_t *p = &pairs[n];
        if (!run(b, s, "SystemStatus", status, 16, 0, b->run_ms / 2, NULL, NULL, &p->st) ||
            !run(b, s, "Put", puts, 16, 0, b->run_ms / 2, NULL, NULL, &p->pu) || p->st.errors ||
            p->pu.errors || p->st.server_cpu_us <= 0 || p->st.rps <= 0)
            continue;
        p->noise = p->st.other_cpu_pct > p->pu.other_cpu_pct ? p->st.other_cpu_pct
                                                             : p->pu.other_cpu_pct;
        quiet += p->noise < NOISE_MAX;
        n++;
    }
    /* the PAIRS quietest pairs */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && pairs[j - 1].noise > pairs[j].noise; j--) {
            pair_t t = pairs[j];
            pairs[j] = pairs[j - 1];
            pairs[j - 1] = t;
        }
    n = n < PAIRS ? n : PAIRS;
    double cpu[PAIRS], rate[PAIRS], pcpu[PAIRS], scpu[PAIRS], prate[PAIRS], srate[PAIRS];
    bool noisy = false;
    for (int i = 0; i < n; i++) {
        cpu[i] = pairs[i].pu.server_cpu_us / pairs[i].st.server_cpu_us;
        rate[i] = pairs[i].pu.rps / pairs[i].st.rps;
        pcpu[i] = pairs[i].pu.server_cpu_us;
        scpu[i] = pairs[i].st.server_cpu_us;
        prate[i] = pairs[i].pu.rps;
        srate[i] = pairs[i].st.rps;
        noisy |= pairs[i].noise >= NOISE_MAX;
    }
    double cr = n ? median_of(cpu, n) : 99, rr = n ? median_of(rate, n) : 0;
    printf("  median of the %d quietest pairs: server CPU %.1f vs %.1f us/req (%.2fx), rate %.0f "
           "vs %.0f req/s (%.2fx)%s\n", n, median_of(pcpu, n), median_of(scpu, n), cr,
           median_of(prate, n), median_of(srate, n), rr, noisy ? " (noisy)" : "");
    report_row("Put server CPU/req vs SystemStatus, 16 conn", cell("%.1f us", median_of(pcpu, n)),
               cell("<= 2x status (%.1f us)", median_of(scpu, n)), cell("%.2fx", cr),
               n == PAIRS ? at_most(cr, 2.0) : VERDICT_FAIL);
    if (noisy)
        report_mark_noisy();
    report_row("Put req/s vs SystemStatus, 16 conn", cell("%.0f", median_of(prate, n)),
               cell(">= 0.5x status (%.0f)", median_of(srate, n)), cell("%.2fx", rr),
               n == PAIRS ? at_least(rr, 0.5) : VERDICT_FAIL);
    if (noisy)
        report_mark_noisy();
}

static void scenario_default(bench_ctx_t *b)
{
    csemu_t s;
    cs_error_t err;
    if (csemu_start(b, &s, NULL, false, &err) != CS_OK) {
        printf("csemu: %s\n", err.msg);
        report_row("default-mode scenarios", "server did not start", NULL, NULL, VERDICT_FAIL);
        return;
    }
    idle_rss(&s);
    load_set_t status, puts, gets;
    bool ok = make_status(&status, &err) == CS_OK &&
              make_rows(&puts, true, 0, ROW_KEYS, &err) == CS_OK &&
              make_rows(&gets, false, 0, ROW_KEYS, &err) == CS_OK;
    if (!ok) {
        printf("  %s\n", err.msg);
        report_row("default-mode scenarios", "encoding failed", NULL, NULL, VERDICT_FAIL);
        goto out;
    }
    choose_transport(b, &s, &status);

    printf("\n[1] SystemStatus (baseline), Put (update of an existing row), Get; %d ms per run\n",
           b->run_ms);
    load_result_t st[3], pu[3], ge[3], fr;
    run(b, &s, "(fill)", &puts, 16, ROW_KEYS, 60000, NULL, NULL, &fr);
    if (fr.ok != ROW_KEYS)
        report_row("fill of the rows", cell("%llu/%d", (unsigned long long)fr.ok, ROW_KEYS),
                   NULL, NULL, VERDICT_FAIL);
    for (int i = 0; i < 3; i++)
        run(b, &s, "SystemStatus", &status, conn_counts[i], 0, b->run_ms, NULL, NULL, &st[i]);
    for (int i = 0; i < 3; i++)
        run(b, &s, "Put", &puts, conn_counts[i], 0, b->run_ms, NULL, NULL, &pu[i]);
    for (int i = 0; i < 3; i++)
        run(b, &s, "Get", &gets, conn_counts[i], 0, b->run_ms, NULL, NULL, &ge[i]);
    /* 1 connection again with client and server on one CPU: without the
     * cross-CPU wake-ups, whose cost on a VM dwarfs csemu's own */
    load_result_t co[3];
    const load_set_t *sets[3] = { &status, &puts, &gets };
    static const char *names[3] = { "SystemStatus,co", "Put, co", "Get, co" };
    for (int i = 0; i < 3; i++)
        run_from(b, &s, names[i], sets[i], 1, 0, 0, b->run_ms, NULL, NULL, true, &co[i]);
    if (co[0].cpu >= 0)
        printf("  (co = client and server pinned to CPU %d for the run)\n", co[0].cpu);
    for (int i = 0; i < 3; i++)
        report_row(cell("%s req/s, 1 conn co-located (p50/p99)", i == 0 ? "SystemStatus"
                   : i == 1 ? "Put" : "Get"), cell("%.0f (%.0f/%.0f)", co[i].rps, co[i].p50_us,
                   co[i].p99_us), NULL, NULL, co[i].errors ? VERDICT_FAIL : VERDICT_INFO);
    report_row("server CPU/req, 1 conn co-located: put/get/status",
               cell("%.1f/%.1f/%.1f us", co[1].server_cpu_us, co[2].server_cpu_us,
                    co[0].server_cpu_us), NULL, NULL, VERDICT_INFO);
    for (int i = 0; i < 3; i++) {
        int c = conn_counts[i];
        report_row(cell("Put req/s, %d conn (p50/p99 us)", c), cell("%.0f (%.0f/%.0f)",
                   pu[i].rps, pu[i].p50_us, pu[i].p99_us), NULL, NULL,
                   pu[i].errors ? VERDICT_FAIL : VERDICT_INFO);
        report_row(cell("Get req/s, %d conn (p50/p99 us)", c), cell("%.0f (%.0f/%.0f)",
                   ge[i].rps, ge[i].p50_us, ge[i].p99_us), NULL, NULL,
                   ge[i].errors ? VERDICT_FAIL : VERDICT_INFO);
        report_row(cell("SystemStatus req/s, %d conn (p50/p99 us)", c), cell("%.0f (%.0f/%.0f)",
                   st[i].rps, st[i].p50_us, st[i].p99_us), NULL, NULL,
                   st[i].errors ? VERDICT_FAIL : VERDICT_INFO);
    }
    for (int i = 0; i < 3; i++)
        report_row(cell("server CPU/req, %d conn: put/get/status", conn_counts[i]),
                   cell("%.1f/%.1f/%.1f us", pu[i].server_cpu_us, ge[i].server_cpu_us,
                        st[i].server_cpu_us), NULL, NULL, VERDICT_INFO);

    scenario_put_vs_status(b, &s, &status, &puts);
    scenario_survive(b, &s);
out:
    load_set_free(&status);
    load_set_free(&puts);
    load_set_free(&gets);
    csemu_stop(&s, false);
}

/* ------------------------------------------------------------------------
 * 4: --sync
 * ------------------------------------------------------------------------ */

/* The bare LMDB loop for ms on a fresh env under the work dir; *noise =
 * other processes' CPU meanwhile, % of the machine. */
static void lmdb_run(const bench_ctx_t *b, int ms, lmdb_loop_result_t *lm, double *noise)
{
    char dir[4096];
    cs_error_t err;
    memset(lm, 0, sizeof *lm);
    int64_t busy0 = machine_busy_us(), self0 = self_cpu_us();
    uint64_t t0 = now_ns();
    if (tmpdir_make(b->work, "lmdb-", dir, sizeof dir, &err) != CS_OK ||
        lmdb_commit_loop(dir, ms, UINT64_MAX, VALUE_LEN, lm, &err) != CS_OK)
        printf("  lmdb loop: %s\n", err.msg);
    double wall_us = (double)(now_ns() - t0) / 1e3;
    double other = (double)(machine_busy_us() - busy0 - (self_cpu_us() - self0));
    *noise = wall_us > 0 && other > 0 ? 100.0 * other / (wall_us * machine_cpus()) : 0;
    tmpdir_remove(dir);
    printf("  bare LMDB      %llu durable commits in %.2fs = %.0f commits/s, %.1f us CPU/commit"
           "  others %3.0f%%\n", (unsigned long long)lm->commits, lm->seconds, lm->per_sec,
           lm->cpu_us, *noise);
}

static void scenario_sync(const bench_ctx_t *b)
{
    printf("\n[4] --sync: durable puts vs a bare LMDB commit loop (same filesystem; LMDB runs "
           "before and after the 1-connection run; retried up to %d times when disturbed)\n",
           SYNC_TRIES);
    csemu_t s;
    load_set_t puts;
    load_result_t one = { 0 }, many = { 0 };
    double lmdb = 0, noise = 1e9;
    cs_error_t err;
    bool ok = csemu_start(b, &s, NULL, true, &err) == CS_OK;
    ok = ok && create_table(&s, &err) == CS_OK;
    ok = ok && make_rows(&puts, true, 0, SYNC_KEYS, &err) == CS_OK;
    if (!ok)
        printf("  %s\n", err.msg);
    uint64_t next = 0;   /* every durable put inserts a new key */
    for (int t = 0; ok && t < SYNC_TRIES && noise >= NOISE_MAX; t++) {
        lmdb_loop_result_t lm1, lm2;
        double n1, n2;
        load_result_t r;
        lmdb_run(b, b->run_ms / 2, &lm1, &n1);
        ok = run_from(b, &s, "durable Put", &puts, 1, next, SYNC_KEYS / 4, b->run_ms, NULL, NULL,
                      false, &r);
        next += r.ok + 1;
        lmdb_run(b, b->run_ms / 2, &lm2, &n2);
        double secs = lm1.seconds + lm2.seconds;
        double nz = n1 > n2 ? n1 : n2;
        nz = r.other_cpu_pct > nz ? r.other_cpu_pct : nz;
        if (ok && nz < noise) {
            noise = nz;
            one = r;
            lmdb = secs > 0 ? (double)(lm1.commits + lm2.commits) / secs : 0;
        }
    }
    ok = ok && run_from(b, &s, "durable Put", &puts, 64, next + 64, SYNC_KEYS / 2, b->run_ms,
                        NULL, NULL, false, &many);
    if (s.p.pid > 0)
        csemu_stop(&s, false);
    load_set_free(&puts);
    double r1 = lmdb > 0 ? one.rps / lmdb : 0;
    double r64 = one.rps > 0 ? many.rps / one.rps : 0;
    report_row("bare LMDB durable commits/s", cell("%.0f", lmdb), NULL, NULL, VERDICT_INFO);
    report_row("--sync Put req/s, 1 conn vs bare LMDB", cell("%.0f", one.rps),
               cell(">= 0.8x LMDB (%.0f)", lmdb), cell("%.2fx", r1),
               ok && !one.errors ? at_least(r1, 0.8) : VERDICT_FAIL);
    if (noise >= NOISE_MAX)
        report_mark_noisy();
    report_row("--sync Put req/s, 64 conn vs 1 conn", cell("%.0f", many.rps),
               cell(">= 5x 1 conn (%.0f)", one.rps), cell("%.2fx", r64),
               ok && !many.errors ? at_least(r64, 5.0) : VERDICT_FAIL);
    if (noise >= NOISE_MAX || many.other_cpu_pct >= NOISE_MAX)
        report_mark_noisy();
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */

/* /proc/loadavg's line, newline included. */
static const char *loadavg(void)
{
    static char line[128];
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f || !fgets(line, sizeof line, f))
        snprintf(line, sizeof line, "unknown\n");
    if (f)
        fclose(f);
    return line;
}

static void usage(void)
{
    fprintf(stderr, "usage: csbench --server PATH --work-parent DIR [--redis PATH] "
                    "[--run-ms MS] [--only startup|default|sync|streams]\n"
                    "       csbench --attach PORT [--pid PID] --load put|get|status "
                    "[--conns N] [--run-ms MS]\n"
                    "  (--attach: one load against a running csemu, e.g. under perf)\n");
}

/* --attach: one load against a server started by hand (profiling). */
static int attach(bench_ctx_t *b, int port, pid_t pid, const char *what, int conns)
{
    csemu_t s = { .port = port };
    s.p.pid = pid;
    snprintf(s.endpoint, sizeof s.endpoint, "http://127.0.0.1:%d", port);
    load_set_t set;
    cs_error_t err;
    if (create_table(&s, &err) != CS_OK && err.code != CS_ETABLEEXISTS)
        fprintf(stderr, "csbench: %s\n", err.msg);
    cs_err_t rc = strcmp(what, "status") == 0 ? make_status(&set, &err)
                  : strcmp(what, "put") == 0  ? make_rows(&set, true, 0, ROW_KEYS, &err)
                  : strcmp(what, "get") == 0  ? make_rows(&set, false, 0, ROW_KEYS, &err)
                                              : cs_fail(&err, CS_EINVAL, "unknown load %s", what);
    if (rc == CS_OK && strcmp(what, "status") != 0) {
        load_set_t fill;   /* gets read rows that exist, puts update them */
        load_result_t fr;
        rc = make_rows(&fill, true, 0, ROW_KEYS, &err);
        if (rc == CS_OK)
            run(b, &s, "(fill)", &fill, 16, ROW_KEYS, 60000, NULL, NULL, &fr);
        load_set_free(&fill);
    }
    if (rc != CS_OK) {
        fprintf(stderr, "csbench: %s\n", err.msg);
        return 1;
    }
    load_result_t r;
    run(b, &s, what, &set, conns, 0, b->run_ms, NULL, NULL, &r);
    load_set_free(&set);
    return r.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "server", required_argument, NULL, 's' },
        { "redis", required_argument, NULL, 'r' },
        { "work-parent", required_argument, NULL, 'w' },
        { "run-ms", required_argument, NULL, 'm' },
        { "only", required_argument, NULL, 'o' },
        { "attach", required_argument, NULL, 'a' },
        { "pid", required_argument, NULL, 'p' },
        { "load", required_argument, NULL, 'l' },
        { "conns", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    bench_ctx_t b = { .run_ms = 2000 };
    const char *parent = NULL, *only = NULL, *load = "put";
    int c, attach_port = 0, attach_pid = 0, conns = 16;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': b.server_bin = optarg; break;
        case 'r': b.redis_bin = *optarg ? optarg : NULL; break;
        case 'w': parent = optarg; break;
        case 'm': b.run_ms = atoi(optarg); break;
        case 'o': only = optarg; break;
        case 'a': attach_port = atoi(optarg); break;
        case 'p': attach_pid = atoi(optarg); break;
        case 'l': load = optarg; break;
        case 'c': conns = atoi(optarg); break;
        default: usage(); return 2;
        }
    }
    if (attach_port > 0) {
        memset(value_text, 'v', VALUE_LEN);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int rc = attach(&b, attach_port, attach_pid, load, conns < 1 ? 1 : conns);
        curl_global_cleanup();
        return rc;
    }
    if (!b.server_bin || !parent || b.run_ms < 100 || b.run_ms > 20000) {
        usage();
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);   /* a server dying mid-run is an error line, not our death */
    setenv("CSEMU_LOG_LEVEL", "warn", 0); /* servers' stderr: warnings only, unless set */
    memset(value_text, 'v', VALUE_LEN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "csbench: curl_global_init failed\n");
        return 1;
    }
    cs_error_t err;
    if (tmpdir_make(parent, "run-", b.work, sizeof b.work, &err) != CS_OK) {
        fprintf(stderr, "csbench: %s\n", err.msg);
        return 1;
    }
    printf("csbench: server %s, work dir %s, %d ms per load run; %d CPUs, load average %s",
           b.server_bin, b.work, b.run_ms, machine_cpus(), loadavg());
    uint64_t t0 = now_ns();
    if (!only || strcmp(only, "startup") == 0)
        scenario_startup(&b);
    if (!only || strcmp(only, "default") == 0)
        scenario_default(&b);
    if (!only || strcmp(only, "sync") == 0)
        scenario_sync(&b);
    if (!only || strcmp(only, "streams") == 0)
        bench_streams(&b);
    if (nnoise) {
        double mx = 0;
        for (int i = 0; i < nnoise; i++)
            mx = noise[i] > mx ? noise[i] : mx;
        double med = median(noise, nnoise);
        report_row("others' CPU during load runs, median/max", cell("%.0f%% / %.0f%% of %d CPUs",
                   med, mx, machine_cpus()), "(noise: shared machine)", NULL, VERDICT_INFO);
    }
    printf("\nload average at the end: %s", loadavg());
    printf("\nresults (%.0f s in all):\n\n", (double)(now_ns() - t0) / 1e9);
    int fails = report_print(stdout);
    printf("\n%d target%s missed\n", fails, fails == 1 ? "" : "s");
    report_free();
    tmpdir_remove(b.work);
    curl_global_cleanup();
    return 0;
}
