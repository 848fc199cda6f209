/*
 * check_vectors.c - the NSON reader and writer against the golden vectors
 * that the official Python SDK produced (shared/protocol/vectors, found via
 * $CSEMU_VECTORS, which the Makefile exports).
 *
 * For every request vector: body starts 00 04; the rest decodes to exactly
 * the .json "nson" typed tree with no trailing bytes; re-encoding the tree,
 * and writing the typed JSON, give the same bytes (req-put-all-types, with
 * borneo's non-minimal negative integers, must re-encode to minimal forms).
 * For every response vector: the body decodes to "nson", each BINARY listed
 * in "embedded_nson" decodes to its tree, and encode(decode(bin)) == bin;
 * resp-error-v3-style is not NSON and is checked against its raw layout.
 * Limits: every proper prefix of every vector is rejected, and random byte
 * mutations of every vector never crash or overrun a small arena ceiling.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nson.h"
#include "nson_json.h"

#define ARENA_CEILING (256 * 1024)   /* far above any vector, far below "huge" */

static const char *vec_dir;
static char **req_names, **resp_names, **all_names;
static size_t n_req, n_resp, n_all;

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static uint8_t *slurp(const char *name, const char *ext, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", vec_dir, name, ext);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static json_t *load_json(const char *name)
{
    char path[1024];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s.json", vec_dir, name);
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    return j;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Decode data[0..len) completely; fail the test with the reader's message. */
static nson_value_t *decode_ok(arena_t *a, const char *name, const uint8_t *data, size_t len)
{
    cs_error_t err;
    cs_error_clear(&err);
    nson_value_t *v = nson_decode(a, data, len, false, &err);
    ck_assert_msg(v != NULL, "%s: decode failed: %s", name, err.msg);
    return v;
}

static void assert_typed_equal(const char *name, const nson_value_t *v, const json_t *want)
{
    json_t *got = nson_json_render_typed(v);
    ck_assert_ptr_nonnull(got);
    if (!json_equal(got, want)) {
        char *g = dump(got), *w = dump(want);
        ck_abort_msg("%s: typed tree differs\n got: %.2000s\nwant: %.2000s", name, g, w);
    }
    json_decref(got);
}

/* Bytes of nson_w_value(tree); caller frees. */
static uint8_t *reencode(const nson_value_t *v, size_t *len)
{
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_value(&w, v);
    ck_assert(nson_writer_ok(&w));
    return buf_steal(&b, len);
}

static void assert_bytes_eq(const char *name, const char *what, const uint8_t *got, size_t glen,
                            const uint8_t *want, size_t wlen)
{
    size_t i = 0;
    while (i < glen && i < wlen && got[i] == want[i])
        i++;
    ck_assert_msg(glen == wlen && i == wlen,
                  "%s: %s differs at byte %zu (lengths %zu vs %zu)", name, what, i, glen, wlen);
}

/* The typed JSON, written back through nson_json_write_typed, gives `want`. */
static void assert_typed_encodes_to(const char *name, const json_t *typed, const uint8_t *want,
                                    size_t wlen)
{
    uint8_t *enc = NULL;
    size_t elen = 0;
    cs_error_t err;
    ck_assert_msg(nson_json_encode_typed(typed, &enc, &elen, &err) == CS_OK, "%s: %s", name,
                  err.msg);
    assert_bytes_eq(name, "typed JSON encoding", enc, elen, want, wlen);
    free(enc);
}

/* Follow a path like "eb[0].es[2]" through MAPs (last key wins) and ARRAYs. */
static const nson_value_t *walk(const nson_value_t *v, const char *path)
{
    const char *p = path;
    while (v && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            unsigned long idx = strtoul(p + 1, &end, 10);
            if (*end != ']' || v->type != NSON_ARRAY || idx >= v->u.arr.count)
                return NULL;
            v = v->u.arr.items[idx];
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char key[64];
        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = 0;
        v = nson_map_get(v, key);
        p += n;
    }
    return v;
}

/* ------------------------------------------------------------------------
 * inventory: the vectors exist and index.json lists every one
 * ------------------------------------------------------------------------ */

static size_t count_files(const char *prefix, const char *ext)
{
    DIR *d = opendir(vec_dir);
    ck_assert_msg(d != NULL, "cannot open vectors dir %s", vec_dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && l > strlen(ext) &&
            strcmp(e->d_name + l - strlen(ext), ext) == 0)
            n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_inventory)
{
    /* 65 requests and 43 responses at the time of writing; never fewer */
    ck_assert_uint_ge(n_req, 65);
    ck_assert_uint_ge(n_resp, 43);
    ck_assert_uint_eq(count_files("req-", ".bin"), n_req);
    ck_assert_uint_eq(count_files("resp-", ".bin"), n_resp);
    ck_assert_uint_eq(count_files("req-", ".json"), n_req);
    ck_assert_uint_eq(count_files("resp-", ".json"), n_resp);
}
END_TEST

/* ------------------------------------------------------------------------
 * requests
 * ------------------------------------------------------------------------ */

START_TEST(test_request_vector)
{
    const char *name = req_names[_i];
    size_t len;
    uint8_t *bin = slurp(name, ".bin", &len);
    json_t *js = load_json(name);
    const json_t *want = json_object_get(js, "nson");
    arena_t a;
    arena_init(&a, ARENA_CEILING);

    ck_assert_uint_ge(len, 3);
    ck_assert_msg(bin[0] == 0x00 && bin[1] == 0x04, "%s: serial version prefix", name);
    ck_assert_int_eq(json_integer_value(json_object_get(js, "serial_version")), 4);
    ck_assert_uint_eq((size_t)json_integer_value(json_object_get(js, "body_length")), len);

    nson_value_t *v = decode_ok(&a, name, bin + 2, len - 2);
    ck_assert_int_eq(v->type, NSON_MAP);
    assert_typed_equal(name, v, want);

    /* the header carries the op code the .json names */
    int32_t op = -1;
    ck_assert(nson_get_int(nson_map_get(v, "h"), "o", &op, NULL));
    ck_assert_int_eq(op, json_integer_value(json_object_get(js, "op_code")));

    size_t rlen;
    uint8_t *re = reencode(v, &rlen);
    if (strcmp(name, "req-put-all-types") == 0) {
        /* borneo wrote negatives below -119 in full width; we write them
         * minimal: shorter, and still the same tree */
        ck_assert_uint_lt(rlen, len - 2);
        arena_t b;
        arena_init(&b, ARENA_CEILING);
        nson_value_t *again = decode_ok(&b, name, re, rlen);
        assert_typed_equal(name, again, want);
        size_t r2len;
        uint8_t *r2 = reencode(again, &r2len);
        assert_bytes_eq(name, "second re-encoding", r2, r2len, re, rlen);
        assert_typed_encodes_to(name, want, re, rlen);
        /* i_neg = -200 is now the minimal 04 07 af, not 04 04 ff ff ff af */
        ck_assert_ptr_nonnull(memmem(bin, len, "\x84i_neg\x04\x04\xff\xff\xff\xaf", 12));
        ck_assert_ptr_nonnull(memmem(re, rlen, "\x84i_neg\x04\x07\xaf", 9));
        free(r2);
        arena_free(&b);
    } else {
        assert_bytes_eq(name, "re-encoding", re, rlen, bin + 2, len - 2);
        assert_typed_encodes_to(name, want, bin + 2, len - 2);
    }

    free(re);
    arena_free(&a);
    json_decref(js);
    free(bin);
}
END_TEST

/* ------------------------------------------------------------------------
 * responses
 * ------------------------------------------------------------------------ */

/* resp-error-v3-style: [code byte][packed-int length][UTF-8 message] */
static void check_v3_error(const char *name, const uint8_t *bin, size_t len, json_t *js)
{
    ck_assert(json_is_null(json_object_get(js, "nson")));
    ck_assert_ptr_nonnull(json_object_get(js, "raw_layout"));
    ck_assert_uint_ge(len, 2);
    ck_assert_msg(bin[0] != NSON_MAP, "%s: a V3 error must not start with MAP", name);
    ck_assert_int_eq(bin[0], 4); /* ILLEGAL_ARGUMENT */
    int32_t mlen = -1;
    size_t n = nson_unpack_int(bin + 1, len - 1, &mlen);
    ck_assert_uint_gt(n, 0);
    ck_assert_int_ge(mlen, 0);
    ck_assert_uint_eq(1 + n + (size_t)mlen, len);
    ck_assert(nson_utf8_valid(bin + 1 + n, (size_t)mlen));
    const char *want = json_string_value(
        json_object_get(json_object_get(js, "client_decoded"), "message"));
    ck_assert_ptr_nonnull(want);
    ck_assert_uint_eq(strlen(want), (size_t)mlen);
    ck_assert(memcmp(want, bin + 1 + n, (size_t)mlen) == 0);
}

static void check_embedded(const char *name, const nson_value_t *root, const json_t *list)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        ck_assert_ptr_nonnull(path);
        const nson_value_t *b = walk(root, path);
        ck_assert_msg(b != NULL && b->type == NSON_BINARY && !b->u.bin.is_null,
                      "%s: no BINARY at %s", name, path);
        ck_assert_uint_eq(b->u.bin.len, (size_t)json_integer_value(json_object_get(e, "length")));
        arena_t a;
        arena_init(&a, ARENA_CEILING);
        char label[256];
        snprintf(label, sizeof label, "%s %s", name, path);
        nson_value_t *ev = decode_ok(&a, label, b->u.bin.ptr, b->u.bin.len);
        assert_typed_equal(label, ev, json_object_get(e, "nson"));
        size_t rlen;
        uint8_t *re = reencode(ev, &rlen);
        assert_bytes_eq(label, "re-encoding", re, rlen, b->u.bin.ptr, b->u.bin.len);
        free(re);
        arena_free(&a);
    }
}

