/*
 * nson_json.h - NSON <-> JSON (jansson) in two conventions.
 *
 * 1. The "typed tree" of shared/protocol/vectors/README.md, which keeps every
 *    NSON detail (type, MAP order, duplicate keys, null strings): each value
 *    is a one-key object {"TYPE": payload}, e.g. {"INTEGER": 4},
 *    {"MAP": [["k", v], ...]}, {"BINARY": "00ff"} (lowercase hex, null for
 *    length -1), {"DOUBLE": "NaN"}. Used by tests and the fuzz harness to
 *    compare decoded messages with the golden vectors, and to build
 *    messages from a JSON description.
 *
 * 2. Plain JSON for people (CLI input/output, test rows):
 *      JSON -> NSON: object MAP, array ARRAY, string STRING, integer INTEGER
 *      when it fits 32 bits else LONG, real DOUBLE, true/false BOOLEAN,
 *      null NULL.
 *      NSON -> JSON: BINARY as a base64 string, TIMESTAMP and NUMBER as
 *      their text, JSON_NULL/NULL/EMPTY and null strings/binaries as null,
 *      non-finite DOUBLEs as "NaN"/"Infinity"/"-Infinity", a MAP's
 *      duplicate key keeps the last value. Lossy by design.
 *
 * Ownership: the render functions return a new reference the caller
 * json_decref()s (NULL only when jansson cannot allocate); the write
 * functions append one value to the writer and never take references.
 * Recursion is bounded by NSON_MAX_DEPTH in both directions.
 */
#ifndef CS_NSON_JSON_H
#define CS_NSON_JSON_H

#include <jansson.h>

#include "cs_err.h"
#include "nson.h"

/* Typed tree of a decoded value. */
json_t *nson_json_render_typed(const nson_value_t *v);

/* Append the NSON value a typed tree describes. CS_EINVAL (with the JSON
 * path of the offending node) when the tree does not follow the convention
 * or a number is out of its type's range; CS_ENOMEM when the writer failed. */
cs_err_t nson_json_write_typed(nson_writer_t *w, const json_t *typed, cs_error_t *err);

/* Plain JSON of a decoded value (see the table above). */
json_t *nson_json_render_plain(const nson_value_t *v);

/* Append the NSON value of a plain JSON value. CS_EINVAL when too deep,
 * CS_ENOMEM when the writer failed. */
cs_err_t nson_json_write_plain(nson_writer_t *w, const json_t *plain, cs_error_t *err);

/* Convenience: encode a whole document (typed or plain JSON) into a fresh
 * malloc'd byte string the caller free()s; *len receives its size. */
cs_err_t nson_json_encode_typed(const json_t *typed, uint8_t **out, size_t *len, cs_error_t *err);
cs_err_t nson_json_encode_plain(const json_t *plain, uint8_t **out, size_t *len, cs_error_t *err);

#endif
