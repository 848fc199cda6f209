/*
 * schema.c - table schemas: built from CREATE TABLE, evolved by ALTER
 * TABLE, written to and read from the service's table JSON (schema.h).
 *
 * Sections: construction helpers, validation, schema_create,
 * schema_alter, JSON out, JSON in, TTL. Every schema owns one arena; a
 * failed build frees it in one place (schema_free).
 */
#include "schema.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "row.h"

#define SCHEMA_ARENA_MAX (64u << 20)

/* ------------------------------------------------------------------------
 * construction helpers
 * ------------------------------------------------------------------------ */

static schema_t *schema_new(void)
{
    schema_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    arena_init(&s->arena, SCHEMA_ARENA_MAX);
    s->uuid_field = -1;
    return s;
}

void schema_free(schema_t *s)
{
    if (!s)
        return;
    arena_free(&s->arena);
    free(s);
}

static char *adup(arena_t *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* Deep copy of a type into arena a (NULL on arena exhaustion). */
static ddl_type_t *copy_type(arena_t *a, const ddl_type_t *t)
{
    ddl_type_t *c = arena_memdup(a, t, sizeof *t);
    if (!c)
        return NULL;
    if (t->nsymbols) {
        c->symbols = arena_calloc(a, t->nsymbols, sizeof(char *));
        if (!c->symbols)
            return NULL;
        for (uint32_t i = 0; i < t->nsymbols; i++)
            if (!(c->symbols[i] = adup(a, t->symbols[i])))
                return NULL;
    }
    if (t->elem && !(c->elem = copy_type(a, t->elem)))
        return NULL;
    if (t->nfields) {
        c->fields = arena_calloc(a, t->nfields, sizeof(ddl_field_t));
        if (!c->fields)
            return NULL;
        for (uint32_t i = 0; i < t->nfields; i++) {
            const ddl_field_t *f = &t->fields[i];
            ddl_field_t *g = &c->fields[i];
            *g = *f;
            g->identity = NULL;
            if (!(g->name = adup(a, f->name)) || !(g->type = copy_type(a, f->type)))
                return NULL;
            if (f->def.text && !(g->def.text = adup(a, f->def.text)))
                return NULL;
            if (f->comment && !(g->comment = adup(a, f->comment)))
                return NULL;
        }
    }
    return c;
}

static bool type_is_key_capable(const ddl_type_t *t)
{
    switch (t->kind) {
    case DDL_T_INTEGER: case DDL_T_LONG: case DDL_T_FLOAT: case DDL_T_DOUBLE:
    case DDL_T_NUMBER: case DDL_T_STRING: case DDL_T_ENUM: case DDL_T_TIMESTAMP:
    case DDL_T_BOOLEAN:
        return true;
    default:
        return false;
    }
}

int schema_field_index(const schema_t *s, const char *name)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (strcasecmp(s->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool schema_has_generated(const schema_t *s)
{
    return s->has_identity || s->uuid_field >= 0;
}

/* ------------------------------------------------------------------------
 * validation
 * ------------------------------------------------------------------------ */

/* Validate a (copied, mutable) type: ENUM symbols unique, RECORD fields
 * unique with valid canonical defaults. Canonicalizes RECORD field
 * defaults in place. */
static cs_err_t check_type(arena_t *a, ddl_type_t *t, const char *field, int depth,
                           cs_error_t *err)
{
    if (depth > DDL_MAX_DEPTH)
        return cs_fail(err, CS_EINVAL, "The type of field '%s' is nested too deeply", field);
    switch (t->kind) {
    case DDL_T_ENUM:
        if (t->nsymbols > 65535)
            return cs_fail(err, CS_EINVAL, "Invalid ENUM type for field '%s': too many symbols",
                           field);
        for (uint32_t i = 0; i < t->nsymbols; i++)
            for (uint32_t j = 0; j < i; j++)
                if (strcmp(t->symbols[i], t->symbols[j]) == 0)
                    return cs_fail(err, CS_EINVAL,
                                   "Invalid ENUM type for field '%s': duplicate symbol %s",
                                   field, t->symbols[i]);
        return CS_OK;
    case DDL_T_ARRAY:
    case DDL_T_MAP:
        return check_type(a, t->elem, field, depth + 1, err);
    case DDL_T_RECORD:
        for (uint32_t i = 0; i < t->nfields; i++) {
            ddl_field_t *f = &t->fields[i];
            for (uint32_t j = 0; j < i; j++)
                if (strcasecmp(f->name, t->fields[j].name) == 0)
                    return cs_fail(err, CS_EINVAL, "Duplicate field name in RECORD of field "
                                   "'%s': %s", field, f->name);
            cs_err_t rc = check_type(a, f->type, f->name, depth + 1, err);
            if (rc != CS_OK)
                return rc;
            if (f->def.kind != DDL_LIT_NONE) {
                char *canon;
                rc = row_default_canon(a, f->type, &f->def, f->name, &canon, err);
                if (rc != CS_OK)
                    return rc;
                f->def.text = canon;
            } else if (f->not_null) {
                return cs_fail(err, CS_EINVAL,
                               "Not nullable field %s must have a default value", f->name);
            }
        }
        return CS_OK;
    default:
        return CS_OK;
    }
}

/* Copy a column definition into schema field `sf` (type, default, comment),
 * validating type and default. Key-ness is decided later. */
static cs_err_t set_field(schema_t *s, schema_field_t *sf, const ddl_field_t *f,
                          cs_error_t *err)
{
    arena_t *a = &s->arena;
    if (!(sf->name = adup(a, f->name)) || !(sf->type = copy_type(a, f->type)) ||
        (f->comment && !(sf->comment = adup(a, f->comment))))
        return cs_fail(err, CS_ENOMEM, "out of memory building the schema");
    sf->key_pos = -1;
    sf->nullable = !f->not_null;
    cs_err_t rc = check_type(a, sf->type, f->name, 1, err);
    if (rc != CS_OK)
        return rc;
    if (f->def.kind != DDL_LIT_NONE) {
        rc = row_default_canon(a, sf->type, &f->def, f->name, &sf->def_text, err);
        if (rc != CS_OK)
            return rc;
        sf->has_default = true;
        buf_t b;
        nson_writer_t w;
        buf_init(&b, 0);
        nson_writer_init(&w, &b);
        row_default_write(&w, sf->type, sf->def_text);
        bool ok = nson_writer_ok(&w) && buf_ok(&b);
        sf->def_nson = ok ? arena_memdup(a, b.data, b.len) : NULL;
        sf->def_nson_len = b.len;
        buf_free(&b);
        if (!sf->def_nson)
            return cs_fail(err, CS_ENOMEM, "out of memory building the schema");
    }
    return CS_OK;
}

/* Set up s->identity from a column's GENERATED AS IDENTITY. */
static cs_err_t set_identity(schema_t *s, uint32_t idx, const ddl_identity_t *id,
                             cs_error_t *err)
{
    const schema_field_t *f = &s->fields[idx];
    if (s->has_identity)
        return cs_fail(err, CS_EINVAL, "Only one IDENTITY field is allowed in a table.");
    int64_t lo, hi;
    bool bounded = true;
    switch (f->type->kind) {
    case DDL_T_INTEGER: lo = INT32_MIN; hi = INT32_MAX; break;
    case DDL_T_LONG:    lo = INT64_MIN; hi = INT64_MAX; break;
    case DDL_T_NUMBER:  lo = INT64_MIN; hi = INT64_MAX; bounded = false; break;
    default:
        return cs_fail(err, CS_EINVAL, "Identity field must be one of the following numeric "
                       "data types: INTEGER, LONG or NUMBER.");
    }
    schema_identity_t *si = &s->identity;
    si->field = idx;
    si->always = id->always;
    si->on_null = id->on_null;
    si->start = id->start;
    si->increment = id->increment;
    si->cache = id->cache;
    si->cycle = id->cycle;
    si->has_min = id->has_min || bounded;
    si->has_max = id->has_max || bounded;
    si->min = id->has_min ? id->min : lo;
    si->max = id->has_max ? id->max : hi;
    const char *tn = ddl_tkind_name(f->type->kind);
    if ((id->start < lo || id->start > hi) || (id->has_min && (id->min < lo || id->min > hi)) ||
        (id->has_max && (id->max < lo || id->max > hi)) ||
        id->increment < lo || id->increment > hi)
        return cs_fail(err, CS_EINVAL, "Identity sequence values of field %s must fit its "
                       "type %s", f->name, tn);
    if (id->increment == 0)
        return cs_fail(err, CS_EINVAL, "Increment value cannot be 0.");
    if (si->has_min && si->has_max && si->min >= si->max)
        return cs_fail(err, CS_EINVAL, "The MINVALUE must be less than the MAXVALUE.");
    if ((si->has_min && si->start < si->min) || (si->has_max && si->start > si->max))
        return cs_fail(err, CS_EINVAL, "The START WITH value must be between the MINVALUE "
                       "and the MAXVALUE.");
    s->has_identity = true;
    return CS_OK;
}

/* Checks shared by create and alter for one top-level column. */
static cs_err_t check_column(schema_t *s, uint32_t idx, const ddl_field_t *f, cs_error_t *err)
{
    schema_field_t *sf = &s->fields[idx];
    if (f->identity) {
        cs_err_t rc = set_identity(s, idx, f->identity, err);
        if (rc != CS_OK)
            return rc;
    }
    if (sf->type->as_uuid && sf->type->uuid_generated) {
        if (s->uuid_field >= 0 || s->has_identity)
            return cs_fail(err, CS_EINVAL, "Only one IDENTITY field or one STRING AS UUID "
                           "GENERATED BY DEFAULT field is allowed in a table.");
        s->uuid_field = (int)idx;
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * schema_create
 * ------------------------------------------------------------------------ */

schema_t *schema_create(const ddl_stmt_t *st, const schema_t *parent, cs_error_t *err)
{
    schema_t *s = NULL;
    cs_err_t rc = CS_OK;
    const char *dot = st->table ? strrchr(st->table, '.') : NULL;

    if (st->kind != DDL_CREATE_TABLE) {
        cs_fail(err, CS_EINVAL, "not a CREATE TABLE statement");
        return NULL;
    }
    if (dot && !parent) {
        cs_fail(err, CS_ENOTABLE, "Parent table does not exist: %.*s", (int)(dot - st->table),
                st->table);
        return NULL;
    }
    if (!dot && parent) {
        cs_fail(err, CS_EINVAL, "Table %s is not a child table", st->table);
        return NULL;
    }
    if (parent && st->nshard >= 0) {
        cs_fail(err, CS_EINVAL, "Child tables cannot have a shard key.");
        return NULL;
    }
    if (!(s = schema_new())) {
        cs_fail(err, CS_ENOMEM, "out of memory");
        return NULL;
    }
    arena_t *a = &s->arena;
    uint32_t np = parent ? parent->npk : 0;
    s->nfields = np + st->nfields;
    s->npk = np + st->npk;
    s->fields = arena_calloc(a, s->nfields ? s->nfields : 1, sizeof *s->fields);
    s->pk = arena_calloc(a, s->npk, sizeof *s->pk);
    s->pk_sizes = arena_calloc(a, s->npk, sizeof *s->pk_sizes);
    if (!s->fields || !s->pk || !s->pk_sizes || (st->comment && !(s->comment = adup(a, st->comment)))) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    s->nparent_keys = np;
    if (st->has_ttl)
        s->ttl = st->ttl;
    s->frozen = st->frozen;
    s->before_image = st->before_image;
    if (st->has_before_image_ttl)
        s->before_image_ttl = st->before_image_ttl;

    /* the parent's key columns come first, in the parent's key order */
    for (uint32_t i = 0; i < np; i++) {
        const schema_field_t *pf = &parent->fields[parent->pk[i]];
        schema_field_t *sf = &s->fields[i];
        *sf = *pf;
        if (!(sf->name = adup(a, pf->name)) || !(sf->type = copy_type(a, pf->type)) ||
            (pf->comment && !(sf->comment = adup(a, pf->comment)))) {
            rc = cs_fail(err, CS_ENOMEM, "out of memory");
            goto fail;
        }
        sf->has_default = false;
        sf->def_text = NULL;
        sf->def_nson = NULL;
        sf->def_nson_len = 0;
        sf->key_pos = (int)i;
        sf->nullable = false;
        s->pk[i] = i;
        s->pk_sizes[i] = parent->pk_sizes[i];
    }
    for (uint32_t i = 0; i < st->nfields; i++) {
        const ddl_field_t *f = &st->fields[i];
        uint32_t idx = np + i;
        for (uint32_t j = 0; j < idx; j++) {
            if (strcasecmp(s->fields[j].name, f->name) != 0)
                continue;
            if (j < np)
                rc = cs_fail(err, CS_EINVAL, "Cannot add field, it already exists in primary key "
                             "fields of its parent table: %s", f->name);
            else
                rc = cs_fail(err, CS_EINVAL, "Cannot add field, %s, it already exists", f->name);
            goto fail;
        }
        if ((rc = set_field(s, &s->fields[idx], f, err)) != CS_OK ||
            (rc = check_column(s, idx, f, err)) != CS_OK)
            goto fail;
    }

    /* primary key: the parent's, then the declared columns */
    for (uint32_t i = 0; i < st->npk; i++) {
        const ddl_key_col_t *k = &st->pk[i];
        uint32_t kp = np + i;
        int idx = schema_field_index(s, k->name);
        if (idx < 0) {
            rc = cs_fail(err, CS_EINVAL, "Error found when creating the table: Primary key field "
                         "is not a valid field: %s", k->name);
            goto fail;
        }
        schema_field_t *sf = &s->fields[idx];
        if (sf->key_pos >= 0) {
            rc = cs_fail(err, CS_EINVAL, "The primary key field already exists: %s", k->name);
            goto fail;
        }
        if (!type_is_key_capable(sf->type)) {
            rc = cs_fail(err, CS_EINVAL, "Error found when creating the table: Field type cannot "
                         "be part of a primary key: %s, field name: %s",
                         ddl_tkind_name(sf->type->kind), sf->name);
            goto fail;
        }
        if (sf->has_default) {
            rc = cs_fail(err, CS_EINVAL, "Error found when creating the table: Primary key "
                         "fields can not have default values");
            goto fail;
        }
        if (k->size && sf->type->kind != DDL_T_INTEGER) {
            rc = cs_fail(err, CS_EINVAL, "Only Integer sizes can be constrained. Invalid type: %s",
                         ddl_tkind_name(sf->type->kind));
            goto fail;
        }
        sf->key_pos = (int)kp;
        sf->nullable = false;
        s->pk[kp] = (uint32_t)idx;
        s->pk_sizes[kp] = k->size;
    }
    if (parent && st->npk == 0) {
        rc = cs_fail(err, CS_EINVAL, "Child table needs a primary key component");
        goto fail;
    }
    if (parent)
        s->nshard = parent->nshard;
    else
        s->nshard = st->nshard >= 0 ? (uint32_t)st->nshard : s->npk;

    /* non-key NOT NULL columns need a default */
    for (uint32_t i = 0; i < s->nfields; i++) {
        schema_field_t *sf = &s->fields[i];
        if (sf->key_pos < 0 && !sf->nullable && !sf->has_default &&
            !(s->has_identity && s->identity.field == i)) {
            rc = cs_fail(err, CS_EINVAL, "Error found when creating the table: Not nullable "
                         "field %s must have a default value", sf->name);
            goto fail;
        }
    }
    return s;
fail:
    (void)rc;
    schema_free(s);
    return NULL;
}

/* ------------------------------------------------------------------------
 * schema_alter
 * ------------------------------------------------------------------------ */

/* Deep copy of a whole schema with room for `extra` more fields. */
static schema_t *schema_copy(const schema_t *o, uint32_t extra, uint32_t extra_dropped)
{
    schema_t *s = schema_new();
    if (!s)
        return NULL;
    arena_t *a = &s->arena;
    s->nfields = o->nfields;
    s->npk = o->npk;
    s->nshard = o->nshard;
    s->nparent_keys = o->nparent_keys;
    s->ttl = o->ttl;
    s->has_identity = o->has_identity;
    s->identity = o->identity;
    s->uuid_field = o->uuid_field;
    s->frozen = o->frozen;
    s->before_image = o->before_image;
    s->before_image_ttl = o->before_image_ttl;
    s->fields = arena_calloc(a, o->nfields + extra + 1, sizeof *s->fields);
    s->pk = arena_memdup(a, o->pk, o->npk * sizeof *o->pk);
    s->pk_sizes = arena_memdup(a, o->pk_sizes, o->npk * sizeof *o->pk_sizes);
    s->dropped = arena_calloc(a, o->ndropped + extra_dropped + 1, sizeof *s->dropped);
    if (!s->fields || !s->pk || !s->pk_sizes || !s->dropped ||
        (o->comment && !(s->comment = adup(a, o->comment))))
        goto fail;
    for (uint32_t i = 0; i < o->nfields; i++) {
        const schema_field_t *of = &o->fields[i];
        schema_field_t *sf = &s->fields[i];
        *sf = *of;
        if (!(sf->name = adup(a, of->name)) || !(sf->type = copy_type(a, of->type)) ||
            (of->comment && !(sf->comment = adup(a, of->comment))) ||
            (of->def_text && !(sf->def_text = adup(a, of->def_text))) ||
            (of->def_nson && !(sf->def_nson = arena_memdup(a, of->def_nson, of->def_nson_len))))
            goto fail;
    }
    s->ndropped = o->ndropped;
    for (uint32_t i = 0; i < o->ndropped; i++)
        if (!(s->dropped[i].name = adup(a, o->dropped[i].name)) ||
            !(s->dropped[i].type_json = adup(a, o->dropped[i].type_json)))
            goto fail;
    return s;
fail:
    schema_free(s);
    return NULL;
}

static char *type_json_text(const ddl_type_t *t);

/* Find the RECORD type that holds path[0..npath-1) inside s; NULL with err
 * set when a step is missing or not a RECORD. */
static ddl_type_t *find_record(schema_t *s, char **path, uint32_t npath, cs_error_t *err)
{
    int idx = schema_field_index(s, path[0]);
    if (idx < 0) {
        cs_fail(err, CS_EINVAL, "Field does not exist: %s", path[0]);
        return NULL;
    }
    ddl_type_t *t = s->fields[idx].type;
    for (uint32_t i = 1; i < npath; i++) {
        if (t->kind != DDL_T_RECORD) {
            cs_fail(err, CS_EINVAL, "Field %s is not a RECORD", path[i - 1]);
            return NULL;
        }
        ddl_type_t *next = NULL;
        for (uint32_t j = 0; j < t->nfields; j++)
            if (strcasecmp(t->fields[j].name, path[i]) == 0)
                next = t->fields[j].type;
        if (!next) {
            cs_fail(err, CS_EINVAL, "Field does not exist: %s", path[i]);
            return NULL;
        }
        t = next;
    }
    if (t->kind != DDL_T_RECORD) {
        cs_fail(err, CS_EINVAL, "Field %s is not a RECORD", path[npath - 1]);
        return NULL;
    }
    return t;
}

static cs_err_t alter_add(schema_t *s, const ddl_alter_op_t *op, cs_error_t *err)
{
    const ddl_field_t *f = &op->field;
    arena_t *a = &s->arena;
    cs_err_t rc;
    if (op->npath == 1) {
        if (schema_field_index(s, f->name) >= 0)
            return cs_fail(err, CS_EINVAL, "Cannot add field, %s, it already exists", f->name);
        uint32_t idx = s->nfields;
        schema_field_t *sf = &s->fields[idx];
        if ((rc = set_field(s, sf, f, err)) != CS_OK)
            return rc;
        for (uint32_t i = 0; i < s->ndropped; i++) {
            if (strcasecmp(s->dropped[i].name, f->name) != 0)
                continue;
            char *tj = type_json_text(sf->type);
            bool same = tj && strcmp(tj, s->dropped[i].type_json) == 0;
            free(tj);
            if (!same)
                return cs_fail(err, CS_EINVAL, "Cannot add field, %s. A version of the table "
                               "contains this name and the types do not match", f->name);
        }
        s->nfields++;
        if ((rc = check_column(s, idx, f, err)) != CS_OK)
            return rc;
        if (!sf->nullable && !sf->has_default &&
            !(s->has_identity && s->identity.field == idx))
            return cs_fail(err, CS_EINVAL, "Not nullable field %s must have a default value",
                           sf->name);
        return CS_OK;
    }
    ddl_type_t *rec = find_record(s, op->path, op->npath - 1, err);
    if (!rec)
        return CS_EINVAL;
    for (uint32_t j = 0; j < rec->nfields; j++)
        if (strcasecmp(rec->fields[j].name, f->name) == 0)
            return cs_fail(err, CS_EINVAL, "Cannot add field, %s, it already exists", f->name);
    ddl_field_t *nf = arena_calloc(a, rec->nfields + 1, sizeof *nf);
    if (!nf)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    memcpy(nf, rec->fields, rec->nfields * sizeof *nf);
    ddl_field_t *g = &nf[rec->nfields];
    *g = *f;
    g->identity = NULL;
    if (!(g->name = adup(a, f->name)) || !(g->type = copy_type(a, f->type)) ||
        (f->def.text && !(g->def.text = adup(a, f->def.text))) ||
        (f->comment && !(g->comment = adup(a, f->comment))))
        return cs_fail(err, CS_ENOMEM, "out of memory");
    rec->fields = nf;
    rec->nfields++;
    /* validates the new field and canonicalizes its default */
    ddl_type_t one = {.kind = DDL_T_RECORD, .fields = g, .nfields = 1};
    return check_type(a, &one, f->name, 1, err);
}

static cs_err_t alter_drop(schema_t *s, const ddl_alter_op_t *op, cs_error_t *err)
{
    if (op->npath == 1) {
        int idx = schema_field_index(s, op->path[0]);
        if (idx < 0)
            return cs_fail(err, CS_EINVAL, "Field does not exist: %s", op->path[0]);
        schema_field_t *sf = &s->fields[idx];
        if (sf->key_pos >= 0)
            return cs_fail(err, CS_EINVAL, "Cannot remove a primary key field: %s", sf->name);
        char *tj = type_json_text(sf->type);
        if (!tj)
            return cs_fail(err, CS_ENOMEM, "out of memory");
        s->dropped[s->ndropped].name = sf->name;
        s->dropped[s->ndropped].type_json = adup(&s->arena, tj);
        free(tj);
        if (!s->dropped[s->ndropped].type_json)
            return cs_fail(err, CS_ENOMEM, "out of memory");
        s->ndropped++;
        if (s->has_identity && s->identity.field == (uint32_t)idx)
            s->has_identity = false;
        if (s->uuid_field == idx)
            s->uuid_field = -1;
        memmove(sf, sf + 1, (s->nfields - (uint32_t)idx - 1) * sizeof *sf);
        s->nfields--;
        /* renumber references to later columns */
        for (uint32_t i = 0; i < s->npk; i++)
            if (s->pk[i] > (uint32_t)idx)
                s->pk[i]--;
        if (s->has_identity && s->identity.field > (uint32_t)idx)
            s->identity.field--;
        if (s->uuid_field > idx)
            s->uuid_field--;
        return CS_OK;
    }
    ddl_type_t *rec = find_record(s, op->path, op->npath - 1, err);
    if (!rec)
        return CS_EINVAL;
    for (uint32_t j = 0; j < rec->nfields; j++) {
        if (strcasecmp(rec->fields[j].name, op->path[op->npath - 1]) != 0)
            continue;
        if (rec->nfields == 1)
            return cs_fail(err, CS_EINVAL, "Cannot remove the only field of a RECORD: %s",
                           op->path[op->npath - 1]);
        memmove(&rec->fields[j], &rec->fields[j + 1], (rec->nfields - j - 1) * sizeof *rec->fields);
        rec->nfields--;
        return CS_OK;
    }
    return cs_fail(err, CS_EINVAL, "Field does not exist: %s", op->path[op->npath - 1]);
}

schema_t *schema_alter(const schema_t *old, const ddl_stmt_t *st, cs_error_t *err)
{
    if (st->kind != DDL_ALTER_TABLE) {
        cs_fail(err, CS_EINVAL, "not an ALTER TABLE statement");
        return NULL;
    }
    uint32_t nadd = 0, ndrop = 0;
    for (uint32_t i = 0; i < st->nops; i++) {
        if (st->ops[i].kind == DDL_ALTER_ADD)
            nadd++;
        else
            ndrop++;
    }
    if (st->alter == DDL_ALTER_FIELDS && old->frozen) {
        cs_fail(err, CS_EINVAL, "Cannot alter the fields of a table whose schema is frozen");
        return NULL;
    }
    schema_t *s = schema_copy(old, nadd, ndrop);
    if (!s) {
        cs_fail(err, CS_ENOMEM, "out of memory");
        return NULL;
    }
    cs_err_t rc = CS_OK;
    switch (st->alter) {
    case DDL_ALTER_TTL:
        s->ttl = st->ttl;
        break;
    case DDL_ALTER_FREEZE:
        s->frozen = true;
        break;
    case DDL_ALTER_UNFREEZE:
        s->frozen = false;
        break;
    case DDL_ALTER_ENABLE_BEFORE_IMAGE:
        s->before_image = true;
        s->before_image_ttl = st->has_before_image_ttl ? st->before_image_ttl : (ttl_t){0, TTL_DAYS};
        break;
    case DDL_ALTER_DISABLE_BEFORE_IMAGE:
        s->before_image = false;
        s->before_image_ttl = (ttl_t){0, TTL_DAYS};
        break;
    case DDL_ALTER_FIELDS:
        for (uint32_t i = 0; i < st->nops && rc == CS_OK; i++)
            rc = st->ops[i].kind == DDL_ALTER_ADD ? alter_add(s, &st->ops[i], err)
                                                  : alter_drop(s, &st->ops[i], err);
        break;
    }
    if (rc != CS_OK) {
        schema_free(s);
        return NULL;
    }
    return s;
}

/* ------------------------------------------------------------------------
 * index paths
 * ------------------------------------------------------------------------ */

/* Next step of an index path at *p: a name (plain or "quoted"), "[]",
 * "keys()" or "values()". Returns false at the end or on junk. */
static bool path_step(const char **p, char *name, size_t cap, bool *is_name)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '.')
        s++;
    if (s[0] == '[' && s[1] == ']') {
        *p = s + 2;
        *is_name = false;
        snprintf(name, cap, "[]");
        return true;
    }
    if (*s == '"') {
        for (s++; *s && *s != '"' && n + 1 < cap; s++)
            name[n++] = *s;
        if (*s != '"')
            return false;
        s++;
    } else {
        for (; *s && *s != '.' && *s != '[' && *s != '(' && n + 1 < cap; s++)
            name[n++] = *s;
        if (s[0] == '(' && s[1] == ')') {   /* keys() / values() */
            s += 2;
            name[n] = '\0';
            *p = s;
            *is_name = false;
            return strcasecmp(name, "keys") == 0 || strcasecmp(name, "values") == 0;
        }
    }
    name[n] = '\0';
    *p = s;
    *is_name = true;
    return n > 0;
}

static cs_err_t check_index_path(const schema_t *s, const ddl_index_field_t *f, cs_error_t *err)
{
    const char *p = f->path;
    char step[DDL_MAX_NAME * 4 + 8];
    bool is_name;
    const ddl_type_t *t = NULL;
    bool json = false;

    /* a path starting with a function (modification_time(), keys(m),
     * elementof(a), ...) is taken as written */
    if (p[strcspn(p, ".[(\"")] == '(')
        return CS_OK;
    if (!path_step(&p, step, sizeof step, &is_name) || !is_name)
        return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s", f->path);
    int idx = schema_field_index(s, step);
    if (idx < 0)
        return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. Field does not "
                       "exist: %s", f->path, step);
    t = s->fields[idx].type;
    while (*p && !json) {
        if (t->kind == DDL_T_JSON) {
            json = true;
            break;
        }
        if (!path_step(&p, step, sizeof step, &is_name))
            return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s", f->path);
        if (t->kind == DDL_T_RECORD && is_name) {
            const ddl_type_t *next = NULL;
            for (uint32_t i = 0; i < t->nfields && !next; i++)
                if (strcasecmp(t->fields[i].name, step) == 0)
                    next = t->fields[i].type;
            if (!next)
                return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. Field does "
                               "not exist: %s", f->path, step);
            t = next;
        } else if (t->kind == DDL_T_ARRAY && !is_name && strcmp(step, "[]") == 0) {
            t = t->elem;
        } else if (t->kind == DDL_T_MAP && !is_name && strcasecmp(step, "keys") == 0) {
            static const ddl_type_t str = {.kind = DDL_T_STRING};
            t = &str;
        } else if (t->kind == DDL_T_MAP && (is_name || strcasecmp(step, "values") == 0)) {
            t = t->elem;
        } else {
            return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. '%s' cannot "
                           "follow a field of type %s", f->path, step, ddl_tkind_name(t->kind));
        }
    }
    if (t->kind == DDL_T_JSON)
        json = true;
    if (json && !f->type)
        return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. An index on a JSON "
                       "field must declare its type with AS", f->path);
    if (!json && f->type)
        return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. AS %s is only "
                       "allowed for JSON fields", f->path, f->type);
    switch (json ? DDL_T_STRING : t->kind) {
    case DDL_T_RECORD: case DDL_T_MAP: case DDL_T_ARRAY: case DDL_T_BINARY:
    case DDL_T_FIXED_BINARY:
        return cs_fail(err, CS_EINVAL, "Invalid index field definition: %s. Fields of type %s "
                       "cannot be indexed", f->path, ddl_tkind_name(t->kind));
    default:
        return CS_OK;
    }
}

