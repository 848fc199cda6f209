/*
 * store.c - the LMDB environment: open/close, format and secret in meta,
 * read transactions from a pool, sticky-error txn helpers, named counters,
 * and the one translation of MDB_* / errno into cs_err_t.
 *
 * Invariant kept at open: a store is either empty (and gets format
 * STORE_FORMAT and a fresh secret in one transaction) or carries a format
 * this build understands and a secret of the right length; anything else is
 * refused before a single DBI is created or written.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* ===================================================================== */
/* errors                                                                */
/* ===================================================================== */

cs_err_t store_err_from_mdb(int rc, cs_error_t *err)
{
    switch (rc) {
    case 0:
        cs_error_clear(err);
        return CS_OK;
    case MDB_MAP_FULL:
        return cs_fail(err, CS_ESPACE, "the store is full (its map size is reached); "
                       "delete data or restart with a larger map size");
    case ENOSPC:
    case EDQUOT:
        return cs_fail(err, CS_ESPACE, "no space left on the device holding the store (%s)",
                       strerror(rc));
    case MDB_TXN_FULL:
        return cs_fail(err, CS_ESPACE, "write transaction too large (%s)", mdb_strerror(rc));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        return cs_fail(err, CS_ECORRUPT, "store is corrupt: %s", mdb_strerror(rc));
    case MDB_READERS_FULL:
        return cs_fail(err, CS_EBUSY, "too many concurrent readers (%s)", mdb_strerror(rc));
    case MDB_VERSION_MISMATCH:
        return cs_fail(err, CS_ENOTSUP, "store written by another LMDB version: %s",
                       mdb_strerror(rc));
    case ENOMEM:
        return cs_fail(err, CS_ENOMEM, "out of memory in the store");
    default:
        return cs_fail(err, CS_EIO, "store error: %s", mdb_strerror(rc));
    }
}

cs_err_t txn_fail(store_txn_t *t, cs_err_t code, const char *fmt, ...)
{
    if (t->ret != CS_OK)
        return t->ret;   /* the first error wins */
    va_list ap;
    va_start(ap, fmt);
    t->ret = code;
    t->err.code = code;
    vsnprintf(t->err.msg, sizeof t->err.msg, fmt, ap);
    va_end(ap);
    return code;
}

cs_err_t txn_fail_mdb(store_txn_t *t, int rc, const char *what)
{
    cs_error_t e;
    cs_err_t code = store_err_from_mdb(rc, &e);
    return txn_fail(t, code, "%s: %s", what, e.msg);
}

cs_err_t store_txn_error(const store_txn_t *t, cs_error_t *err)
{
    if (err && t->ret != CS_OK)
        *err = t->err;
    return t->ret;
}

void txn_init(store_txn_t *t, store_t *s, MDB_txn *txn, bool rw)
{
    t->store = s;
    t->txn = txn;
    t->rw = rw;
    t->ret = CS_OK;
    cs_error_clear(&t->err);
}

/* ===================================================================== */
/* raw access                                                            */
/* ===================================================================== */

int txn_get(store_txn_t *t, keys_dbi_t d, const keybuf_t *k, MDB_val *v)
{
    if (!txn_ok(t))
        return -1;
    MDB_val key = { k->len, (void *)k->b };
    int rc = mdb_get(t->txn, txn_dbi(t, d), &key, v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc) {
        txn_fail_mdb(t, rc, "reading");
        return -1;
    }
    return 1;
}

uint8_t *txn_reserve(store_txn_t *t, keys_dbi_t d, const keybuf_t *k, size_t vlen)
{
    if (!txn_ok(t))
        return NULL;
    if (!t->rw) {
        txn_fail(t, CS_EIO, "write in a read transaction (store bug)");
        return NULL;
    }
    MDB_val key = { k->len, (void *)k->b };
    MDB_val val = { vlen, NULL };
    int rc = mdb_put(t->txn, txn_dbi(t, d), &key, &val, MDB_RESERVE);
    if (rc) {
        txn_fail_mdb(t, rc, "writing");
        return NULL;
    }
    return val.mv_data;
}

bool txn_put(store_txn_t *t, keys_dbi_t d, const keybuf_t *k, const void *val, size_t vlen)
{
    uint8_t *p = txn_reserve(t, d, k, vlen);
    if (!p)
        return false;
    if (vlen)
        memcpy(p, val, vlen);
    return true;
}

bool txn_del(store_txn_t *t, keys_dbi_t d, const keybuf_t *k)
{
    if (!txn_ok(t))
        return false;
    MDB_val key = { k->len, (void *)k->b };
    int rc = mdb_del(t->txn, txn_dbi(t, d), &key, NULL);
    if (rc && rc != MDB_NOTFOUND) {
        txn_fail_mdb(t, rc, "deleting");
        return false;
    }
    return true;
}

MDB_cursor *txn_cursor(store_txn_t *t, keys_dbi_t d)
{
    if (!txn_ok(t))
        return NULL;
    MDB_cursor *c = NULL;
    int rc = mdb_cursor_open(t->txn, txn_dbi(t, d), &c);
    if (rc) {
        txn_fail_mdb(t, rc, "opening a cursor");
        return NULL;
    }
    return c;
}

