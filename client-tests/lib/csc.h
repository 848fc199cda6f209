/*
 * csc.h - the csemu reference client (C, over proto/ and libcurl), one
 * include for everything: handle and transport (csc_handle.h), values
 * (csc_value.h), table/system operations (csc_table.h), row operations
 * (csc_rows.h). Change Streams come in csc_stream.h.
 */
#ifndef CSC_H
#define CSC_H

#include "csc_handle.h"
#include "csc_rows.h"
#include "csc_stream.h"
#include "csc_table.h"
#include "csc_value.h"

#endif
