/*
 * keyenc.c - primary-key component encodings and canonical decimals
 * (formats documented in keyenc.h).
 */
#include "keyenc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * decimals
 * ------------------------------------------------------------------------ */

cs_err_t keyenc_dec_parse(const char *text, size_t len, char *digbuf, keyenc_dec_t *out,
                          cs_error_t *err)
{
    size_t i = 0, ndig = 0, total = 0, intlen = 0, first = 0;
    bool point = false, any_digit = false;
    int sign = 1;
    int64_t e = 0;

    if (i < len && (text[i] == '+' || text[i] == '-'))
        sign = text[i++] == '-' ? -1 : 1;
    for (; i < len; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9') {
            any_digit = true;
            if (!point)
                intlen++;
            /* keep digits from the first non-zero one on */
            if (ndig > 0 || c != '0') {
                if (ndig == 0)
                    first = total;
                digbuf[ndig++] = c;
            }
            total++;
        } else if (c == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!any_digit)
        goto bad;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        int esign = 1;
        bool edig = false;
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-'))
            esign = text[i++] == '-' ? -1 : 1;
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
            edig = true;
            if (e < 100000000000LL)
                e = e * 10 + (text[i] - '0');
        }
        if (!edig)
            goto bad;
        e *= esign;
    }
    if (i != len)
        goto bad;

    /* strip trailing zeros of the significant digits */
    while (ndig > 0 && digbuf[ndig - 1] == '0')
        ndig--;
    if (ndig == 0) {
        *out = (keyenc_dec_t){.sign = 0, .digits = digbuf, .ndigits = 0, .exp = 0};
        return CS_OK;
    }
    /* the first significant digit stands for 10^(intlen - 1 - first) */
    int64_t adj = (int64_t)intlen - 1 - (int64_t)first + e;
    if (adj > KEYENC_DEC_MAX_EXP || adj < -KEYENC_DEC_MAX_EXP)
        return cs_fail(err, CS_EINVAL, "Invalid NUMBER value '%.*s': exponent out of range",
                       (int)(len > 64 ? 64 : len), text);
    *out = (keyenc_dec_t){.sign = sign, .digits = digbuf, .ndigits = ndig, .exp = adj};
    return CS_OK;
bad:
    return cs_fail(err, CS_EINVAL, "Invalid NUMBER value '%.*s'", (int)(len > 64 ? 64 : len),
                   text);
}

void keyenc_dec_from_i64(int64_t v, char digbuf[32], keyenc_dec_t *out)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    keyenc_dec_parse(tmp, (size_t)n, digbuf, out, NULL);
}

bool keyenc_dec_from_double(double v, char digbuf[32], keyenc_dec_t *out)
{
    char tmp[40];
    if (!isfinite(v))
        return false;
    if (v == 0) {
        *out = (keyenc_dec_t){.sign = 0, .digits = digbuf, .ndigits = 0, .exp = 0};
        return true;
    }
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return keyenc_dec_parse(tmp, (size_t)n, digbuf, out, NULL) == CS_OK;
}

bool keyenc_dec_to_i64(const keyenc_dec_t *d, int64_t *out)
{
    if (d->sign == 0) {
        *out = 0;
        return true;
    }
    if (d->exp < (int64_t)d->ndigits - 1 || d->exp > 18)
        return false;
    /* accumulate as a negative number so INT64_MIN fits */
    int64_t acc = 0;
    for (int64_t i = 0; i <= d->exp; i++) {
        int dig = i < (int64_t)d->ndigits ? d->digits[i] - '0' : 0;
        if (acc < (INT64_MIN + dig) / 10)
            return false;
        acc = acc * 10 - dig;
    }
    if (d->sign > 0) {
        if (acc == INT64_MIN)
            return false;
        acc = -acc;
    }
    *out = acc;
    return true;
}

bool keyenc_dec_to_double(const keyenc_dec_t *d, double *out)
{
    if (d->sign == 0) {
        *out = 0;
        return true;
    }
    if (d->ndigits > 400 || d->exp > 400 || d->exp < -400) {
        if (d->exp > 400) {   /* beyond any double: the service stores +-Infinity */
            *out = d->sign > 0 ? INFINITY : -INFINITY;
            return true;
        }
        return false;
    }
    char text[480];
    if (!keyenc_dec_format(d, text, sizeof text))
        return false;
    double v = strtod(text, NULL);
    if (isinf(v)) {
        *out = v;
        return true;
    }
    char db[32];
    keyenc_dec_t back;
    if (!keyenc_dec_from_double(v, db, &back) || keyenc_dec_cmp(&back, d) != 0)
        return false;
    *out = v;
    return true;
}

