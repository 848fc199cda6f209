/*
 * reply.h - the only way a reply body is made.
 *
 * Data-path replies are NSON MAPs that start with "e" (PROTOCOL.md §1.4):
 * success writes "e": 0 then the result fields; an error writes "e": code,
 * "x": message and nothing else. The cs_err_t -> wire code translation
 * happens here (through wire_code_from_err) and nowhere else in server/.
 * Client mistakes are logged at warning, our own failures at error.
 */
#ifndef CS_REPLY_H
#define CS_REPLY_H

#include "buf.h"
#include "cs_err.h"
#include "nson.h"

/* Start a success reply: opens the MAP and writes "e": 0. */
void reply_begin_ok(nson_writer_t *w, buf_t *out);
/* Close it; false if the reply could not be encoded (then send an error). */
bool reply_end_ok(nson_writer_t *w);

/* Replace whatever is in *out with the error reply for (code, msg). `what`
 * names the operation for the log line. */
void reply_error(buf_t *out, cs_err_t code, const char *msg, const char *what);

/* True for errors that are the server's fault (logged at error level). */
bool reply_is_internal(cs_err_t code);

#endif
