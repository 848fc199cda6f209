/*
 * keyenc.h - order-preserving, self-delimiting primary-key encodings, and
 * the canonical decimal form of NUMBER values.
 *
 * A row's key bytes are the concatenation of its primary-key columns in key
 * order, each encoded below. Every encoding is self-delimiting (fixed width,
 * or ended by a terminator that cannot occur inside), so:
 *   - memcmp order of two keys of one table == Oracle NoSQL's primary-key
 *     order (column by column, each by its type's natural order);
 *   - all keys whose first k columns are equal share the same byte prefix,
 *     and no other key has that prefix (shard-key and partial-key scans).
 *
 *   TYPE       BYTES                      ENCODING
 *   INTEGER    4                          big-endian, sign bit flipped
 *   LONG       8                          big-endian, sign bit flipped
 *   FLOAT      4                          IEEE bits; negative: all bits
 *                                         inverted, else sign bit set.
 *   DOUBLE     8                          same on the 64-bit pattern.
 *              Like the service, -0.0 and 0.0 are distinct keys (-0.0
 *              first); every NaN becomes the one quiet NaN, after +Inf.
 *   NUMBER     1                          0x80 for zero, else:
 *              1 + 4 + ceil(n/2) + 1      0xC0 (positive) | exponent E (the
 *                                         value is d1.d2..dn x 10^E) as
 *                                         big-endian int32 with the sign bit
 *                                         flipped | digits in pairs, each
 *                                         pair p (00..99, odd n padded with
 *                                         0) as p+1 | terminator 0x00.
 *                                         Negative: 0x40, then the exponent
 *                                         and digit bytes inverted (255-b),
 *                                         terminator 0xFF. 1, 1.0 and 1E0 are
 *                                         one key; |E| < 2^31.
 *   STRING     n + escapes + 2            UTF-8, each 0x00 written 00 FF,
 *                                         then 00 00 ("a" < "a\0" < "ab")
 *   STRING AS UUID  16                    the 16 bytes of the UUID
 *   BOOLEAN    1                          0 false, 1 true
 *   ENUM       2                          ordinal, big-endian
 *   TIMESTAMP  8 (+4 if precision > 0)    seconds since epoch as LONG, then
 *                                         nanoseconds (rounded to the
 *                                         column precision) big-endian
 */
#ifndef CS_KEYENC_H
#define CS_KEYENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cs_err.h"
#include "timefmt.h"

/* ---- decimal numbers (NUMBER) ---- */

/* A decimal in canonical form: value = sign x d1.d2...dn x 10^exp, with
 * d1 != 0 and dn != 0 (no leading or trailing zeros); zero has sign 0 and
 * no digits. `digits` points into caller-provided storage (ASCII '0'-'9'). */
typedef struct keyenc_dec {
    int sign;            /* -1, 0, 1 */
    const char *digits;  /* n significant digits, not NUL-terminated */
    size_t ndigits;
    int64_t exp;         /* adjusted exponent of d1 */
} keyenc_dec_t;

#define KEYENC_DEC_MAX_EXP 2147483647LL   /* |exp| limit (BigDecimal's int scale) */

/* Parse Java BigDecimal / Python Decimal text ("-12.50", "1E+2", ".5", "5.")
 * into canonical form. digbuf must hold at least len bytes; out->digits
 * points into it. No NaN/Infinity. CS_EINVAL naming the text on failure. */
cs_err_t keyenc_dec_parse(const char *text, size_t len, char *digbuf, keyenc_dec_t *out,
                          cs_error_t *err);

/* Canonical decimal of an integer / of a finite double (the shortest digits
 * that round-trip, as Java's BigDecimal.valueOf(double)). digbuf: 32 bytes. */
void keyenc_dec_from_i64(int64_t v, char digbuf[32], keyenc_dec_t *out);
bool keyenc_dec_from_double(double v, char digbuf[32], keyenc_dec_t *out);

/* Exact conversions: false when the value is not an integer in range (i64),
 * or does not equal a double exactly (to_double; huge values give +-Inf as
 * the service accepts). */
bool keyenc_dec_to_i64(const keyenc_dec_t *d, int64_t *out);
bool keyenc_dec_to_double(const keyenc_dec_t *d, double *out);

/* Java BigDecimal.toString() of the canonical value ("0", "12.5", "1E+2",
 * "1.5E-7"). Returns the length; 0 if cap (>= ndigits + 24) is too small. */
size_t keyenc_dec_format(const keyenc_dec_t *d, char *out, size_t cap);

/* Numeric comparison of two canonical decimals: <0, 0, >0. */
int keyenc_dec_cmp(const keyenc_dec_t *a, const keyenc_dec_t *b);

/* ---- key components (append to b; errors are sticky in b) ---- */

void keyenc_put_int(buf_t *b, int32_t v);
void keyenc_put_long(buf_t *b, int64_t v);
void keyenc_put_float(buf_t *b, float v);
void keyenc_put_double(buf_t *b, double v);
void keyenc_put_number(buf_t *b, const keyenc_dec_t *d);
void keyenc_put_string(buf_t *b, const char *s, size_t len);
void keyenc_put_uuid(buf_t *b, const uint8_t uuid[16]);
void keyenc_put_bool(buf_t *b, bool v);
void keyenc_put_enum(buf_t *b, uint16_t ordinal);
void keyenc_put_timestamp(buf_t *b, cs_ts_t t, int precision);

/* Turn p[0..*len) into the smallest byte string greater than every string
 * that starts with it (drop trailing 0xFF bytes, increment the last byte).
 * Returns false when none exists (all bytes 0xFF / empty): unbounded. */
bool keyenc_successor(uint8_t *p, size_t *len);

#endif
