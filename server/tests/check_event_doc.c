/*
 * check_event_doc.c - the poll's event document: byte for byte what the
 * NSON writer produces for the same document (the reference below builds
 * it field by field with proto/nson.h), for puts, deletes, before images,
 * extreme numbers and long values; it decodes as an SDK reads it; a full
 * buffer fails cleanly.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_doc.h"
#include "nson.h"

/* The reference: the document written with the generic NSON writer. */
static void ref_image_meta(nson_writer_t *w, const char *key, int64_t mod_ms, uint64_t version)
{
    uint8_t v[8];
    be64_store(v, version);
    nson_w_key(w, key);
    nson_w_map_begin(w);
    nson_w_kv_long(w, "modificationTime", mod_ms);
    nson_w_kv_binary(w, "version", v, sizeof v);
    nson_w_map_end(w);
}

static void ref_append(buf_t *out, uint64_t table_id, const changelog_event_t *ev)
{
    char ei[80];
    snprintf(ei, sizeof ei, "%llu:%u:%llu", (unsigned long long)table_id, ev->partition,
             (unsigned long long)ev->seq);
    buf_t doc;
    buf_init(&doc, 0);
    nson_writer_t w;
    nson_writer_init(&w, &doc);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "vs", 1);
    nson_w_kv_int(&w, "ty", 1);
    nson_w_key(&w, "es");
    nson_w_array_begin(&w);
    nson_w_map_begin(&w);
    nson_w_kv_long(&w, "md", ev->mod_ms);
    nson_w_kv_long(&w, "xp", ev->kind == CHANGELOG_DELETE ? 0 : ev->exp_ms);
    nson_w_kv_string(&w, "ei", ei);
    nson_w_kv_int(&w, "pi", (int32_t)ev->partition);
    nson_w_kv_int(&w, "ri", 0);
    nson_w_key(&w, "rk");
    nson_w_raw(&w, ev->keymap, ev->keymap_len);
    if (ev->kind == CHANGELOG_PUT && ev->value) {
        nson_w_key(&w, "rv");
        nson_w_raw(&w, ev->value, ev->value_len);
        ref_image_meta(&w, "rm", ev->mod_ms, ev->version);
    }
    if (ev->has_prev && ev->prev_value) {
        nson_w_key(&w, "pv");
        nson_w_raw(&w, ev->prev_value, ev->prev_value_len);
        ref_image_meta(&w, "pm", ev->prev_mod_ms, ev->prev_version);
    }
    nson_w_map_end(&w);
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    nson_writer_t o;
    nson_writer_init(&o, out);
    nson_w_binary(&o, doc.data, doc.len);
    buf_free(&doc);
}

/* An NSON MAP {"k": STRING of n 'x'} (a key map or a value). */
static uint8_t *map_of(size_t n, size_t *len)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'x', n);
    s[n] = '\0';
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_string(&w, "k", s);
    nson_w_map_end(&w);
    free(s);
    ck_assert(nson_writer_ok(&w));
    return buf_steal(&b, len);
}

/* Encode ev both ways after 3 bytes already in the buffer and compare; returns event_doc_append's result. */
static size_t same_bytes(uint64_t table_id, const changelog_event_t *ev)
{
    buf_t a, r;
    buf_init(&a, 0);
    buf_init(&r, 0);
    buf_append(&a, "pre", 3);
    buf_append(&r, "pre", 3);
    size_t len = event_doc_append(&a, table_id, ev);
    ref_append(&r, table_id, ev);
    ck_assert(buf_ok(&a) && buf_ok(&r));
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_eq(a.len, r.len);
    ck_assert_int_eq(memcmp(a.data, r.data, a.len), 0);
    /* the returned length is the document's, without the BINARY header */
    ck_assert_uint_ge(a.len - 3 - len, 2);   /* type byte + packed length */
    ck_assert_uint_le(a.len - 3 - len, 6);
    buf_free(&a);
    buf_free(&r);
    return len;
}

static changelog_event_t put_event(const uint8_t *km, size_t kml, const uint8_t *val,
                                   size_t vl)
{
    changelog_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.table_id = 7;
    ev.partition = 3;
    ev.seq = 42;
    ev.kind = CHANGELOG_PUT;
    ev.mod_ms = 1764000000123LL;
    ev.exp_ms = 1764086400000LL;
    ev.version = (2ull << 24) | 5;
    ev.keymap = km;
    ev.keymap_len = kml;
    ev.value = val;
    ev.value_len = vl;
    return ev;
}

START_TEST(put_delete_and_images)
{
    size_t kml, vl, pl;
    uint8_t *km = map_of(4, &kml), *val = map_of(100, &vl), *prev = map_of(7, &pl);

    changelog_event_t ev = put_event(km, kml, val, vl);
    same_bytes(7, &ev);                       /* insert: new image only */

    ev.has_prev = true;                       /* update: both images */
    ev.prev_value = prev;
    ev.prev_value_len = pl;
    ev.prev_mod_ms = 1764000000000LL;
    ev.prev_version = 99;
    same_bytes(7, &ev);

    ev.kind = CHANGELOG_DELETE;               /* delete: before image, xp 0 */
    ev.value = NULL;
    ev.value_len = 0;
    same_bytes(7, &ev);

    ev.has_prev = false;                      /* delete of nothing known */
    ev.prev_value = NULL;
    same_bytes(7, &ev);

    ev = put_event(km, kml, NULL, 0);         /* a put without value bytes */
    same_bytes(7, &ev);
    ev.has_prev = true;                       /* has_prev but no bytes: no pv */
    same_bytes(7, &ev);
    free(km);
    free(val);
    free(prev);
}
END_TEST