cs_err_t schema_check_index(const schema_t *s, const ddl_stmt_t *st, cs_error_t *err)
{
    if (st->kind != DDL_CREATE_INDEX)
        return cs_fail(err, CS_EINVAL, "not a CREATE INDEX statement");
    for (uint32_t i = 0; i < st->nifields; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (strcasecmp(st->ifields[i].path, st->ifields[j].path) == 0)
                return cs_fail(err, CS_EINVAL, "Index field %s appears twice", st->ifields[i].path);
        cs_err_t rc = check_index_path(s, &st->ifields[i], err);
        if (rc != CS_OK)
            return rc;
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * JSON out (hand-written so numbers keep their exact canonical text)
 * ------------------------------------------------------------------------ */

static void js_str(buf_t *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20)
                buf_printf(b, "\\u%04x", *p);
            else
                buf_putc(b, *p);
        }
    }
    buf_putc(b, '"');
}

static void js_key(buf_t *b, bool *first, const char *k)
{
    if (!*first)
        buf_putc(b, ',');
    *first = false;
    js_str(b, k);
    buf_putc(b, ':');
}

static void js_type_body(buf_t *b, bool *first, const ddl_type_t *t);

static void js_field(buf_t *b, const char *name, const ddl_type_t *t, bool nullable,
                     const char *def_text, const char *comment)
{
    bool first = true;
    buf_putc(b, '{');
    js_key(b, &first, "name");
    js_str(b, name);
    js_key(b, &first, "type");
    js_str(b, ddl_tkind_name(t->kind));
    js_key(b, &first, "nullable");
    buf_printf(b, "%s", nullable ? "true" : "false");
    if (def_text) {
        js_key(b, &first, "default");
        switch (t->kind) {
        case DDL_T_INTEGER: case DDL_T_LONG: case DDL_T_FLOAT: case DDL_T_DOUBLE:
        case DDL_T_BOOLEAN:
            buf_printf(b, "%s", def_text);
            break;
        default:   /* strings, ENUM, TIMESTAMP, BINARY (base64), NUMBER (exact) */
            js_str(b, def_text);
        }
    }
    js_type_body(b, &first, t);
    if (comment) {
        js_key(b, &first, "csemu_comment");
        js_str(b, comment);
    }
    buf_putc(b, '}');
}

