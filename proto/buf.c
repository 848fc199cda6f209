/* buf.c - growable byte buffer with a ceiling and a sticky failure flag. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void buf_free(buf_t *b)
{
    free(b->data);
    size_t max = b->max;
    buf_init(b, max);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    b->failed = false;
}

bool buf_reserve(buf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    size_t limit = b->max ? b->max : SIZE_MAX / 2;
    if (extra > limit || b->len > limit - extra) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    if (n == 0 || !buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_putc(buf_t *b, uint8_t c)
{
    if (!buf_reserve(b, 1))
        return;
    b->data[b->len++] = c;
}

void buf_put_be16(buf_t *b, uint16_t v)
{
    uint8_t t[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    buf_append(b, t, 2);
}

void buf_put_be32(buf_t *b, uint32_t v)
{
    uint8_t t[4];
    be32_store(t, v);
    buf_append(b, t, 4);
}

void buf_put_be64(buf_t *b, uint64_t v)
{
    uint8_t t[8];
    be64_store(t, v);
    buf_append(b, t, 8);
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n + 1)) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

uint8_t *buf_steal(buf_t *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    size_t max = b->max;
    buf_init(b, max);
    return p;
}