int txn_cursor_get(store_txn_t *t, MDB_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
    if (!txn_ok(t))
        return -1;
    int rc = mdb_cursor_get(c, k, v, op);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc) {
        txn_fail_mdb(t, rc, "reading");
        return -1;
    }
    return 1;
}

/* ===================================================================== */
/* counters                                                              */
/* ===================================================================== */

uint64_t store_peek_id(store_txn_t *t, const char *counter_name)
{
    keybuf_t k;
    if (!txn_ok(t))
        return 0;
    if (!keys_counter(&k, counter_name)) {
        txn_fail(t, CS_EINVAL, "counter name too long");
        return 0;
    }
    MDB_val v;
    int found = txn_get(t, KEYS_DBI_META, &k, &v);
    if (found <= 0)
        return 0;
    if (v.mv_size != 8) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: counter %s has %zu bytes",
                 counter_name, v.mv_size);
        return 0;
    }
    return be64_load(v.mv_data);
}

uint64_t store_next_id(store_txn_t *t, const char *counter_name)
{
    uint64_t cur = store_peek_id(t, counter_name);
    if (!txn_ok(t))
        return 0;
    keybuf_t k;
    keys_counter(&k, counter_name);
    uint8_t v[8];
    be64_store(v, cur + 1);
    if (!txn_put(t, KEYS_DBI_META, &k, v, sizeof v))
        return 0;
    return cur + 1;
}

uint64_t store_next_version(store_txn_t *t)
{
    if (!txn_ok(t) || !t->rw)
        return 0;
    store_t *s = t->store;
    uint64_t txnid = (uint64_t)mdb_txn_id(t->txn);   /* a nested txn shares its parent's */
    if (txnid != s->ver_txnid) {
        s->ver_txnid = txnid;
        s->ver_seq = 0;
    }
    if (++s->ver_seq >= STORE_VERSION_PER_TXN) {   /* > 16M writes in one batch: never */
        txn_fail(t, CS_EIO, "too many writes in one transaction");
        return 0;
    }
    return (txnid << STORE_VERSION_SHIFT) | s->ver_seq;
}

/* ===================================================================== */
/* read transactions                                                     */
/* ===================================================================== */

cs_err_t store_read_begin(store_t *s, store_txn_t *t, cs_error_t *err)
{
    MDB_txn *x = NULL;
    pthread_mutex_lock(&s->pool_mu);
    if (s->pool_n)
        x = s->pool[--s->pool_n];
    pthread_mutex_unlock(&s->pool_mu);

    if (x && mdb_txn_renew(x) != 0) {
        mdb_txn_abort(x);
        x = NULL;
    }
    int rc = 0;
    if (!x)
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &x);
    txn_init(t, s, rc ? NULL : x, false);
    if (rc) {
        txn_fail_mdb(t, rc, "beginning a read transaction");
        return store_txn_error(t, err);
    }
    return CS_OK;
}

void store_read_end(store_txn_t *t)
{
    if (!t->txn)
        return;
    store_t *s = t->store;
    mdb_txn_reset(t->txn);
    pthread_mutex_lock(&s->pool_mu);
    if (s->pool_n < STORE_READ_POOL) {
        s->pool[s->pool_n++] = t->txn;
        t->txn = NULL;
    }
    pthread_mutex_unlock(&s->pool_mu);
    if (t->txn)
        mdb_txn_abort(t->txn);
    t->txn = NULL;
}

/* ===================================================================== */
/* open / close                                                          */
/* ===================================================================== */

const uint8_t *store_secret(const store_t *s)
{
    return s->secret;
}

/* Check or initialise format and secret, then open every DBI, in one write
 * transaction (nothing is created in a store we refuse). */