START_TEST(test_response_vector)
{
    const char *name = resp_names[_i];
    size_t len;
    uint8_t *bin = slurp(name, ".bin", &len);
    json_t *js = load_json(name);
    const json_t *want = json_object_get(js, "nson");
    ck_assert_uint_eq((size_t)json_integer_value(json_object_get(js, "body_length")), len);

    if (strcmp(name, "resp-error-v3-style") == 0) {
        check_v3_error(name, bin, len, js);
    } else {
        arena_t a;
        arena_init(&a, ARENA_CEILING);
        ck_assert_msg(len > 0 && bin[0] == NSON_MAP, "%s: a reply is one MAP", name);
        nson_value_t *v = decode_ok(&a, name, bin, len);
        assert_typed_equal(name, v, want);
        /* replies put "e" (INTEGER) first */
        ck_assert_uint_gt(v->u.map.count, 0);
        ck_assert_str_eq(v->u.map.items[0].key, "e");
        ck_assert_int_eq(v->u.map.items[0].val->type, NSON_INTEGER);
        size_t rlen;
        uint8_t *re = reencode(v, &rlen);
        assert_bytes_eq(name, "encode(decode(bin))", re, rlen, bin, len);
        assert_typed_encodes_to(name, want, bin, len);
        const json_t *emb = json_object_get(js, "embedded_nson");
        if (emb)
            check_embedded(name, v, emb);
        free(re);
        arena_free(&a);
    }
    json_decref(js);
    free(bin);
}
END_TEST