/* The type-specific keys of a field or collection element object. */
static void js_type_body(buf_t *b, bool *first, const ddl_type_t *t)
{
    switch (t->kind) {
    case DDL_T_ENUM:
        js_key(b, first, "symbols");
        buf_putc(b, '[');
        for (uint32_t i = 0; i < t->nsymbols; i++) {
            if (i)
                buf_putc(b, ',');
            js_str(b, t->symbols[i]);
        }
        buf_putc(b, ']');
        break;
    case DDL_T_FIXED_BINARY:
        js_key(b, first, "size");
        buf_printf(b, "%d", t->size);
        break;
    case DDL_T_TIMESTAMP:
        js_key(b, first, "precision");
        buf_printf(b, "%d", t->precision);
        break;
    case DDL_T_STRING:
        if (t->as_uuid) {
            js_key(b, first, "as uuid");
            buf_printf(b, "true");
            if (t->uuid_generated) {
                js_key(b, first, "generated");
                buf_printf(b, "true");
            }
        }
        break;
    case DDL_T_ARRAY:
    case DDL_T_MAP: {
        bool f2 = true;
        js_key(b, first, "collection");
        buf_putc(b, '{');
        js_key(b, &f2, "type");
        js_str(b, ddl_tkind_name(t->elem->kind));
        js_type_body(b, &f2, t->elem);
        buf_putc(b, '}');
        break;
    }
    case DDL_T_RECORD:
        js_key(b, first, "fields");
        buf_putc(b, '[');
        for (uint32_t i = 0; i < t->nfields; i++) {
            const ddl_field_t *f = &t->fields[i];
            if (i)
                buf_putc(b, ',');
            js_field(b, f->name, f->type, !f->not_null,
                     f->def.kind != DDL_LIT_NONE ? f->def.text : NULL, f->comment);
        }
        buf_putc(b, ']');
        break;
    default:
        break;
    }
}

