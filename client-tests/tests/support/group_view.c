/* group_view.c - the admin view of a consumer group (see group_view.h). */
#include "group_view.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"

/* ------------------------------------------------------------------------
 * parsing
 * ------------------------------------------------------------------------ */

static bool unit_set(gv_unit_t *u, const char *table, json_int_t partition)
{
    if (!table || strlen(table) >= GV_TABLE_MAX || partition < 0 || partition > 1 << 20)
        return false;
    snprintf(u->table, sizeof u->table, "%s", table);
    u->partition = (int)partition;
    return true;
}

static bool unit_eq(const gv_unit_t *a, const gv_unit_t *b)
{
    return a->partition == b->partition && strcmp(a->table, b->table) == 0;
}

static int64_t int_of(const json_t *o, const char *key, bool *ok)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        *ok = false;
        return 0;
    }
    return json_integer_value(v);
}

/* A part's table name: its "table", or "(dropped N)" as the members'
 * lists call a dropped table (the view has no id then: use the OCID-less
 * marker so both sides match). */
static const char *table_of(const json_t *o)
{
    const char *t = json_string_value(json_object_get(o, "table"));
    return t ? t : "(dropped)";
}

/* "2027-01-15T08:00:06.250Z" (the view's fixed-width UTC times) -> ms. */
static bool iso_ms(const char *s, int64_t *out)
{
    struct tm tm;
    int ms = 0;
    memset(&tm, 0, sizeof tm);
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest || sscanf(rest, ".%3dZ", &ms) != 1)
        return false;
    *out = (int64_t)timegm(&tm) * 1000 + ms;
    return true;
}

static bool parse_member(const json_t *m, gv_member_t *out)
{
    bool ok = true;
    if (!iso_ms(json_string_value(json_object_get(m, "last_poll")), &out->last_poll_ms))
        return false;
    out->cid = (uint64_t)int_of(m, "consumer_id", &ok);
    out->polls = int_of(m, "polls", &ok);
    out->uncommitted_polls = int_of(m, "uncommitted_polls", &ok);
    out->lag = int_of(m, "lag", &ok);
    out->silent = json_is_true(json_object_get(m, "silent"));
    json_t *parts = json_object_get(m, "partitions");
    if (!ok || !json_is_object(parts))
        return false;
    size_t total = 0;
    const char *table;
    json_t *list;
    json_object_foreach(parts, table, list) {
        if (!json_is_array(list))
            return false;
        total += json_array_size(list);
    }
    out->units = calloc(total ? total : 1, sizeof *out->units);
    if (!out->units)
        return false;
    json_object_foreach(parts, table, list) {
        size_t i;
        json_t *p;
        const char *name = strncmp(table, "(dropped", 8) == 0 ? "(dropped)" : table;
        json_array_foreach(list, i, p) {
            if (!json_is_integer(p) ||
                !unit_set(&out->units[out->n_units++], name, json_integer_value(p)))
                return false;
        }
    }
    return true;
}

static bool parse_part(const json_t *p, gv_part_t *out)
{
    bool ok = true;
    if (!unit_set(&out->u, table_of(p), int_of(p, "partition", &ok)))
        return false;
    json_t *owner = json_object_get(p, "owner");
    if (json_is_integer(owner))
        out->owner = (uint64_t)json_integer_value(owner);
    else if (!json_is_null(owner))
        return false;
    out->committed = int_of(p, "committed", &ok);
    out->delivered = int_of(p, "delivered", &ok);
    out->first = int_of(p, "first_retained", &ok);
    out->next = int_of(p, "next", &ok);
    return ok;
}

static cs_err_t parse_view(const json_t *g, gview_t *out, cs_error_t *err)
{
    bool ok = true;
    out->generation = int_of(g, "generation", &ok);
    json_t *tables = json_object_get(g, "tables");
    json_t *members = json_object_get(g, "members");
    json_t *parts = json_object_get(g, "partitions");
    if (!ok || !json_is_array(tables) || !json_is_array(members) || !json_is_array(parts))
        return cs_fail(err, CS_EPROTO, "group view lacks generation/tables/members/partitions");
    out->n_tables = json_array_size(tables);
    size_t nm = json_array_size(members), np = json_array_size(parts);
    out->members = calloc(nm ? nm : 1, sizeof *out->members);
    out->parts = calloc(np ? np : 1, sizeof *out->parts);
    if (!out->members || !out->parts)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < nm; i++) {
        out->n_members++;
        if (!parse_member(json_array_get(members, i), &out->members[i]))
            return cs_fail(err, CS_EPROTO, "group view: member %zu is malformed", i);
    }
    for (size_t i = 0; i < np; i++) {
        out->n_parts++;
        if (!parse_part(json_array_get(parts, i), &out->parts[i]))
            return cs_fail(err, CS_EPROTO, "group view: partition entry %zu is malformed", i);
    }
    return CS_OK;
}

