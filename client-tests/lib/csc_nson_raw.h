/*
 * csc_nson_raw.h - reading NSON in place, without building a tree.
 *
 * The consumer's fast path (csc_stream.c): each event of a poll reply is
 * checked with csc_nson_check(), which accepts exactly what nson_decode()
 * accepts (same depth, count, length, UTF-8 and packed-integer rules), and
 * is then walked with csc_nson_iter_*() to read its fields and slice out
 * the bytes of its rows: no tree, no copies. nson_decode() stays the
 * reference: whoever needs a tree or an error message uses it (the
 * consumer falls back to it whenever this path declines).
 *
 * Every function is bounded by the length it is given and never reads
 * past it, whatever the bytes; the walking functions assume checked
 * input only in that they may stop early ("does not fit") on bytes that
 * csc_nson_check() would reject.
 */
#ifndef CSC_NSON_RAW_H
#define CSC_NSON_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes taken by the one NSON value at p[0..len) if nson_decode(p, len,
 * allow_trailing = true) would accept it, else 0. Nothing is allocated;
 * recursion is bounded by NSON_MAX_DEPTH. */
size_t csc_nson_check(const uint8_t *p, size_t len);

/* Bytes taken by the value at p[0..len), reading only its type, length
 * or packed integer (containers are skipped by their byte length: O(1)).
 * 0 when that does not fit in len or the type is unknown. */
size_t csc_nson_span(const uint8_t *p, size_t len);

/* A cursor over the items of one MAP or ARRAY. */
typedef struct csc_nson_iter {
    const uint8_t *p;
    size_t pos, end;    /* next item, end of the container */
    uint32_t left;      /* items not yet returned */
    bool map;
} csc_nson_iter_t;

/* Start at the MAP or ARRAY at p[0..len); false when it is neither or its
 * header does not fit. */
bool csc_nson_iter_init(csc_nson_iter_t *it, const uint8_t *p, size_t len);
/* The next item: *key / *key_len its key (MAP only, not NUL-terminated;
 * NULL / 0 in an ARRAY) and *val / *val_len its value's bytes. false at
 * the end, or when the next item does not fit. */
bool csc_nson_iter_next(csc_nson_iter_t *it, const char **key, size_t *key_len,
                        const uint8_t **val, size_t *val_len);

/* Scalars of one value's bytes v[0..len); false when v is not of that
 * type (or does not fit). */
bool csc_nson_get_int(const uint8_t *v, size_t len, int32_t *out);     /* INTEGER */
bool csc_nson_get_long(const uint8_t *v, size_t len, int64_t *out);    /* LONG */
/* STRING: *s points into v (not NUL-terminated); *is_null for length -1. */
bool csc_nson_get_string(const uint8_t *v, size_t len, const char **s, size_t *n,
                         bool *is_null);

#endif