/* A type alone as JSON text (malloc'd): used to compare dropped columns. */
static char *type_json_text(const ddl_type_t *t)
{
    buf_t b;
    bool first = true;
    buf_init(&b, 0);
    buf_putc(&b, '{');
    js_key(&b, &first, "type");
    js_str(&b, ddl_tkind_name(t->kind));
    js_type_body(&b, &first, t);
    buf_putc(&b, '}');
    buf_putc(&b, '\0');
    if (!buf_ok(&b)) {
        buf_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)buf_steal(&b, &len);
}

static void js_ttl(buf_t *b, bool *first, const char *key, ttl_t t)
{
    char txt[32];
    ttl_format(t, txt, sizeof txt);
    js_key(b, first, key);
    js_str(b, txt);
}

char *schema_to_json(const schema_t *s, const char *table_name)
{
    buf_t b;
    bool first = true;
    const char *dot = strrchr(table_name, '.');
    buf_init(&b, 0);
    buf_putc(&b, '{');
    js_key(&b, &first, "json_version");
    buf_printf(&b, "1");
    js_key(&b, &first, "type");
    js_str(&b, "table");
    js_key(&b, &first, "name");
    js_str(&b, dot ? dot + 1 : table_name);
    if (s->ttl.value > 0)
        js_ttl(&b, &first, "ttl", s->ttl);
    if (s->comment) {
        js_key(&b, &first, "comment");
        js_str(&b, s->comment);
    }
    if (dot) {
        js_key(&b, &first, "parent");
        buf_putc(&b, '"');
        buf_append(&b, table_name, (size_t)(dot - table_name));
        buf_putc(&b, '"');
    }
    js_key(&b, &first, "fields");
    buf_putc(&b, '[');
    for (uint32_t i = 0; i < s->nfields; i++) {
        const schema_field_t *f = &s->fields[i];
        if (i)
            buf_putc(&b, ',');
        js_field(&b, f->name, f->type, f->nullable, f->has_default ? f->def_text : NULL,
                 f->comment);
    }
    buf_putc(&b, ']');
    js_key(&b, &first, "primaryKey");
    buf_putc(&b, '[');
    bool sizes = false;
    for (uint32_t i = 0; i < s->npk; i++) {
        if (i)
            buf_putc(&b, ',');
        js_str(&b, schema_pk_name(s, i));
        sizes |= s->pk_sizes[i] != 0;
    }
    buf_putc(&b, ']');
    if (sizes) {
        js_key(&b, &first, "primaryKeySizes");
        buf_putc(&b, '[');
        for (uint32_t i = 0; i < s->npk; i++)
            buf_printf(&b, "%s%d", i ? "," : "", s->pk_sizes[i]);
        buf_putc(&b, ']');
    }
    js_key(&b, &first, "shardKey");
    buf_putc(&b, '[');
    for (uint32_t i = 0; i < s->nshard; i++) {
        if (i)
            buf_putc(&b, ',');
        js_str(&b, schema_pk_name(s, i));
    }
    buf_putc(&b, ']');
    if (s->has_identity) {
        const schema_identity_t *id = &s->identity;
        bool f2 = true, f3 = true;
        js_key(&b, &first, "identity");
        buf_putc(&b, '{');
        js_key(&b, &f2, "name");
        js_str(&b, s->fields[id->field].name);
        js_key(&b, &f2, "always");
        buf_printf(&b, "%s", id->always ? "true" : "false");
        js_key(&b, &f2, "null");
        buf_printf(&b, "%s", id->on_null ? "true" : "false");
        js_key(&b, &f2, "sequence");
        buf_putc(&b, '{');
        js_key(&b, &f3, "start");
        buf_printf(&b, "%lld", (long long)id->start);
        js_key(&b, &f3, "increment");
        buf_printf(&b, "%lld", (long long)id->increment);
        if (id->has_min) {
            js_key(&b, &f3, "min");
            buf_printf(&b, "%lld", (long long)id->min);
        }
        if (id->has_max) {
            js_key(&b, &f3, "max");
            buf_printf(&b, "%lld", (long long)id->max);
        }
        js_key(&b, &f3, "cache");
        buf_printf(&b, "%lld", (long long)id->cache);
        js_key(&b, &f3, "cycle");
        buf_printf(&b, "%s", id->cycle ? "true" : "false");
        buf_append(&b, "}}", 2);
    }
    if (s->frozen) {
        js_key(&b, &first, "csemu_frozen");
        buf_printf(&b, "true");
    }
    if (s->before_image) {
        js_key(&b, &first, "csemu_before_image");
        buf_printf(&b, "true");
        if (s->before_image_ttl.value > 0)
            js_ttl(&b, &first, "csemu_before_image_ttl", s->before_image_ttl);
    }
    if (s->ndropped) {
        js_key(&b, &first, "csemu_dropped");
        buf_putc(&b, '[');
        for (uint32_t i = 0; i < s->ndropped; i++) {
            bool f2 = true;
            buf_printf(&b, "%s{", i ? "," : "");
            js_key(&b, &f2, "name");
            js_str(&b, s->dropped[i].name);
            js_key(&b, &f2, "type");
            buf_printf(&b, "%s", s->dropped[i].type_json);
            buf_putc(&b, '}');
        }
        buf_putc(&b, ']');
    }
    buf_putc(&b, '}');
    buf_putc(&b, '\0');
    if (!buf_ok(&b)) {
        buf_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)buf_steal(&b, &len);
}

