/*
 * arena.h - a bump allocator for everything one request decodes.
 *
 * A request's NSON tree, strings and scratch space come from one arena that
 * is freed in one call when the request ends: no per-node frees, no leaks on
 * error paths. The arena has a byte ceiling, so a hostile message cannot make
 * the server allocate more than a fixed multiple of what it sent.
 */
#ifndef CS_ARENA_H
#define CS_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block_t;

typedef struct arena {
    arena_block_t *head;  /* newest block first */
    size_t used;          /* bytes handed out, over all blocks */
    size_t max;           /* ceiling on `used`, 0 = none */
} arena_t;

void arena_init(arena_t *a, size_t max);
void arena_free(arena_t *a);                   /* frees every block */
void *arena_alloc(arena_t *a, size_t n);       /* 16-byte aligned, NULL when over the ceiling */
void *arena_calloc(arena_t *a, size_t n, size_t size);
char *arena_strndup(arena_t *a, const char *s, size_t n); /* NUL-terminated copy */
void *arena_memdup(arena_t *a, const void *p, size_t n);

#endif
