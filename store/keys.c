/* keys.c - key builders/parsers and prefix scans (layout table in keys.h). */
#include "store_int.h"

#include <string.h>

#include "buf.h"

static const char *const dbi_names[KEYS_DBI__COUNT] = {
    [KEYS_DBI_META] = "meta",
    [KEYS_DBI_TABLES] = "tables",
    [KEYS_DBI_TNAMES] = "tnames",
    [KEYS_DBI_ROWS] = "rows",
    [KEYS_DBI_CHANGES] = "changes",
    [KEYS_DBI_STREAMS] = "streams",
    [KEYS_DBI_GNAMES] = "gnames",
    [KEYS_DBI_GROUPS] = "groups",
    [KEYS_DBI_GPOS] = "gpos",
    [KEYS_DBI_GMEMBERS] = "gmembers",
    [KEYS_DBI_CONSUMERS] = "consumers",
    [KEYS_DBI_CPARTS] = "cparts",
    [KEYS_DBI_CPOLLS] = "cpolls",
};

const char *keys_dbi_name(keys_dbi_t dbi)
{
    return dbi_names[dbi];
}

/* ===================================================================== */
/* building                                                              */
/* ===================================================================== */

static bool put_bytes(keybuf_t *k, const void *p, size_t n)
{
    if (n > KEYS_MAX - k->len) {
        k->len = 0;
        return false;
    }
    if (n)
        memcpy(k->b + k->len, p, n);
    k->len += n;
    return true;
}

static bool put_be64(keybuf_t *k, uint64_t v)
{
    uint8_t b[8];
    be64_store(b, v);
    return put_bytes(k, b, 8);
}

static bool put_be32(keybuf_t *k, uint32_t v)
{
    uint8_t b[4];
    be32_store(b, v);
    return put_bytes(k, b, 4);
}

bool keys_meta(keybuf_t *k, const char *name)
{
    k->len = 0;
    return put_bytes(k, name, strlen(name));
}

bool keys_counter(keybuf_t *k, const char *counter_name)
{
    size_t n = strlen(counter_name);
    k->len = 0;
    if (n == 0 || n > 64)
        return false;
    return put_bytes(k, "ctr/", 4) && put_bytes(k, counter_name, n);
}

bool keys_drop_prefix(keybuf_t *k)
{
    k->len = 0;
    return put_bytes(k, "drop/", 5);
}

bool keys_drop(keybuf_t *k, uint64_t table_id)
{
    return keys_drop_prefix(k) && put_be64(k, table_id);
}

bool keys_parse_drop(const uint8_t *key, size_t len, uint64_t *table_id)
{
    if (len != 13 || memcmp(key, "drop/", 5) != 0)
        return false;
    *table_id = be64_load(key + 5);
    return true;
}

bool keys_table(keybuf_t *k, uint64_t table_id)
{
    k->len = 0;
    return put_be64(k, table_id);
}

bool keys_fold(char *out, size_t outsz, const char *s)
{
    size_t n = strlen(s);
    if (n >= outsz)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return true;
}

bool keys_tname_prefix(keybuf_t *k, const char *tenant)
{
    k->len = 0;
    return put_bytes(k, tenant, strlen(tenant)) && put_bytes(k, "", 1);
}

bool keys_tname(keybuf_t *k, const char *tenant, const char *name)
{
    char folded[KEYS_MAX];
    if (!keys_fold(folded, sizeof folded, name)) {
        k->len = 0;
        return false;
    }
    return keys_tname_prefix(k, tenant) && put_bytes(k, folded, strlen(folded));
}

bool keys_row(keybuf_t *k, uint64_t table_id, const uint8_t *rkey, size_t rlen)
{
    return keys_table(k, table_id) && put_bytes(k, rkey, rlen);
}

bool keys_parse_row(const uint8_t *key, size_t len, uint64_t *table_id,
                    const uint8_t **rkey, size_t *rlen)
{
    if (len < 8)
        return false;
    *table_id = be64_load(key);
    *rkey = key + 8;
    *rlen = len - 8;
    return true;
}

bool keys_partition(keybuf_t *k, uint64_t table_id, uint32_t partition)
{
    return keys_table(k, table_id) && put_be32(k, partition);
}

bool keys_event(keybuf_t *k, uint64_t table_id, uint32_t partition, uint64_t seq)
{
    return keys_partition(k, table_id, partition) && put_be64(k, seq);
}

bool keys_parse_event(const uint8_t *key, size_t len, uint64_t *table_id,
                      uint32_t *partition, uint64_t *seq)
{
    if (len != 20)
        return false;
    *table_id = be64_load(key);
    *partition = be32_load(key + 8);
    *seq = be64_load(key + 12);
    return true;
}

bool keys_parse_partition(const uint8_t *key, size_t len, uint64_t *table_id,
                          uint32_t *partition)
{
    if (len != 12)
        return false;
    *table_id = be64_load(key);
    *partition = be32_load(key + 8);
    return true;
}

/* ===================================================================== */
/* scans                                                                 */
/* ===================================================================== */

static bool has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen)
{
    return k->mv_size >= plen && (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

cs_err_t keys_foreach_prefix(store_txn_t *t, keys_dbi_t dbi,
                             const uint8_t *prefix, size_t plen,
                             const uint8_t *from, size_t flen,
                             keys_visit_fn fn, void *ctx)
{
    MDB_cursor *c = txn_cursor(t, dbi);
    if (!c)
        return t->ret;
    /* Start at max(prefix, from) in LMDB's order (memcmp, shorter first). */
    const uint8_t *start = prefix;
    size_t slen = plen;
    if (from) {
        size_t n = flen < plen ? flen : plen;
        int c = n ? memcmp(from, prefix, n) : 0;
        if (c > 0 || (c == 0 && flen > plen)) {
            start = from;
            slen = flen;
        }
    }
    MDB_val k = { slen, (void *)start }, v;
    int got = slen ? txn_cursor_get(t, c, &k, &v, MDB_SET_RANGE)
                   : txn_cursor_get(t, c, &k, &v, MDB_FIRST);
    while (got == 1 && has_prefix(&k, prefix, plen)) {
        if (!fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx) || !txn_ok(t))
            break;
        got = txn_cursor_get(t, c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return t->ret;
}

cs_err_t keys_delete_prefix(store_txn_t *t, keys_dbi_t dbi,
                            const uint8_t *prefix, size_t plen, size_t max,
                            size_t *deleted, bool *more)
{
    *deleted = 0;
    *more = false;
    MDB_cursor *c = txn_cursor(t, dbi);
    if (!c)
        return t->ret;
    MDB_val k = { plen, (void *)prefix }, v;
    int got = plen ? txn_cursor_get(t, c, &k, &v, MDB_SET_RANGE)
                   : txn_cursor_get(t, c, &k, &v, MDB_FIRST);
    while (got == 1 && has_prefix(&k, prefix, plen)) {
        if (*deleted >= max) {
            *more = true;
            break;
        }
        int rc = mdb_cursor_del(c, 0);
        if (rc) {
            txn_fail_mdb(t, rc, "deleting");
            break;
        }
        (*deleted)++;
        /* After mdb_cursor_del, MDB_NEXT yields the item that followed
         * the deleted one (LMDB's C_DEL handling), not the one after. */
        got = txn_cursor_get(t, c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return t->ret;
}
