/*
 * row.h - checks and canonicalizes rows against a table schema and turns
 * them into the byte strings the store keeps.
 *
 * For a row (the request's MAP) row_encode produces:
 *   key       order-preserving primary-key bytes (keyenc.h), columns in
 *             key order; the first shard_len bytes encode the shard key
 *   keymap    NSON MAP of the key columns in key order (a change event's
 *             record key "rk")
 *   value     NSON MAP of every non-key column in declaration order, with
 *             DEFAULTs applied and NULL for missing nullable columns (a
 *             change event's image)
 *   generated NSON of the identity / UUID value csemu generated, if any
 *             (the reply's "gn")
 * All output bytes are allocated from the caller's arena (they live as long
 * as it does); nothing here is malloc'd.
 *
 * Values are converted as the service's proxy does (ProxySerialization):
 *   INTEGER   <- INTEGER, LONG/NUMBER/DOUBLE holding an int exactly, STRING
 *   LONG      <- INTEGER, LONG, NUMBER/DOUBLE holding a long exactly, STRING
 *   FLOAT     <- INTEGER/LONG exactly representable, DOUBLE within float's
 *                range (precision may drop), NUMBER, STRING
 *   DOUBLE    <- INTEGER, LONG exactly representable, DOUBLE, NUMBER exact, STRING
 *   NUMBER    <- INTEGER, LONG, DOUBLE (its shortest decimal), NUMBER, STRING
 *   STRING    <- STRING (AS UUID: a UUID, stored in lower case)
 *   ENUM      <- STRING naming a symbol (case-sensitive)
 *   BOOLEAN   <- BOOLEAN, STRING ("true" in any case is true, else false)
 *   BINARY    <- BINARY, STRING in base64; FIXED_BINARY checks the size
 *   TIMESTAMP <- TIMESTAMP, STRING (timefmt.h), INTEGER/LONG (epoch ms)
 *   JSON      <- anything but EMPTY; BINARY becomes its base64 STRING,
 *                TIMESTAMP its STRING, NULL becomes JSON null
 *   ARRAY, MAP <- ARRAY, MAP of convertible elements (NULL elements refused)
 *   RECORD    <- MAP (fields by name, case-insensitive) or ARRAY (by position)
 * and written as the NSON type the server emits for the column
 * (PROTOCOL.md section 7): INTEGER, LONG, DOUBLE (FLOAT and DOUBLE),
 * NUMBER (canonical text, Java BigDecimal.toString of the stripped value),
 * STRING (STRING, ENUM, UUID), BOOLEAN, BINARY, TIMESTAMP (UTC 'Z', rounded
 * to the column precision, trailing zeros stripped), MAP/ARRAY; JSON null is
 * JSON_NULL, SQL NULL is NULL. MAP values (typed and JSON) keep the order
 * the client sent (the service stores NSON maps in input order); of
 * duplicate keys the last wins. Field names of the row match columns
 * case-insensitively. A column given as EMPTY counts as not given (its
 * default, NULL, or a generated value); EMPTY inside a value is refused.
 */
#ifndef CS_ROW_H
#define CS_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "cs_err.h"
#include "nson.h"
#include "schema.h"

#define ROW_MAX_DEPTH 32   /* nesting of values inside a column */

typedef struct row_opts {
    bool exact_match;       /* unknown fields are an error (else ignored) */
    /* Next value of the table's identity sequence; called only when the
     * identity column must be generated. Return false if the sequence is
     * exhausted (the row is refused). */
    bool (*next_identity)(void *ctx, int64_t *out);
    /* Fill 16 random bytes (a version 4 UUID is made from them). */
    void (*random16)(void *ctx, uint8_t out[16]);
    void *ctx;
} row_opts_t;

typedef struct row_parts {
    const uint8_t *key;      size_t key_len;
    size_t shard_len;        /* key[0..shard_len) = the shard key's bytes */
    const uint8_t *keymap;   size_t keymap_len;
    const uint8_t *value;    size_t value_len;
    const uint8_t *generated; size_t generated_len;   /* NULL if nothing generated */
} row_parts_t;

typedef struct key_parts {
    const uint8_t *key;      size_t key_len;
    size_t shard_len;        /* 0 when the shard key is not complete */
    uint32_t ncols;          /* key columns given (a prefix of the key) */
    const uint8_t *keymap;   size_t keymap_len;
} key_parts_t;

/* Check and canonicalize a row for Put. value: the request's row MAP.
 * CS_EINVAL with a message naming the field for: missing/null key column,
 * NOT NULL column null, wrong type ("Invalid value for field 'age':
 * expected INTEGER, got STRING"), out of range, FIXED_BINARY size, unknown
 * ENUM symbol, bad TIMESTAMP text, a value for a GENERATED ALWAYS identity,
 * an unknown field with exact_match; CS_ENOMEM when the arena is full. */
cs_err_t row_encode(arena_t *a, const schema_t *s, const nson_value_t *value,
                    const row_opts_t *opts, row_parts_t *out, cs_error_t *err);

/* Key for Get/Delete (partial_ok false: every key column required) or
 * MultiDelete (partial_ok true: the shard key columns required, then any
 * prefix of the remaining key columns). Fields that are not key columns, or
 * a gap in the key prefix, are errors naming them. */
cs_err_t row_encode_key(arena_t *a, const schema_t *s, const nson_value_t *key_map,
                        bool partial_ok, key_parts_t *out, cs_error_t *err);

typedef struct key_range {
    const uint8_t *start;   size_t start_len;   /* inclusive lower bound */
    const uint8_t *end;     size_t end_len;     /* exclusive upper bound; NULL = none */
} key_range_t;

/* MultiDelete's range: rg = {rp: field, sr: {l: value, in: bool},
 * en: {l: value, in: bool}} (sr/en optional) on the key column right after
 * the prefix `prefix` (from row_encode_key) covers. Without rg (NULL) the
 * range is every key starting with the prefix. Keys k in range satisfy
 * start <= k < end in memcmp order. */
cs_err_t row_encode_range(arena_t *a, const schema_t *s, const key_parts_t *prefix,
                          const nson_value_t *rg, key_range_t *out, cs_error_t *err);

/* Write the full row MAP (every column in declaration order, key columns
 * from keymap, the rest from value) into w. Columns added after the row was
 * written get their default (or NULL); dropped columns are left out.
 * CS_ECORRUPT if the stored bytes are not MAPs. */
cs_err_t row_write_full(nson_writer_t *w, const schema_t *s, const uint8_t *keymap,
                        size_t keymap_len, const uint8_t *value, size_t value_len);

/* Bytes a row takes for capacity accounting: key + value encodings. */
static inline size_t row_size(const row_parts_t *p)
{
    return p->key_len + p->value_len;
}

/* ---- used by schema.c for DEFAULT values ---- */

/* Check a DEFAULT literal against type t of field `field` and return its
 * canonical text in *canon (arena). CS_EINVAL with the service's message. */
cs_err_t row_default_canon(arena_t *a, const ddl_type_t *t, const ddl_literal_t *lit,
                           const char *field, char **canon, cs_error_t *err);

/* Write a canonical default (from row_default_canon) as the column's NSON. */
void row_default_write(nson_writer_t *w, const ddl_type_t *t, const char *canon);

/* Standard base64 with padding. decode: false on invalid input; *out_len
 * <= 3 * len / 4. encode: out needs 4 * ((len + 2) / 3) + 1 bytes. */
bool row_base64_decode(const char *s, size_t len, uint8_t *out, size_t *out_len);
size_t row_base64_encode(const uint8_t *p, size_t len, char *out);

#endif
