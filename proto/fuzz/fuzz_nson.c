/*
 * fuzz_nson.c - libFuzzer harness for the NSON reader (proto/nson.h) and the
 * typed-JSON view (proto/nson_json.h).
 *
 * Contract checked on every input: nson_decode either fails with CS_EPROTO
 * or CS_ENOMEM (never crashes, never passes the arena ceiling), and whatever
 * decodes re-encodes to bytes that decode to the same typed tree, whose own
 * re-encoding is stable, and whose typed JSON writes back to those bytes
 * (up to NaN payloads). A violated contract calls abort() so libFuzzer and
 * the plain replay build (replay_main.c) both report it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nson.h"
#include "nson_json.h"

#define FUZZ_ARENA_CEILING (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_nson: contract violated: %s\n", what);
    abort();
}

static uint8_t *encode(const nson_value_t *v, size_t *len)
{
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_value(&w, v);
    if (!nson_writer_ok(&w))
        fail("re-encoding a decoded tree failed");
    return buf_steal(&b, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t a, a2;
    cs_error_t err;
    arena_init(&a, FUZZ_ARENA_CEILING);
    arena_init(&a2, FUZZ_ARENA_CEILING);
    cs_error_clear(&err);

    nson_value_t *v = nson_decode(&a, data, size, false, &err);
    if (a.used > FUZZ_ARENA_CEILING)
        fail("arena passed its ceiling");
    if (!v) {
        if (err.code != CS_EPROTO && err.code != CS_ENOMEM)
            fail("decode failed with an unexpected code");
        goto out;
    }

    size_t n1, n2;
    uint8_t *e1 = encode(v, &n1);
    if (n1 > size)
        fail("re-encoding is longer than the input (writer is minimal)");
    nson_value_t *v2 = nson_decode(&a2, e1, n1, false, &err);
    if (!v2)
        fail("re-encoded bytes do not decode");
    uint8_t *e2 = encode(v2, &n2);
    if (n1 != n2 || memcmp(e1, e2, n1) != 0)
        fail("re-encoding is not stable");

    json_t *t1 = nson_json_render_typed(v), *t2 = nson_json_render_typed(v2);
    if (!t1 || !t2 || !json_equal(t1, t2))
        fail("typed trees differ after a round trip");
    uint8_t *e3 = NULL;
    size_t n3 = 0;
    if (nson_json_encode_typed(t1, &e3, &n3, &err) != CS_OK)
        fail("typed JSON of a decoded tree does not encode");
    arena_t a3;
    arena_init(&a3, FUZZ_ARENA_CEILING);
    nson_value_t *v3 = nson_decode(&a3, e3, n3, false, &err);
    json_t *t3 = v3 ? nson_json_render_typed(v3) : NULL;
    if (!t3 || !json_equal(t1, t3))
        fail("typed JSON does not write back to the same tree");

    /* the lossy plain view must not crash either, and must encode */
    json_t *p = nson_json_render_plain(v);
    uint8_t *e4 = NULL;
    size_t n4;
    if (!p || nson_json_encode_plain(p, &e4, &n4, &err) != CS_OK)
        fail("plain JSON of a decoded tree does not encode");

    free(e4);
    json_decref(p);
    json_decref(t3);
    arena_free(&a3);
    free(e3);
    json_decref(t1);
    json_decref(t2);
    free(e2);
    free(e1);
out:
    arena_free(&a2);
    arena_free(&a);
    return 0;
}
