/* arena.c - bump allocation in growing blocks, freed all at once. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    arena_block_t *next;
    size_t size;  /* usable bytes in data */
    size_t off;   /* next free byte */
    _Alignas(16) unsigned char data[];
};

void arena_init(arena_t *a, size_t max)
{
    a->head = NULL;
    a->used = 0;
    a->max = max;
}

void arena_free(arena_t *a)
{
    arena_block_t *b = a->head;
    while (b) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}

void *arena_alloc(arena_t *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 4)
        return NULL;
    size_t need = (n + 15) & ~(size_t)15;
    if (a->max && (need > a->max || a->used > a->max - need))
        return NULL;
    arena_block_t *b = a->head;
    if (!b || b->size - b->off < need) {
        size_t size = b ? b->size * 2 : 4096;
        if (size > 1u << 20)
            size = 1u << 20;
        if (size < need)
            size = need;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->off = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

void *arena_calloc(arena_t *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / 4 / size)
        return NULL;
    void *p = arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *arena_memdup(arena_t *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}
