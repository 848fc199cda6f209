/*
 * nson.h - NSON, the binary format of the Oracle NoSQL wire protocol (v4).
 *
 * Pure encoding and decoding: no I/O. The reader turns bytes into a tree
 * allocated from an arena (nson_value_t), checking every length against the
 * bytes left and a hard limit before anything is allocated; the writer
 * appends to a buf_t and back-patches MAP/ARRAY lengths.
 *
 * Wire layout (all fixed-width numbers big-endian):
 *
 *   TYPE  CODE  PAYLOAD AFTER THE TYPE BYTE
 *   ARRAY    0  int32 byte length (of what follows, count included),
 *               int32 count, count values
 *   BINARY   1  packed int length (-1 = null), bytes
 *   BOOLEAN  2  1 byte, non-zero = true
 *   DOUBLE   3  8 bytes IEEE-754
 *   INTEGER  4  packed int (1-5 bytes)
 *   LONG     5  packed long (1-9 bytes)
 *   MAP      6  int32 byte length, int32 count, count x (key, value);
 *               a key is a packed int length + UTF-8 bytes, no type byte
 *   STRING   7  packed int length (-1 = null), UTF-8
 *   TIMESTAMP 8 like STRING, ISO-8601 text
 *   NUMBER   9  like STRING, decimal text
 *   JSON_NULL 10, NULL 11, EMPTY 12: nothing
 *
 * Packed integers: first byte 0x08..0xF7 is the value + 127; 0xF8+n-1 is
 * followed by n bytes holding value - 121; 0x08-n by n bytes holding
 * value + 119 (sign-extended). Readers accept non-minimal forms.
 */
#ifndef CS_NSON_H
#define CS_NSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cs_err.h"

typedef enum {
    NSON_ARRAY = 0,
    NSON_BINARY = 1,
    NSON_BOOLEAN = 2,
    NSON_DOUBLE = 3,
    NSON_INTEGER = 4,
    NSON_LONG = 5,
    NSON_MAP = 6,
    NSON_STRING = 7,
    NSON_TIMESTAMP = 8,
    NSON_NUMBER = 9,
    NSON_JSON_NULL = 10,
    NSON_NULL = 11,
    NSON_EMPTY = 12,
} nson_type_t;

#define NSON_MAX_DEPTH 64          /* nesting of MAP/ARRAY */
#define NSON_MAX_MAP_ENTRIES 10000000

typedef struct nson_value nson_value_t;

typedef struct nson_entry {
    const char *key;      /* NUL-terminated, valid UTF-8, arena-owned */
    uint32_t key_len;
    nson_value_t *val;
} nson_entry_t;

/* One decoded value. Strings, TIMESTAMP and NUMBER texts are NUL-terminated
 * copies (len excludes the NUL); BINARY bytes are a copy. `is_null` marks
 * the wire's length -1 for BINARY/STRING/TIMESTAMP/NUMBER. */
struct nson_value {
    nson_type_t type;
    union {
        bool b;
        int32_t i;
        int64_t l;
        double d;
        struct { const uint8_t *ptr; uint32_t len; bool is_null; } bin;  /* BINARY */
        struct { const char *ptr; uint32_t len; bool is_null; } str;     /* STRING, TIMESTAMP, NUMBER */
        struct { nson_entry_t *items; uint32_t count; } map;
        struct { nson_value_t **items; uint32_t count; } arr;
    } u;
};

/* ---- packed integers ---- */

/* Decode a packed int/long from p[0..len). Returns bytes consumed, 0 on
 * truncation or a value outside the type's range. */
size_t nson_unpack_int(const uint8_t *p, size_t len, int32_t *out);
size_t nson_unpack_long(const uint8_t *p, size_t len, int64_t *out);
/* Minimal encodings; return bytes written (<= 5 / <= 9). */
size_t nson_pack_int(uint8_t *out, int32_t v);
size_t nson_pack_long(uint8_t *out, int64_t v);

/* ---- reading ---- */