/* ------------------------------------------------------------------------
 * JSON in
 * ------------------------------------------------------------------------ */

typedef struct jin {
    arena_t *a;
    cs_error_t *err;
    int depth;
} jin_t;

static bool corrupt(jin_t *J, const char *what)
{
    cs_fail(J->err, CS_ECORRUPT, "stored table schema is invalid: %s", what);
    return false;
}

static char *jstr(jin_t *J, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    return arena_strndup(J->a, json_string_value(v), json_string_length(v));
}

static bool jbool(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static bool json_kind(const char *name, ddl_tkind_t *k)
{
    for (int i = DDL_T_INTEGER; i <= DDL_T_RECORD; i++)
        if (strcmp(name, ddl_tkind_name((ddl_tkind_t)i)) == 0) {
            *k = (ddl_tkind_t)i;
            return true;
        }
    return false;
}

static bool jfield(jin_t *J, json_t *o, ddl_field_t *f);

/* The type described by object o ("type" plus its specific keys). */
static ddl_type_t *jtype(jin_t *J, json_t *o)
{
    if (++J->depth > DDL_MAX_DEPTH + 2) {
        corrupt(J, "type nested too deeply");
        return NULL;
    }
    ddl_type_t *t = arena_calloc(J->a, 1, sizeof *t);
    json_t *tn = json_object_get(o, "type");
    if (!t || !json_is_string(tn) || !json_kind(json_string_value(tn), &t->kind)) {
        corrupt(J, "bad field type");
        return NULL;
    }
    switch (t->kind) {
    case DDL_T_ENUM: {
        json_t *sy = json_object_get(o, "symbols");
        size_t n = json_array_size(sy);
        if (!json_is_array(sy) || n == 0 || !(t->symbols = arena_calloc(J->a, n, sizeof(char *)))) {
            corrupt(J, "bad ENUM symbols");
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(sy, i);
            if (!json_is_string(e) ||
                !(t->symbols[i] = arena_strndup(J->a, json_string_value(e), json_string_length(e)))) {
                corrupt(J, "bad ENUM symbol");
                return NULL;
            }
        }
        t->nsymbols = (uint32_t)n;
        break;
    }
    case DDL_T_FIXED_BINARY:
        t->size = (int)json_integer_value(json_object_get(o, "size"));
        if (t->size <= 0) {
            corrupt(J, "bad FIXED_BINARY size");
            return NULL;
        }
        break;
    case DDL_T_TIMESTAMP:
        t->precision = (int)json_integer_value(json_object_get(o, "precision"));
        if (t->precision < 0 || t->precision > 9) {
            corrupt(J, "bad TIMESTAMP precision");
            return NULL;
        }
        break;
    case DDL_T_STRING:
        t->as_uuid = jbool(o, "as uuid");
        t->uuid_generated = jbool(o, "generated");
        break;
    case DDL_T_ARRAY:
    case DDL_T_MAP: {
        json_t *c = json_object_get(o, "collection");
        if (!json_is_object(c) || !(t->elem = jtype(J, c)))
            return NULL;
        break;
    }
    case DDL_T_RECORD: {
        json_t *fs = json_object_get(o, "fields");
        size_t n = json_array_size(fs);
        if (!json_is_array(fs) || n == 0 || !(t->fields = arena_calloc(J->a, n, sizeof *t->fields))) {
            corrupt(J, "bad RECORD fields");
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            if (!jfield(J, json_array_get(fs, i), &t->fields[i]))
                return NULL;
        t->nfields = (uint32_t)n;
        break;
    }
    default:
        break;
    }
    J->depth--;
    return t;
}

/* The stored default of a field of type t as a literal for row_default_canon. */
static bool jdefault(jin_t *J, json_t *d, const ddl_type_t *t, ddl_literal_t *lit)
{
    char num[64];
    if (json_is_integer(d)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(d));
        lit->text = adup(J->a, num);
        lit->kind = DDL_LIT_NUMBER;
    } else if (json_is_real(d)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(d));
        lit->text = adup(J->a, num);
        lit->kind = DDL_LIT_NUMBER;
    } else if (json_is_boolean(d)) {
        lit->text = json_is_true(d) ? "true" : "false";
        lit->kind = DDL_LIT_BOOL;
    } else if (json_is_string(d)) {
        lit->text = arena_strndup(J->a, json_string_value(d), json_string_length(d));
        lit->kind = t->kind == DDL_T_ENUM ? DDL_LIT_ID
                  : t->kind == DDL_T_NUMBER ? DDL_LIT_NUMBER : DDL_LIT_STRING;
    } else {
        return corrupt(J, "bad default value");
    }
    return lit->text != NULL || corrupt(J, "out of memory");
}