cs_err_t gview_fetch(const char *endpoint, const char *tenant, const char *group,
                     gview_t *out, cs_error_t *err)
{
    char path[512];
    json_t *j = NULL;
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "/admin/groups/%s", group);
    cs_err_t rc = test_admin_get_json(endpoint, tenant, path, &j, err);
    if (rc == CS_OK)
        rc = parse_view(j, out, err);
    json_decref(j);
    if (rc != CS_OK)
        gview_free(out);
    return rc;
}

void gview_free(gview_t *v)
{
    for (size_t i = 0; v->members && i < v->n_members; i++)
        free(v->members[i].units);
    free(v->members);
    free(v->parts);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------------------
 * queries and checks
 * ------------------------------------------------------------------------ */

const gv_member_t *gview_member(const gview_t *v, uint64_t cid)
{
    for (size_t i = 0; i < v->n_members; i++)
        if (v->members[i].cid == cid)
            return &v->members[i];
    return NULL;
}

const gv_part_t *gview_part(const gview_t *v, const char *table, int partition)
{
    for (size_t i = 0; i < v->n_parts; i++)
        if (v->parts[i].u.partition == partition && strcmp(v->parts[i].u.table, table) == 0)
            return &v->parts[i];
    return NULL;
}

uint64_t gview_owner(const gview_t *v, const char *table, int partition)
{
    const gv_part_t *p = gview_part(v, table, partition);
    return p ? p->owner : 0;
}

size_t gview_count(const gview_t *v, uint64_t cid)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_parts; i++)
        n += v->parts[i].owner == cid;
    return n;
}

static bool fail_why(char *why, size_t cap, const gview_t *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n + 8 < cap) {
        snprintf(why + n, cap - (size_t)n, "; view: ");
        n += 8;
        gview_describe(v, why + n, cap - (size_t)n);
    }
    return false;
}

bool gview_check_assignment(const gview_t *v, char *why, size_t cap)
{
    for (size_t i = 0; i < v->n_parts; i++) {
        const gv_part_t *p = &v->parts[i];
        for (size_t k = i + 1; k < v->n_parts; k++)
            if (unit_eq(&p->u, &v->parts[k].u))
                return fail_why(why, cap, v, "partition %s/%d listed twice", p->u.table,
                                p->u.partition);
        if (p->owner && !gview_member(v, p->owner))
            return fail_why(why, cap, v, "partition %s/%d owned by %llu, not a member",
                            p->u.table, p->u.partition, (unsigned long long)p->owner);
        if (!p->owner && v->n_members)
            return fail_why(why, cap, v, "partition %s/%d has no owner with %zu members",
                            p->u.table, p->u.partition, v->n_members);
    }
    size_t lo = (size_t)-1, hi = 0, listed = 0;
    for (size_t i = 0; i < v->n_members; i++) {
        const gv_member_t *m = &v->members[i];
        for (size_t k = 0; k < m->n_units; k++) {
            const gv_unit_t *u = &m->units[k];
            uint64_t owner = gview_owner(v, u->table, u->partition);
            if (owner != m->cid)
                return fail_why(why, cap, v, "member %llu lists %s/%d whose owner is %llu",
                                (unsigned long long)m->cid, u->table, u->partition,
                                (unsigned long long)owner);
            for (size_t j = 0; j < v->n_members; j++)
                for (size_t l = 0; l < v->members[j].n_units; l++)
                    if ((j != i || l != k) && unit_eq(u, &v->members[j].units[l]))
                        return fail_why(why, cap, v, "partition %s/%d listed by members "
                                        "%llu and %llu", u->table, u->partition,
                                        (unsigned long long)m->cid,
                                        (unsigned long long)v->members[j].cid);
        }
        size_t n = gview_count(v, m->cid);
        if (n != m->n_units)
            return fail_why(why, cap, v, "member %llu lists %zu partitions but owns %zu",
                            (unsigned long long)m->cid, m->n_units, n);
        listed += n;
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    if (v->n_members && hi - lo > 1)
        return fail_why(why, cap, v, "unbalanced: members own between %zu and %zu partitions",
                        lo, hi);
    if (v->n_members && listed != v->n_parts)
        return fail_why(why, cap, v, "members own %zu of %zu partitions", listed, v->n_parts);
    return true;
}

bool gview_owned_subset(const gview_t *a, const gview_t *b, uint64_t cid)
{
    for (size_t i = 0; i < a->n_parts; i++)
        if (a->parts[i].owner == cid &&
            gview_owner(b, a->parts[i].u.table, a->parts[i].u.partition) != cid)
            return false;
    return true;
}

size_t gview_moved(const gview_t *a, const gview_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_parts; i++) {
        const gv_part_t *p = &b->parts[i];
        const gv_part_t *q = gview_part(a, p->u.table, p->u.partition);
        n += q ? q->owner != p->owner : p->owner != 0;
    }
    return n;
}