/* Decode exactly one value occupying all of data[0..len) into a tree from
 * `a`. Trailing bytes are an error unless allow_trailing. On error returns
 * NULL and fills err (CS_EPROTO with where and what; CS_ENOMEM when the arena
 * ceiling is reached). Borrowed nothing: the tree holds copies. */
nson_value_t *nson_decode(arena_t *a, const uint8_t *data, size_t len, bool allow_trailing,
                          cs_error_t *err);

/* Returns true if data[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool nson_utf8_valid(const uint8_t *p, size_t len);

/* Last entry with this key in a MAP, or NULL (also when v is not a MAP). */
nson_value_t *nson_map_get(const nson_value_t *map, const char *key);

/* Typed getters for request fields. They return false when the field is
 * absent; set *bad = true (if bad is non-NULL) when it is present with a
 * type that cannot stand for the wanted one. Integer getters accept INTEGER
 * or LONG when the value fits. */
bool nson_get_int(const nson_value_t *map, const char *key, int32_t *out, bool *bad);
bool nson_get_long(const nson_value_t *map, const char *key, int64_t *out, bool *bad);
bool nson_get_bool(const nson_value_t *map, const char *key, bool *out, bool *bad);
/* STRING (not null); *out points into the tree. */
bool nson_get_string(const nson_value_t *map, const char *key, const char **out, bool *bad);
bool nson_get_binary(const nson_value_t *map, const char *key, const uint8_t **out,
                     uint32_t *len, bool *bad);

const char *nson_type_name(int type);

/* ---- writing ---- */

typedef struct nson_writer {
    buf_t *out;
    int depth;
    size_t start[NSON_MAX_DEPTH];   /* offset of the length field of each open container */
    uint32_t count[NSON_MAX_DEPTH]; /* entries written so far */
    bool failed;                    /* sticky: misuse or out of room */
} nson_writer_t;

void nson_writer_init(nson_writer_t *w, buf_t *out);
/* True when everything so far was written and all containers are closed. */
bool nson_writer_ok(const nson_writer_t *w);

void nson_w_map_begin(nson_writer_t *w);
void nson_w_map_end(nson_writer_t *w);
void nson_w_array_begin(nson_writer_t *w);
void nson_w_array_end(nson_writer_t *w);
void nson_w_key(nson_writer_t *w, const char *key);   /* inside a MAP, before each value */
void nson_w_keyn(nson_writer_t *w, const char *key, size_t len);
void nson_w_int(nson_writer_t *w, int32_t v);
void nson_w_long(nson_writer_t *w, int64_t v);
void nson_w_double(nson_writer_t *w, double v);
void nson_w_bool(nson_writer_t *w, bool v);
void nson_w_string(nson_writer_t *w, const char *s);               /* NULL = null string */
void nson_w_stringn(nson_writer_t *w, const char *s, size_t len);
void nson_w_binary(nson_writer_t *w, const void *p, size_t len);   /* p NULL = null binary */
void nson_w_timestamp(nson_writer_t *w, const char *iso);
void nson_w_number(nson_writer_t *w, const char *text);
void nson_w_json_null(nson_writer_t *w);
void nson_w_null(nson_writer_t *w);
void nson_w_empty(nson_writer_t *w);
/* Append raw, already-encoded NSON value bytes as one value. */
void nson_w_raw(nson_writer_t *w, const void *p, size_t len);
/* Append `count` already-encoded values lying back to back in p[0..len). */
void nson_w_raw_n(nson_writer_t *w, const void *p, size_t len, uint32_t count);
/* Re-encode a decoded tree (minimal packed ints). */
void nson_w_value(nson_writer_t *w, const nson_value_t *v);

/* Key + value shorthands for MAP fields. */
void nson_w_kv_int(nson_writer_t *w, const char *key, int32_t v);
void nson_w_kv_long(nson_writer_t *w, const char *key, int64_t v);
void nson_w_kv_bool(nson_writer_t *w, const char *key, bool v);
void nson_w_kv_string(nson_writer_t *w, const char *key, const char *s);
void nson_w_kv_binary(nson_writer_t *w, const char *key, const void *p, size_t len);

#endif