START_TEST(test_embedded_present)
{
    /* the poll vectors must actually exercise the embedded-event path */
    json_t *js = load_json("resp-cs-poll-two-tables");
    ck_assert_uint_ge(json_array_size(json_object_get(js, "embedded_nson")), 4);
    json_decref(js);
}
END_TEST

/* ------------------------------------------------------------------------
 * limits: truncations and mutations of every vector
 * ------------------------------------------------------------------------ */

/* NSON part of a vector's body, or NULL for the non-NSON one. */
static uint8_t *nson_body(const char *name, size_t *off, size_t *len)
{
    if (strcmp(name, "resp-error-v3-style") == 0)
        return NULL;
    uint8_t *bin = slurp(name, ".bin", len);
    *off = strncmp(name, "req-", 4) == 0 ? 2 : 0;
    return bin;
}

START_TEST(test_truncated_every_byte)
{
    const char *name = all_names[_i];
    size_t off, len;
    uint8_t *bin = nson_body(name, &off, &len);
    if (!bin)
        return;
    for (size_t cut = 0; cut < len - off; cut++) {
        /* copy so ASan sees a read past the cut as an overflow */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, bin + off, cut);
        arena_t a;
        arena_init(&a, ARENA_CEILING);
        cs_error_t err;
        cs_error_clear(&err);
        nson_value_t *v = nson_decode(&a, p, cut, false, &err);
        ck_assert_msg(v == NULL, "%s: prefix of %zu bytes decoded", name, cut);
        ck_assert_int_eq(err.code, CS_EPROTO);
        ck_assert_uint_gt(strlen(err.msg), 0);
        arena_free(&a);
        free(p);
    }
    free(bin);
}
END_TEST