static cs_err_t store_init_meta(store_t *s, const char *dir, cs_error_t *err)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc)
        return store_err_from_mdb(rc, err);
    store_txn_t t;
    txn_init(&t, s, txn, true);

    rc = mdb_dbi_open(txn, keys_dbi_name(KEYS_DBI_META), MDB_CREATE, &s->dbi[KEYS_DBI_META]);
    if (rc)
        txn_fail_mdb(&t, rc, "opening the meta database");

    keybuf_t k;
    MDB_val v;
    keys_meta(&k, "format");
    int found = txn_get(&t, KEYS_DBI_META, &k, &v);
    if (found == 1) {
        uint32_t fmt = v.mv_size == 4 ? be32_load(v.mv_data) : 0;
        if (v.mv_size != 4 || fmt == 0)
            txn_fail(&t, CS_ECORRUPT, "store in %s is corrupt: bad format record", dir);
        else if (fmt > STORE_FORMAT)
            txn_fail(&t, CS_ENOTSUP, "store in %s has format %u, written by a newer csemu; "
                     "this build reads format %u only", dir, fmt, STORE_FORMAT);
    } else if (found == 0) {
        MDB_stat st;
        rc = mdb_stat(txn, s->dbi[KEYS_DBI_META], &st);
        if (rc)
            txn_fail_mdb(&t, rc, "reading meta");
        else if (st.ms_entries != 0)
            txn_fail(&t, CS_ECORRUPT, "store in %s is corrupt: no format record", dir);
        uint8_t fv[4];
        be32_store(fv, STORE_FORMAT);
        txn_put(&t, KEYS_DBI_META, &k, fv, sizeof fv);
    }

    keys_meta(&k, "secret");
    found = txn_get(&t, KEYS_DBI_META, &k, &v);
    if (found == 1) {
        if (v.mv_size != STORE_SECRET_LEN)
            txn_fail(&t, CS_ECORRUPT, "store in %s is corrupt: secret has %zu bytes",
                     dir, v.mv_size);
        else
            memcpy(s->secret, v.mv_data, STORE_SECRET_LEN);
    } else if (found == 0) {
        if (getrandom(s->secret, STORE_SECRET_LEN, 0) != (ssize_t)STORE_SECRET_LEN)
            txn_fail(&t, CS_EIO, "cannot get random bytes for the store secret: %s",
                     strerror(errno));
        txn_put(&t, KEYS_DBI_META, &k, s->secret, STORE_SECRET_LEN);
    }

    for (int d = KEYS_DBI_META + 1; d < KEYS_DBI__COUNT && txn_ok(&t); d++) {
        rc = mdb_dbi_open(txn, keys_dbi_name(d), MDB_CREATE, &s->dbi[d]);
        if (rc)
            txn_fail_mdb(&t, rc, keys_dbi_name(d));
    }

    if (!txn_ok(&t)) {
        mdb_txn_abort(txn);
        return store_txn_error(&t, err);
    }
    rc = mdb_txn_commit(txn);
    if (rc)
        return store_err_from_mdb(rc, err);
    return CS_OK;
}

cs_err_t store_open(const store_opts_t *opts, store_t **out, cs_error_t *err)
{
    *out = NULL;
    if (!opts || !opts->dir || !opts->dir[0])
        return cs_fail(err, CS_EINVAL, "no data directory given");
    const char *dir = opts->dir;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cs_fail(err, CS_EIO, "cannot create data directory %s: %s", dir, strerror(errno));

    store_t *s = calloc(1, sizeof *s);
    if (!s)
        return cs_fail(err, CS_ENOMEM, "out of memory opening the store");
    s->lock_fd = -1;
    pthread_mutex_init(&s->pool_mu, NULL);
    writer_init(s);

    cs_err_t code = CS_OK;
    char lockpath[4096];
    if (snprintf(lockpath, sizeof lockpath, "%s/csemu.lock", dir) >= (int)sizeof lockpath) {
        code = cs_fail(err, CS_EINVAL, "data directory path too long");
        goto fail;
    }
    s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        code = cs_fail(err, CS_EIO, "cannot open %s: %s", lockpath, strerror(errno));
        goto fail;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        code = errno == EWOULDBLOCK
            ? cs_fail(err, CS_EBUSY, "data directory %s is in use by another csemu", dir)
            : cs_fail(err, CS_EIO, "cannot lock %s: %s", lockpath, strerror(errno));
        goto fail;
    }

    int rc = mdb_env_create(&s->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(s->env, 32);
    if (!rc)
        rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS);
    if (!rc)
        rc = mdb_env_set_mapsize(s->env, opts->map_size ? opts->map_size : STORE_DEFAULT_MAP);
    if (!rc) {
        /* Not MDB_WRITEMAP, although it makes puts much cheaper (no pwrite
         * per dirty page): it forbids the nested transactions that isolate
         * jobs (writer.c), and it turns the data file into a sparse file of
         * the map's size whose pages are written through the mapping, so a
         * full disk kills the process with SIGBUS instead of failing the
         * commit with ENOSPC (CS_ESPACE, server keeps serving). */
        unsigned flags = MDB_NOTLS | (opts->sync ? 0 : MDB_NOSYNC);
        rc = mdb_env_open(s->env, dir, flags, 0600);
    }
    if (rc) {
        cs_error_t e;
        code = store_err_from_mdb(rc, &e);
        if (rc == MDB_INVALID)
            code = cs_fail(err, CS_ECORRUPT, "%s does not hold a csemu store (%s)", dir,
                           mdb_strerror(rc));
        else
            cs_fail(err, code, "cannot open the store in %s: %s", dir, e.msg);
        goto fail;
    }
    int dead = 0;
    mdb_reader_check(s->env, &dead);

    code = store_init_meta(s, dir, err);
    if (code != CS_OK)
        goto fail;
    *out = s;
    return CS_OK;

fail:
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    writer_destroy(s);
    pthread_mutex_destroy(&s->pool_mu);
    free(s);
    return code;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->pool_n; i++)
        mdb_txn_abort(s->pool[i]);
    s->pool_n = 0;
    mdb_env_sync(s->env, 1);
    mdb_env_close(s->env);
    close(s->lock_fd);  /* releases the flock */
    writer_destroy(s);
    pthread_mutex_destroy(&s->pool_mu);
    free(s);
}