size_t keyenc_dec_format(const keyenc_dec_t *d, char *out, size_t cap)
{
    size_t n = d->ndigits, len = 0;
    if (cap < n + 24)
        return 0;
    if (d->sign == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    if (d->sign < 0)
        out[len++] = '-';
    int64_t scale = (int64_t)n - 1 - d->exp;
    if (scale == 0) {
        memcpy(out + len, d->digits, n);
        len += n;
    } else if (scale > 0 && d->exp >= -6) {
        if (d->exp >= 0) {
            memcpy(out + len, d->digits, (size_t)d->exp + 1);
            len += (size_t)d->exp + 1;
            out[len++] = '.';
            memcpy(out + len, d->digits + d->exp + 1, n - (size_t)d->exp - 1);
            len += n - (size_t)d->exp - 1;
        } else {
            out[len++] = '0';
            out[len++] = '.';
            for (int64_t z = 0; z < -d->exp - 1; z++)
                out[len++] = '0';
            memcpy(out + len, d->digits, n);
            len += n;
        }
    } else {
        out[len++] = d->digits[0];
        if (n > 1) {
            out[len++] = '.';
            memcpy(out + len, d->digits + 1, n - 1);
            len += n - 1;
        }
        len += (size_t)snprintf(out + len, cap - len, "E%s%lld", d->exp > 0 ? "+" : "",
                                (long long)d->exp);
    }
    out[len] = '\0';
    return len;
}

int keyenc_dec_cmp(const keyenc_dec_t *a, const keyenc_dec_t *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int mag;
    if (a->exp != b->exp) {
        mag = a->exp < b->exp ? -1 : 1;
    } else {
        size_t m = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
        int c = memcmp(a->digits, b->digits, m);
        if (c != 0)
            mag = c < 0 ? -1 : 1;
        else
            mag = a->ndigits == b->ndigits ? 0 : a->ndigits < b->ndigits ? -1 : 1;
    }
    return a->sign > 0 ? mag : -mag;
}

/* ------------------------------------------------------------------------
 * key components
 * ------------------------------------------------------------------------ */

void keyenc_put_int(buf_t *b, int32_t v)
{
    buf_put_be32(b, (uint32_t)v ^ 0x80000000u);
}

void keyenc_put_long(buf_t *b, int64_t v)
{
    buf_put_be64(b, (uint64_t)v ^ 0x8000000000000000ull);
}

void keyenc_put_float(buf_t *b, float v)
{
    uint32_t bits;
    if (isnan(v))
        bits = 0x7fc00000u;
    else
        memcpy(&bits, &v, 4);
    bits = (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
    buf_put_be32(b, bits);
}

void keyenc_put_double(buf_t *b, double v)
{
    uint64_t bits;
    if (isnan(v))
        bits = 0x7ff8000000000000ull;
    else
        memcpy(&bits, &v, 8);
    bits = (bits & 0x8000000000000000ull) ? ~bits : bits | 0x8000000000000000ull;
    buf_put_be64(b, bits);
}

void keyenc_put_number(buf_t *b, const keyenc_dec_t *d)
{
    if (d->sign == 0) {
        buf_putc(b, 0x80);
        return;
    }
    uint8_t inv = d->sign < 0 ? 0xFF : 0x00;
    uint8_t e[4];
    be32_store(e, (uint32_t)(int32_t)d->exp ^ 0x80000000u);
    buf_putc(b, d->sign < 0 ? 0x40 : 0xC0);
    for (int i = 0; i < 4; i++)
        buf_putc(b, e[i] ^ inv);
    for (size_t i = 0; i < d->ndigits; i += 2) {
        int hi = d->digits[i] - '0';
        int lo = i + 1 < d->ndigits ? d->digits[i + 1] - '0' : 0;
        buf_putc(b, (uint8_t)(hi * 10 + lo + 1) ^ inv);
    }
    buf_putc(b, 0x00 ^ inv);
}

void keyenc_put_string(buf_t *b, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0') {
            buf_append(b, s + start, i - start);
            buf_putc(b, 0x00);
            buf_putc(b, 0xFF);
            start = i + 1;
        }
    }
    buf_append(b, s + start, len - start);
    buf_putc(b, 0x00);
    buf_putc(b, 0x00);
}

void keyenc_put_uuid(buf_t *b, const uint8_t uuid[16])
{
    buf_append(b, uuid, 16);
}

void keyenc_put_bool(buf_t *b, bool v)
{
    buf_putc(b, v ? 1 : 0);
}

void keyenc_put_enum(buf_t *b, uint16_t ordinal)
{
    buf_put_be16(b, ordinal);
}

void keyenc_put_timestamp(buf_t *b, cs_ts_t t, int precision)
{
    t = timefmt_round(t, precision);
    keyenc_put_long(b, t.sec);
    if (precision > 0)
        buf_put_be32(b, (uint32_t)t.nsec);
}

bool keyenc_successor(uint8_t *p, size_t *len)
{
    size_t n = *len;
    while (n > 0 && p[n - 1] == 0xFF)
        n--;
    if (n == 0)
        return false;
    p[n - 1]++;
    *len = n;
    return true;
}