static bool jfield(jin_t *J, json_t *o, ddl_field_t *f)
{
    if (!json_is_object(o) || !(f->name = jstr(J, o, "name")) || !(f->type = jtype(J, o)))
        return corrupt(J, "bad field");
    json_t *nl = json_object_get(o, "nullable");
    f->not_null = json_is_false(nl);
    f->comment = jstr(J, o, "csemu_comment");
    json_t *d = json_object_get(o, "default");
    if (d && !jdefault(J, d, f->type, &f->def))
        return false;
    return true;
}

static bool jttl(json_t *o, const char *key, ttl_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    return json_is_string(v) && ttl_parse(json_string_value(v), out, NULL) == CS_OK;
}

schema_t *schema_from_json(const char *text, cs_error_t *err)
{
    json_error_t je;
    json_t *root = json_loads(text ? text : "", 0, &je);
    schema_t *s = schema_new();
    jin_t J = {.err = err};
    bool ok = false;
    if (!s) {
        cs_fail(err, CS_ENOMEM, "out of memory");
        json_decref(root);
        return NULL;
    }
    J.a = &s->arena;
    if (!json_is_object(root)) {
        corrupt(&J, "not a JSON object");
        goto done;
    }
    json_t *fs = json_object_get(root, "fields"), *pk = json_object_get(root, "primaryKey"),
           *sk = json_object_get(root, "shardKey"), *sz = json_object_get(root, "primaryKeySizes");
    size_t nf = json_array_size(fs), npk = json_array_size(pk), nsk = json_array_size(sk);
    if (!json_is_array(fs) || nf == 0 || !json_is_array(pk) || npk == 0 || npk > nf ||
        !json_is_array(sk) || nsk > npk) {
        corrupt(&J, "missing fields or keys");
        goto done;
    }
    s->fields = arena_calloc(J.a, nf, sizeof *s->fields);
    s->pk = arena_calloc(J.a, npk, sizeof *s->pk);
    s->pk_sizes = arena_calloc(J.a, npk, sizeof *s->pk_sizes);
    if (!s->fields || !s->pk || !s->pk_sizes) {
        corrupt(&J, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        ddl_field_t f = {0};
        if (!jfield(&J, json_array_get(fs, i), &f))
            goto done;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(s->fields[j].name, f.name) == 0) {
                corrupt(&J, "duplicate field");
                goto done;
            }
        /* set_field re-validates the type and re-derives the default */
        if (set_field(s, &s->fields[i], &f, err) != CS_OK) {
            if (err)
                err->code = CS_ECORRUPT;
            goto done;
        }
        s->nfields++;
    }
    s->npk = (uint32_t)npk;
    for (size_t i = 0; i < npk; i++) {
        json_t *e = json_array_get(pk, i);
        int idx = json_is_string(e) ? schema_field_index(s, json_string_value(e)) : -1;
        if (idx < 0 || s->fields[idx].key_pos >= 0 || !type_is_key_capable(s->fields[idx].type)) {
            corrupt(&J, "bad primary key");
            goto done;
        }
        s->pk[i] = (uint32_t)idx;
        s->fields[idx].key_pos = (int)i;
        s->fields[idx].nullable = false;
        if (json_is_array(sz))
            s->pk_sizes[i] = (int)json_integer_value(json_array_get(sz, i));
    }
    for (size_t i = 0; i < nsk; i++) {
        json_t *e = json_array_get(sk, i);
        if (!json_is_string(e) || strcasecmp(json_string_value(e), schema_pk_name(s, (uint32_t)i))) {
            corrupt(&J, "shard key is not a prefix of the primary key");
            goto done;
        }
    }
    s->nshard = (uint32_t)nsk;
    s->comment = jstr(&J, root, "comment");
    if (!jttl(root, "ttl", &s->ttl) ||
        !jttl(root, "csemu_before_image_ttl", &s->before_image_ttl)) {
        corrupt(&J, "bad ttl");
        goto done;
    }
    s->frozen = jbool(root, "csemu_frozen");
    s->before_image = jbool(root, "csemu_before_image");
    json_t *id = json_object_get(root, "identity");
    if (id) {
        json_t *seq = json_object_get(id, "sequence");
        int idx = schema_field_index(s, json_string_value(json_object_get(id, "name")) ?
                                     json_string_value(json_object_get(id, "name")) : "");
        if (idx < 0 || !json_is_object(seq)) {
            corrupt(&J, "bad identity");
            goto done;
        }
        ddl_identity_t di = {
            .always = jbool(id, "always"), .on_null = jbool(id, "null"),
            .start = json_integer_value(json_object_get(seq, "start")),
            .increment = json_integer_value(json_object_get(seq, "increment")),
            .has_min = json_object_get(seq, "min") != NULL,
            .has_max = json_object_get(seq, "max") != NULL,
            .min = json_integer_value(json_object_get(seq, "min")),
            .max = json_integer_value(json_object_get(seq, "max")),
            .cache = json_integer_value(json_object_get(seq, "cache")),
            .cycle = jbool(seq, "cycle"),
        };
        if (set_identity(s, (uint32_t)idx, &di, err) != CS_OK) {
            if (err)
                err->code = CS_ECORRUPT;
            goto done;
        }
    }
    for (uint32_t i = 0; i < s->nfields; i++)
        if (s->fields[i].type->as_uuid && s->fields[i].type->uuid_generated)
            s->uuid_field = (int)i;
    json_t *dr = json_object_get(root, "csemu_dropped");
    size_t nd = json_array_size(dr);
    if (nd) {
        if (!(s->dropped = arena_calloc(J.a, nd, sizeof *s->dropped))) {
            corrupt(&J, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nd; i++) {
            json_t *e = json_array_get(dr, i);
            json_t *ty = json_object_get(e, "type");
            s->dropped[i].name = jstr(&J, e, "name");
            /* normalize through our own writer so comparisons are exact */
            ddl_type_t *t = ty ? jtype(&J, ty) : NULL;
            char *norm = t ? type_json_text(t) : NULL;
            s->dropped[i].type_json = norm ? adup(J.a, norm) : NULL;
            free(norm);
            if (!s->dropped[i].name || !s->dropped[i].type_json) {
                corrupt(&J, "bad dropped field");
                goto done;
            }
        }
        s->ndropped = (uint32_t)nd;
    }
    ok = true;
done:
    json_decref(root);
    if (!ok) {
        schema_free(s);
        return NULL;
    }
    return s;
}

/* ------------------------------------------------------------------------
 * time to live
 * ------------------------------------------------------------------------ */

cs_err_t ttl_parse(const char *text, ttl_t *out, cs_error_t *err)
{
    const char *p = text;
    int64_t v = 0;
    if (!p)
        return cs_fail(err, CS_EINVAL, "Invalid TTL: (null)");
    while (*p == ' ')
        p++;
    if (*p < '0' || *p > '9')
        goto bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            goto bad;
    }
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if ((n == 4 && strncasecmp(p, "DAYS", 4) == 0) || (n == 3 && strncasecmp(p, "DAY", 3) == 0) ||
        (n == 1 && (*p == 'd' || *p == 'D'))) {
        out->unit = TTL_DAYS;
    } else if ((n == 5 && strncasecmp(p, "HOURS", 5) == 0) ||
               (n == 4 && strncasecmp(p, "HOUR", 4) == 0) || (n == 1 && (*p == 'h' || *p == 'H'))) {
        out->unit = TTL_HOURS;
    } else {
        goto bad;
    }
    out->value = v;
    return CS_OK;
bad:
    return cs_fail(err, CS_EINVAL, "Invalid TTL '%.40s': expected '<n> DAYS' or '<n> HOURS'", text);
}

int64_t ttl_expiration_ms(int64_t now_ms, ttl_t ttl)
{
    if (ttl.value <= 0)
        return 0;
    int64_t unit = ttl.unit == TTL_HOURS ? 3600000LL : 86400000LL;
    int64_t exp = now_ms + ttl.value * unit;
    int64_t rem = exp % unit;
    if (rem < 0)
        rem += unit;
    if (rem != 0)
        exp += unit - rem;
    return exp;
}

void ttl_format(ttl_t ttl, char *out, size_t cap)
{
    snprintf(out, cap, "%lld %s", (long long)ttl.value, ttl.unit == TTL_HOURS ? "HOURS" : "DAYS");
}
