/*
 * event_doc.h - the event document of a ChangeStreamPoll reply
 * (PROTOCOL.md §4.15): one change event as the NSON MAP a message's "es"
 * array carries, wrapped in a BINARY value.
 *
 * The poll's hot path: a drain encodes every event it delivers, so this
 * writes the fixed-shape document straight into the caller's buffer with
 * one reservation, instead of one writer call per field into a scratch
 * buffer and a copy. The bytes are exactly what proto/nson.h's writer
 * produces for the same document (check_event_doc.c proves it):
 *
 *   MAP { "vs": INTEGER 1, "ty": INTEGER 1,
 *         "es": ARRAY [ MAP { "md": LONG mod_ms,
 *                             "xp": LONG exp_ms (0 for a delete),
 *                             "ei": STRING "<table id>:<partition>:<seq>",
 *                             "pi": INTEGER partition, "ri": INTEGER 0,
 *                             "rk": key map (NSON as stored),
 *                             ["rv": value, "rm": image meta]      new image
 *                             ["pv": previous value, "pm": meta]   before image
 *                           } ] }
 *   image meta = MAP { "modificationTime": LONG, "version": BINARY 8 bytes BE }
 */
#ifndef CS_EVENT_DOC_H
#define CS_EVENT_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "changelog.h"

/* Append ev (of table table_id) to out as one BINARY value holding its
 * event document. Returns the document's length (without the BINARY
 * header), or 0 when out could not take it (out's sticky failure is set,
 * nothing is appended; a ceiling on out must leave a few hundred bytes
 * more than the document, as room is reserved before it is measured). */
size_t event_doc_append(buf_t *out, uint64_t table_id, const changelog_event_t *ev);

#endif
