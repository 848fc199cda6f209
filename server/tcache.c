/* tcache.c - a small hash of parsed table metadata, one entry per table id. */
#include "tcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TCACHE_BUCKETS 256

typedef struct tnode {
    struct tnode *next;
    table_ent_t *ent;
} tnode_t;

struct tcache {
    pthread_mutex_t mu;
    tnode_t *bucket[TCACHE_BUCKETS];
};

cs_err_t tcache_init(server_t *srv, cs_error_t *err)
{
    struct tcache *c = calloc(1, sizeof *c);
    if (!c)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    srv->tcache = c;
    return CS_OK;
}

void tcache_put(table_ent_t *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    schema_free(e->schema);
    json_decref(e->meta);
    free(e);
}

/* Parse a record's metadata blob into a fresh entry (one reference). */
static table_ent_t *ent_parse(const table_rec_t *rec, const char *meta_json, cs_error_t *err)
{
    json_error_t jerr;
    json_t *meta = json_loads(meta_json ? meta_json : "{}", 0, &jerr);
    json_t *sj = meta ? json_object_get(meta, "schema") : NULL;
    char *stext = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
    schema_t *schema = stext ? schema_from_json(stext, err) : NULL;
    free(stext);
    table_ent_t *e = schema ? calloc(1, sizeof *e) : NULL;
    if (!e) {
        if (!schema && (!err || err->code == CS_OK))
            cs_fail(err, CS_ECORRUPT, "stored metadata of table %s does not parse", rec->name);
        schema_free(schema);
        json_decref(meta);
        return NULL;
    }
    atomic_init(&e->refs, 1);
    e->id = rec->id;
    e->version = rec->version;
    e->modified_ms = rec->modified_ms;
    e->schema = schema;
    e->meta = meta;
    return e;
}

table_ent_t *tcache_get(server_t *srv, store_txn_t *t, const table_rec_t *rec, cs_error_t *err)
{
    struct tcache *c = srv->tcache;
    size_t b = rec->id % TCACHE_BUCKETS;
    pthread_mutex_lock(&c->mu);
    for (tnode_t *n = c->bucket[b]; n; n = n->next) {
        if (n->ent->id == rec->id && n->ent->version == rec->version &&
            n->ent->modified_ms == rec->modified_ms) {
            atomic_fetch_add(&n->ent->refs, 1);
            table_ent_t *e = n->ent;
            pthread_mutex_unlock(&c->mu);
            return e;
        }
    }
    pthread_mutex_unlock(&c->mu);

    /* miss: parse outside the lock */
    table_ent_t *e;
    if (rec->meta_json) {
        e = ent_parse(rec, rec->meta_json, err);
    } else {
        table_rec_t full;
        if (!tables_lookup_id(t, rec->id, true, &full)) {
            cs_fail(err, t->ret ? t->ret : CS_ENOTABLE, "Table not found: %s", rec->name);
            return NULL;
        }
        e = ent_parse(&full, full.meta_json, err);
        table_rec_free(&full);
    }
    if (!e)
        return NULL;

    pthread_mutex_lock(&c->mu);
    tnode_t **pp = &c->bucket[b];
    while (*pp && (*pp)->ent->id != rec->id)
        pp = &(*pp)->next;
    if (*pp) {
        if ((*pp)->ent->version != e->version || (*pp)->ent->modified_ms != e->modified_ms) {
            /* keep the entry of the record just read */
            tcache_put((*pp)->ent);
            atomic_fetch_add(&e->refs, 1);
            (*pp)->ent = e;
        }
    } else {
        tnode_t *n = malloc(sizeof *n);
        if (n) {
            atomic_fetch_add(&e->refs, 1);
            n->ent = e;
            n->next = c->bucket[b];
            c->bucket[b] = n;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return e;
}

void tcache_clear(server_t *srv)
{
    struct tcache *c = srv->tcache;
    if (!c)
        return;
    for (size_t i = 0; i < TCACHE_BUCKETS; i++) {
        tnode_t *n = c->bucket[i];
        while (n) {
            tnode_t *next = n->next;
            tcache_put(n->ent);
            free(n);
            n = next;
        }
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
    srv->tcache = NULL;
}