START_TEST(extreme_numbers_and_lengths)
{
    static const int64_t ms[] = { 0, 1, -1, 120, 121, -119, -120, INT32_MAX, INT64_MAX,
                                  INT64_MIN, 1LL << 40 };
    static const uint32_t parts[] = { 0, 1, 120, 121, 4095, UINT32_MAX };
    size_t kml, vl;
    uint8_t *km = map_of(1, &kml), *val = map_of(3, &vl);
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
            changelog_event_t ev = put_event(km, kml, val, vl);
            ev.mod_ms = ms[i];
            ev.exp_ms = ms[(i + 3) % (sizeof ms / sizeof ms[0])];
            ev.partition = parts[p];
            ev.seq = (uint64_t)ms[i];
            ev.version = (uint64_t)ms[(i + 5) % (sizeof ms / sizeof ms[0])];
            ev.has_prev = true;
            ev.prev_value = val;
            ev.prev_value_len = vl;
            ev.prev_mod_ms = ms[(i + 7) % (sizeof ms / sizeof ms[0])];
            ev.prev_version = UINT64_MAX;
            same_bytes(UINT64_MAX - i, &ev);
            same_bytes(0, &ev);
        }
    }
    free(km);
    free(val);
    /* documents whose packed BINARY length takes 2 to 5 bytes */
    static const size_t sizes[] = { 0, 10, 200, 70000, 20000000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        km = map_of(sizes[i] / 3, &kml);
        val = map_of(sizes[i], &vl);
        changelog_event_t ev = put_event(km, kml, val, vl);
        ev.has_prev = true;
        ev.prev_value = km;
        ev.prev_value_len = kml;
        same_bytes(1, &ev);
        free(km);
        free(val);
    }
}
END_TEST

START_TEST(decodes_as_an_sdk_reads_it)
{
    size_t kml, vl;
    uint8_t *km = map_of(2, &kml), *val = map_of(5, &vl);
    changelog_event_t ev = put_event(km, kml, val, vl);
    buf_t b;
    buf_init(&b, 0);
    ck_assert_uint_gt(event_doc_append(&b, 12, &ev), 0);
    ck_assert_uint_gt(event_doc_append(&b, 12, &ev), 0);
    arena_t a;
    arena_init(&a, 1 << 20);
    cs_error_t err;
    /* two BINARY values back to back: the first decodes with trailing bytes */
    nson_value_t *bin = nson_decode(&a, b.data, b.len, true, &err);
    ck_assert_ptr_nonnull(bin);
    ck_assert_int_eq(bin->type, NSON_BINARY);
    nson_value_t *doc = nson_decode(&a, bin->u.bin.ptr, bin->u.bin.len, false, &err);
    ck_assert_msg(doc != NULL, "%s", err.msg);
    int32_t vs = 0;
    ck_assert(nson_get_int(doc, "vs", &vs, NULL));
    ck_assert_int_eq(vs, 1);
    const nson_value_t *es = nson_map_get(doc, "es");
    ck_assert_ptr_nonnull(es);
    ck_assert_int_eq(es->type, NSON_ARRAY);
    ck_assert_uint_eq(es->u.arr.count, 1);
    const nson_value_t *r = es->u.arr.items[0];
    const char *ei = NULL;
    ck_assert(nson_get_string(r, "ei", &ei, NULL));
    ck_assert_str_eq(ei, "12:3:42");
    int64_t md = 0;
    ck_assert(nson_get_long(r, "md", &md, NULL));
    ck_assert_int_eq(md, ev.mod_ms);
    const nson_value_t *rm = nson_map_get(r, "rm");
    const uint8_t *ver = NULL;
    uint32_t ver_len = 0;
    ck_assert(nson_get_binary(rm, "version", &ver, &ver_len, NULL));
    ck_assert_uint_eq(ver_len, 8);
    ck_assert_uint_eq(be64_load(ver), ev.version);
    ck_assert_ptr_null(nson_map_get(r, "pv"));
    arena_free(&a);
    buf_free(&b);
    free(km);
    free(val);
}
END_TEST

START_TEST(full_buffer_fails_cleanly)
{
    size_t kml, vl;
    uint8_t *km = map_of(2, &kml), *val = map_of(500, &vl);
    changelog_event_t ev = put_event(km, kml, val, vl);
    buf_t b;
    buf_init(&b, 300);   /* ceiling below one document */
    buf_append(&b, "x", 1);
    ck_assert_uint_eq(event_doc_append(&b, 1, &ev), 0);
    ck_assert(!buf_ok(&b));
    ck_assert_uint_eq(b.len, 1);   /* nothing appended */
    ck_assert_uint_eq(event_doc_append(&b, 1, &ev), 0);   /* sticky */
    buf_free(&b);
    free(km);
    free(val);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("event_doc");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, put_delete_and_images);
    tcase_add_test(core, decodes_as_an_sdk_reads_it);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_set_timeout(lim, 120);
    tcase_add_test(lim, extreme_numbers_and_lengths);
    tcase_add_test(lim, full_buffer_fails_cleanly);
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
