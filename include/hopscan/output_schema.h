/* output_schema: the variables of the scan file (format "hopscan-scan/2", DESIGN.md "Output
 * file") as ONE declarative table, and its expansion for a config.
 *
 * Every other part of the output module is derived from this table: creation (names, types,
 * dimensions, long_name, units, fill values, dimension scales), the epoch writes (result rows
 * taken from task_result_t through each entry's accessor), the summaries, the shape checks on
 * resume, `hopscan status`, and the tests' checker (tests/output_schema_dump prints the
 * expansion as JSON; tests/output_check.py compares the file with it).
 *
 * Entries marked per_kind expand once for every probe kind of the config (config_t.kinds) with
 * n > 0 ("m_%s" -> "m_train", "m_mixture3").
 * A new per-probe output of a probe kind (e.g. m_components_KIND of mixture probes) is one entry
 * with an accessor into task_result_t. Pure; no HDF5, not collective. */
#ifndef HOPSCAN_OUTPUT_SCHEMA_H
#define HOPSCAN_OUTPUT_SCHEMA_H

#include "hopscan/config.h"
#include "hopscan/search.h"
#include "hopscan/task.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OUTPUT_FORMAT "hopscan-scan/2"
#define OUTPUT_FORMAT_1 "hopscan-scan/1" /* the first version's layout; refused on resume */

typedef enum { OUT_F64, OUT_F32, OUT_I64, OUT_I32, OUT_U8 } output_type_t;

/* Dimensions, in the order they appear in the data variables. DIM_PROBE is one dimension per
 * probe kind, named probe_KIND. Search files (config search.along set) add DIM_CROSSING; a
 * search line's variables have the two axes not searched, DIM_LINE1 and DIM_LINE2 (along alpha:
 * alpha_D, L; along alpha_D: alpha, L). */
typedef enum {
  DIM_ALPHA,
  DIM_ALPHA_D,
  DIM_L,
  DIM_SAMPLE,
  DIM_PROBE,
  DIM_CROSSING,
  DIM_LINE1,
  DIM_LINE2,
  OUTPUT_NDIMS
} output_dim_t;

typedef enum {
  ROLE_AXIS,    /* coordinate variable and dimension scale of its only dimension */
  ROLE_AUX,     /* auxiliary coordinate computed from the config (P, D) */
  ROLE_RESULT,  /* per-probe results of each task, written by the epochs */
  ROLE_DONE,    /* per-sample done flags */
  ROLE_SUMMARY, /* statistic over the done samples of a grid point */
  ROLE_SEARCH   /* the search's state and crossings (search files), written by rank 0 */
} output_role_t;

enum { SUM_MEAN = 0, SUM_SEM = 1, SUM_FRAC = 2 };

typedef struct output_var_def {
  const char *name; /* "%s" stands for the probe kind in per_kind entries */
  output_type_t type;
  int rank;
  output_dim_t dims[5];
  output_role_t role;
  bool per_kind;
  /* per_kind entries: only kinds for which it returns true (NULL: all) */
  bool (*applies)(const probe_kind_t *kind);
  bool has_fill; /* _FillValue attribute and HDF5 fill value `fill` */
  double fill;
  const char *long_name; /* "%s" = probe kind */
  const char *units;     /* NULL: none */
  /* ROLE_AXIS, ROLE_AUX: writes the n values (native type) into buf. */
  void (*values)(const config_t *c, int kind, void *buf, int64_t n);
  /* ROLE_RESULT: the task's n[kind] values in native type. */
  const void *(*row)(const task_result_t *r, int kind);
  int stat;           /* ROLE_SUMMARY: SUM_* */
  const char *source; /* ROLE_SUMMARY: the result variable it summarises ("m_%s") */
  bool search;        /* only in search files */
  /* ROLE_SEARCH: the values (native type, the variable's whole extent) in the search report */
  const void *(*report)(const search_report_t *r);
} output_var_def_t;

extern const output_var_def_t output_var_defs[];
extern const int output_n_var_defs;

/* One variable of a concrete file. */
typedef struct output_var {
  const output_var_def_t *def;
  int kind;           /* probe kind of a per_kind entry, else -1 */
  char kind_name[16]; /* its name ("" when kind is -1) */
  char name[64];
  int rank;
  int64_t shape[5];
  char dim_names[5][64];
  int source; /* ROLE_SUMMARY: index of the source variable; else -1 */
} output_var_t;

#define OUTPUT_MAX_VARS 160

typedef struct output_schema {
  int nvars;
  output_var_t var[OUTPUT_MAX_VARS];
} output_schema_t;

/* Expands the table for config c. Returns 0, or -1 when the table does not fit (a programming
 * error). */
int output_schema_build(const config_t *c, output_schema_t *s);

/* Index of the variable called name, or -1. */
int output_schema_find(const output_schema_t *s, const char *name);

/* Name of a table entry for a probe kind (kind ignored when not per_kind): the only place where
 * variable names are built. */
void output_var_name(const output_var_def_t *d, const char *kind, char *buf, size_t len);

/* Bytes per element and the type's name ("f64", "f32", "i64", "i32", "u8"). */
int output_type_size(output_type_t t);
const char *output_type_name(output_type_t t);

/* The expansion as JSON: [{"name", "type", "dims", "shape", "long_name", "units", "fill",
 * "role"}...] (for the tests' checker). `f` is a FILE *. */
void output_schema_print_json(const output_schema_t *s, FILE *f);

#endif