/* Cheap deterministic PRNG (xorshift64*). */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

START_TEST(test_mutations_never_crash)
{
    const char *name = all_names[_i];
    size_t off, len;
    uint8_t *bin = nson_body(name, &off, &len);
    if (!bin)
        return;
    static const uint8_t evil[] = { 0x00, 0x01, 0x06, 0x07, 0x0d, 0x7e, 0x7f, 0x80,
                                    0xc0, 0xf7, 0xfb, 0xff };
    size_t n = len - off;
    uint8_t *p = malloc(n);
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ n;
    size_t decoded = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof evil + 2; k++) {
            memcpy(p, bin + off, n);
            p[i] = k < sizeof evil ? evil[k] : (uint8_t)rng_next(&seed);
            if (k == sizeof evil + 1) /* and one random byte elsewhere */
                p[rng_next(&seed) % n] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
            arena_t a;
            arena_init(&a, ARENA_CEILING);
            cs_error_t err;
            nson_value_t *v = nson_decode(&a, p, n, false, &err);
            ck_assert_uint_le(a.used, ARENA_CEILING);
            if (v) {
                /* whatever decodes re-encodes to something that decodes
                 * to the same typed tree */
                decoded++;
                size_t rlen;
                uint8_t *re = reencode(v, &rlen);
                arena_t b;
                arena_init(&b, ARENA_CEILING);
                nson_value_t *v2 = decode_ok(&b, name, re, rlen);
                json_t *t1 = nson_json_render_typed(v), *t2 = nson_json_render_typed(v2);
                ck_assert(json_equal(t1, t2));
                json_decref(t1);
                json_decref(t2);
                arena_free(&b);
                free(re);
            } else {
                ck_assert(err.code == CS_EPROTO);
            }
            arena_free(&a);
        }
    }
    /* mutations of value bytes (not structure) keep a message valid */
    ck_assert_uint_gt(decoded, 0);
    free(p);
    free(bin);
}
END_TEST

/* ------------------------------------------------------------------------
 * suite
 * ------------------------------------------------------------------------ */

static char **names_from(json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    char **v = calloc(*n + 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = strdup(json_string_value(json_array_get(arr, i)));
    return v;
}

static void load_index(void)
{
    vec_dir = getenv("CSEMU_VECTORS");
    if (!vec_dir || !*vec_dir)
        vec_dir = "../shared/protocol/vectors";
    char path[1024];
    json_error_t je;
    snprintf(path, sizeof path, "%s/index.json", vec_dir);
    json_t *idx = json_load_file(path, 0, &je);
    if (!idx) {
        fprintf(stderr, "check_vectors: cannot read %s: %s\n", path, je.text);
        n_req = n_resp = n_all = 0;
        req_names = resp_names = all_names = calloc(1, sizeof(char *));
        return;
    }
    req_names = names_from(json_object_get(idx, "requests"), &n_req);
    resp_names = names_from(json_object_get(idx, "responses"), &n_resp);
    n_all = n_req + n_resp;
    all_names = calloc(n_all + 1, sizeof *all_names);
    memcpy(all_names, req_names, n_req * sizeof *all_names);
    memcpy(all_names + n_req, resp_names, n_resp * sizeof *all_names);
    json_decref(idx);
}

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, test_inventory);
    tcase_add_loop_test(core, test_request_vector, 0, (int)n_req);
    tcase_add_loop_test(core, test_response_vector, 0, (int)n_resp);
    tcase_add_test(core, test_embedded_present);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tcase_set_timeout(lim, 120);
    tcase_add_loop_test(lim, test_truncated_every_byte, 0, (int)n_all);
    tcase_add_loop_test(lim, test_mutations_never_crash, 0, (int)n_all);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    load_index();
    SRunner *sr = srunner_create(vectors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (size_t i = 0; i < n_req; i++)
        free(req_names[i]);
    for (size_t i = 0; i < n_resp; i++)
        free(resp_names[i]);
    free(req_names);
    free(resp_names);
    free(all_names);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
