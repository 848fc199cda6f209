/*
 * buf.h - a growable byte buffer with a ceiling.
 *
 * Used for every encoded message and key. Growth is geometric; a buffer never
 * grows past its `max` (0 = no ceiling besides SIZE_MAX/2), so a reply or an
 * accumulated request body cannot be made arbitrarily large by a peer. Errors
 * are sticky: after a failed append every later append is a no-op and
 * buf_ok() is false, so encoders write straight-line code and check once.
 */
#ifndef CS_BUF_H
#define CS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;   /* owned; NULL until the first append */
    size_t len;      /* bytes in use */
    size_t cap;      /* bytes allocated */
    size_t max;      /* ceiling on len, 0 = none */
    bool failed;     /* sticky: an append did not fit or allocation failed */
} buf_t;

void buf_init(buf_t *b, size_t max);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);                 /* len = 0, keeps memory, clears failure */
bool buf_reserve(buf_t *b, size_t extra); /* room for `extra` more bytes */
void buf_append(buf_t *b, const void *p, size_t n);
void buf_putc(buf_t *b, uint8_t c);
void buf_put_be16(buf_t *b, uint16_t v);
void buf_put_be32(buf_t *b, uint32_t v);
void buf_put_be64(buf_t *b, uint64_t v);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool buf_ok(const buf_t *b) { return !b->failed; }

/* Hand the bytes to the caller (who frees them with free()); b is emptied. */
uint8_t *buf_steal(buf_t *b, size_t *len);

/* Big-endian loads used by readers of keys and wire data. */
static inline uint16_t be16_load(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t be32_load(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64_load(const uint8_t *p)
{
    return ((uint64_t)be32_load(p) << 32) | be32_load(p + 4);
}
static inline void be32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void be64_store(uint8_t *p, uint64_t v)
{
    be32_store(p, (uint32_t)(v >> 32));
    be32_store(p + 4, (uint32_t)v);
}

#endif