uint64_t gview_new_member(const gview_t *before, const gview_t *after)
{
    uint64_t found = 0;
    for (size_t i = 0; i < after->n_members; i++) {
        if (gview_member(before, after->members[i].cid))
            continue;
        if (found)
            return 0;
        found = after->members[i].cid;
    }
    return found;
}

bool gview_committed_backwards(const gview_t *before, const gview_t *after, char *why,
                               size_t cap)
{
    for (size_t i = 0; i < after->n_parts; i++) {
        const gv_part_t *p = &after->parts[i];
        const gv_part_t *q = gview_part(before, p->u.table, p->u.partition);
        if (q && p->committed < q->committed) {
            snprintf(why, cap, "committed position of %s/%d moved back from %lld to %lld",
                     p->u.table, p->u.partition, (long long)q->committed,
                     (long long)p->committed);
            return true;
        }
    }
    return false;
}

const char *gview_describe(const gview_t *v, char *buf, size_t cap)
{
    size_t n = 0;
#define PUT(...)                                                                      \
    do {                                                                              \
        if (n < cap) {                                                                \
            int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);                         \
            n = k_ < 0 ? cap : n + (size_t)k_;                                        \
        }                                                                             \
    } while (0)
    if (!cap)
        return buf;
    buf[0] = 0;
    PUT("gen %lld;", (long long)v->generation);
    for (size_t i = 0; i < v->n_members; i++) {
        const gv_member_t *m = &v->members[i];
        PUT(" %llu%s:[", (unsigned long long)m->cid, m->silent ? "(silent)" : "");
        for (size_t k = 0; k < m->n_units; k++)
            PUT("%s%s/%d", k ? " " : "", m->units[k].table, m->units[k].partition);
        PUT("]");
    }
    PUT(";");
    for (size_t i = 0; i < v->n_parts; i++) {
        const gv_part_t *p = &v->parts[i];
        PUT(" %s/%d o=%llu c=%lld d=%lld n=%lld", p->u.table, p->u.partition,
            (unsigned long long)p->owner, (long long)p->committed, (long long)p->delivered,
            (long long)p->next);
    }
#undef PUT
    if (n >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
    return buf;
}

/* ------------------------------------------------------------------------
 * ownership history
 * ------------------------------------------------------------------------ */

static gv_hist_entry_t *hist_find(const gv_history_t *h, uint64_t cid, const gv_unit_t *u)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].cid == cid && unit_eq(&h->v[i].u, u))
            return &h->v[i];
    return NULL;
}

cs_err_t gv_history_update(gv_history_t *h, const gview_t *view, cs_error_t *err)
{
    bool *now = calloc(h->n + view->n_parts + 1, sizeof *now);
    if (!now)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    cs_err_t rc = CS_OK;
    for (size_t i = 0; i < view->n_parts; i++) {
        const gv_part_t *p = &view->parts[i];
        if (!p->owner)
            continue;
        gv_hist_entry_t *e = hist_find(h, p->owner, &p->u);
        if (!e) {
            if (h->n == h->cap) {
                size_t cap = h->cap ? 2 * h->cap : 64;
                gv_hist_entry_t *nv = realloc(h->v, cap * sizeof *nv);
                if (!nv) {
                    rc = cs_fail(err, CS_ENOMEM, "out of memory");
                    break;
                }
                h->v = nv;
                h->cap = cap;
            }
            e = &h->v[h->n++];
            memset(e, 0, sizeof *e);
            e->cid = p->owner;
            e->u = p->u;
        }
        if (!e->owned)
            e->gains++;
        now[e - h->v] = true;
    }
    for (size_t i = 0; rc == CS_OK && i < h->n; i++)
        h->v[i].owned = now[i];
    free(now);
    return rc;
}

unsigned gv_history_gains(const gv_history_t *h, uint64_t cid, const char *table, int partition)
{
    gv_unit_t u;
    if (!unit_set(&u, table, partition))
        return 0;
    const gv_hist_entry_t *e = hist_find(h, cid, &u);
    return e ? e->gains : 0;
}

void gv_history_free(gv_history_t *h)
{
    free(h->v);
    memset(h, 0, sizeof *h);
}
