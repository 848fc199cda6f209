/*
 * event_doc.c - encoding one change event for a poll reply (contract and
 * document layout in event_doc.h).
 *
 * The document is written in one pass straight into the reserved end of the
 * caller's buffer; its BINARY header is filled in afterwards. Layout of MAP,
 * ARRAY, keys and packed integers as in proto/nson.h; every key here is
 * shorter than 120 bytes, so its packed length is one byte.
 */
#include "event_doc.h"

#include <assert.h>
#include <string.h>

#include "nson.h"

/* Where the document is being written. */
typedef struct dw {
    uint8_t *p;
    size_t n;
} dw_t;

static inline void dw_bytes(dw_t *w, const void *s, size_t len)
{
    if (len)
        memcpy(w->p + w->n, s, len);
    w->n += len;
}

static inline void dw_byte(dw_t *w, uint8_t b)
{
    w->p[w->n++] = b;
}

/* A MAP key: packed length (one byte for < 120) and the bytes. */
static inline void dw_key(dw_t *w, const char *k, size_t len)
{
    dw_byte(w, (uint8_t)(len + 127));
    dw_bytes(w, k, len);
}
#define DW_KEY(w, lit) dw_key((w), (lit), sizeof(lit) - 1)

/* A type byte and a packed number (INTEGER and LONG pack alike), packed
 * once into a small buffer so a number used twice is packed once. */
typedef struct packed {
    uint8_t b[10];
    size_t n;
} packed_t;

static inline packed_t pack_num(nson_type_t type, int64_t v)
{
    packed_t p;
    p.b[0] = (uint8_t)type;
    p.n = 1 + nson_pack_long(p.b + 1, v);
    return p;
}

static inline void dw_packed(dw_t *w, const packed_t *p)
{
    dw_bytes(w, p->b, p->n);
}

static inline void dw_num(dw_t *w, nson_type_t type, int64_t v)
{
    packed_t p = pack_num(type, v);
    dw_packed(w, &p);
}

/* Open a MAP or ARRAY: returns where its length field is, for dw_close. */
static inline size_t dw_open(dw_t *w, nson_type_t type)
{
    dw_byte(w, (uint8_t)type);
    size_t at = w->n;
    w->n += 8;   /* byte length, count: filled by dw_close */
    return at;
}

static inline void dw_close(dw_t *w, size_t at, uint32_t count)
{
    be32_store(w->p + at, (uint32_t)(w->n - at - 4));
    be32_store(w->p + at + 4, count);
}

static void dw_image_meta(dw_t *w, const char *key, size_t key_len, const packed_t *mod_ms,
                          uint64_t version)
{
    dw_key(w, key, key_len);
    size_t m = dw_open(w, NSON_MAP);
    DW_KEY(w, "modificationTime");
    dw_packed(w, mod_ms);
    DW_KEY(w, "version");
    uint8_t v[2 + 8] = { NSON_BINARY, 8 + 127 };   /* packed length 8 */
    be64_store(v + 2, version);
    dw_bytes(w, v, sizeof v);
    dw_close(w, m, 2);
}

/* The event document (event_doc.h); ei is the event id text. */
static void doc(dw_t *w, const char *ei, size_t ei_len, const changelog_event_t *ev)
{
    size_t top = dw_open(w, NSON_MAP);
    DW_KEY(w, "vs");
    dw_num(w, NSON_INTEGER, 1);
    DW_KEY(w, "ty");
    dw_num(w, NSON_INTEGER, 1);
    DW_KEY(w, "es");
    size_t arr = dw_open(w, NSON_ARRAY);
    size_t m = dw_open(w, NSON_MAP);
    uint32_t fields = 6;
    packed_t md = pack_num(NSON_LONG, ev->mod_ms);   /* also the new image's time */
    DW_KEY(w, "md");
    dw_packed(w, &md);
    DW_KEY(w, "xp");
    dw_num(w, NSON_LONG, ev->kind == CHANGELOG_DELETE ? 0 : ev->exp_ms);
    DW_KEY(w, "ei");
    dw_num(w, NSON_STRING, (int64_t)ei_len);   /* type byte + packed length */
    dw_bytes(w, ei, ei_len);
    DW_KEY(w, "pi");
    dw_num(w, NSON_INTEGER, (int32_t)ev->partition);
    DW_KEY(w, "ri");
    dw_num(w, NSON_INTEGER, 0);
    DW_KEY(w, "rk");
    dw_bytes(w, ev->keymap, ev->keymap_len);
    if (ev->kind == CHANGELOG_PUT && ev->value) {
        DW_KEY(w, "rv");
        dw_bytes(w, ev->value, ev->value_len);
        dw_image_meta(w, "rm", 2, &md, ev->version);
        fields += 2;
    }
    if (ev->has_prev && ev->prev_value) {
        DW_KEY(w, "pv");
        dw_bytes(w, ev->prev_value, ev->prev_value_len);
        packed_t pmd = pack_num(NSON_LONG, ev->prev_mod_ms);
        dw_image_meta(w, "pm", 2, &pmd, ev->prev_version);
        fields += 2;
    }
    dw_close(w, m, fields);
    dw_close(w, arr, 1);
    dw_close(w, top, 3);
}

/* Append the decimal digits of v at p; returns the end (no printf). */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Bytes of the document besides the key map, values and event id, at
 * most: the top MAP 9, "vs" 5, "ty" 5, "es" + ARRAY 12, the event MAP 9,
 * "md" and "xp" 13 each (key 3, LONG up to 10), "ei" 9 (key, type,
 * packed length), "pi" 9, "ri" 5, "rk" "rv" "pv" 3 each, "rm" and "pm" 57
 * each (key 3, MAP 9, "modificationTime" 17 + LONG 10, "version" 8 +
 * BINARY 10). Exact enough that the BINARY header sized for the bound is
 * nearly always the right size. */
#define DOC_FIXED_MAX 212

size_t event_doc_append(buf_t *out, uint64_t table_id, const changelog_event_t *ev)
{
    char ei[64], *e = ei;   /* "<table id>:<partition>:<sequence>" */
    e = put_u64(e, table_id);
    *e++ = ':';
    e = put_u64(e, ev->partition);
    *e++ = ':';
    e = put_u64(e, ev->seq);
    size_t ei_len = (size_t)(e - ei);

    /* The BINARY header (type byte, packed length) precedes the document,
     * whose length is known once it is written: write it after a header
     * sized for the bound, and move it in the rare case the exact length
     * packs shorter. */
    uint8_t hdr[1 + 5];
    size_t bound = DOC_FIXED_MAX + ei_len + ev->keymap_len + ev->value_len + ev->prev_value_len;
    if (bound > INT32_MAX) {
        out->failed = true;
        return 0;
    }
    size_t hb = 1 + nson_pack_int(hdr + 1, (int32_t)bound);
    if (!buf_reserve(out, hb + bound))
        return 0;
    dw_t w = { out->data + out->len + hb, 0 };
    doc(&w, ei, ei_len, ev);
    size_t len = w.n;
    assert(len <= bound);
    hdr[0] = NSON_BINARY;
    size_t h = 1 + nson_pack_int(hdr + 1, (int32_t)len);
    if (h != hb)
        memmove(out->data + out->len + h, w.p, len);
    memcpy(out->data + out->len, hdr, h);
    out->len += h + len;
    return len;
}
