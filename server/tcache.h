/*
 * tcache.h - parsed table metadata, cached by (table id, record version).
 *
 * The catalog keeps a table's schema and settings as a JSON blob; parsing it
 * on every Put would cost more than the write. The cache maps (id, version)
 * to the parsed form, so a handler that read the record inside its own
 * transaction gets the schema that matches exactly that record: after an
 * ALTER the version moves and the old entry is never used again. Entries are
 * reference-counted, so a request keeps its schema even if a newer version
 * replaces it meanwhile.
 *
 * Metadata JSON (owned by the server, opaque to the store):
 *   { "schema":  <schema JSON, proto/schema.h>,
 *     "ddl":     "CREATE TABLE ...",
 *     "limits":  {"ru": n, "wu": n, "sg": n, "mo": 1|2} (absent for child tables),
 *     "tags":    {"defined": "<json text>", "freeform": "<json text>"},
 *     "indexes": [{"name": s, "fields": [{"path": s, "type": s}], "ddl": s}],
 *     "etag":    "..." }
 */
#ifndef CS_TCACHE_H
#define CS_TCACHE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cs_err.h"
#include "schema.h"
#include "server.h"
#include "store.h"
#include "tables.h"

typedef struct table_ent {
    atomic_int refs;
    uint64_t id;
    uint64_t version;
    int64_t modified_ms;   /* with id and version: an aborted batch can roll the
                            * id and version counters back and reuse them */
    schema_t *schema;   /* parsed "schema" */
    json_t *meta;       /* the whole metadata object */
} table_ent_t;

/* Create the server's (empty) cache. */
cs_err_t tcache_init(server_t *srv, cs_error_t *err);

/* The parsed metadata of rec (looked up in txn t if not cached). Returns a
 * reference the caller releases with tcache_put. NULL with *err set when the
 * stored metadata does not parse (CS_ECORRUPT) or memory runs out. */
table_ent_t *tcache_get(server_t *srv, store_txn_t *t, const table_rec_t *rec, cs_error_t *err);
void tcache_put(table_ent_t *e);
/* Drop every entry and the cache itself (shutdown). */
void tcache_clear(server_t *srv);

#endif
