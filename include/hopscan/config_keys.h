/* config_keys: the one declarative table of config keys, shared by the config modules only.
 *
 * config_keys[] (config_keys.c) declares every key once: name (dotted path for nested keys),
 * type, whether it is required, its default, its range and its help text. That table drives
 * parsing (config_parse.c), defaults, range checks, --help-config, the canonical dump and the
 * key-by-key comparison (config.c). Adding a key: one entry in the table, a field in config_t,
 * and CONFIG_N_KEYS below (a static assertion keeps the count honest). Not for use outside
 * src/config*.c: everyone else reads config_t. */
#ifndef HOPSCAN_CONFIG_KEYS_H
#define HOPSCAN_CONFIG_KEYS_H

#include "hopscan/config.h"
#include "hopscan/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  KT_ENUM,     /* one of choices[], stored as int */
  KT_INT,      /* integer in [imin, imax], stored as int64_t */
  KT_SEED,     /* integer in [0, 2^64-1], stored as uint64_t */
  KT_NUM,      /* finite number in the (open/closed) range [dmin, dmax], stored as double */
  KT_AXIS,     /* non-empty list of numbers > 0 or {start, stop, num, spacing}; double* + count */
  KT_LLIST,    /* non-empty list of integers >= 1 or `dense` (0); int32_t* + count */
  KT_ILIST,    /* non-empty list of distinct integers in [imin, imax]; int32_t* + count */
  KT_AUTO_INT, /* `auto` (0) or integer in [imin, imax], stored as int64_t */
  KT_BYTES,    /* `auto` (0) or bytes > 0 with optional K/M/G/T suffix, stored as double */
} key_type;

enum {
  K_REQUIRED = 1u << 0,      /* must be given (for rfhm-only keys: when model is rfhm) */
  K_RFHM_ONLY = 1u << 1,     /* must be absent for model hopfield */
  K_ZERO_HOPFIELD = 1u << 2, /* default 0 and must be 0 for model hopfield */
  K_RUNTIME = 1u << 3,       /* how the scan runs, not what it computes: may differ on resume */
  K_MIXTURE = 1u << 4,       /* probes.mixture.*: used (dumped, compared) only with sizes given */
  K_SEARCH = 1u << 5,        /* search.*: used (dumped, compared) only with search.along set */
};

typedef struct key_def {
  const char *name;
  key_type type;
  unsigned flags;
  const char *def; /* default written as YAML text; NULL when there is none */
  const char *const *choices;
  int64_t imin, imax;
  double dmin, dmax;
  bool dmin_open, dmax_open;
  size_t off, off_n; /* value field and, for lists, the count field */
  const char *type_text, *default_text, *range_text, *help;
} key_def;

enum { CONFIG_N_KEYS = 31 }; /* entries in config_keys[] */
extern const key_def config_keys[CONFIG_N_KEYS];

#define CONFIG_I31 INT64_C(2147483647)
#define FIELD(c, off, T) ((T *)(void *)((char *)(c) + (off)))
#define CFIELD(c, off, T) ((const T *)(const void *)((const char *)(c) + (off)))

/* Index of the key called `name` in config_keys[], -1 when there is none. */
int config_key_index(const char *name);
/* True for the key of the axis a search makes (alpha with search.along: alpha, ...). */
bool config_key_searched(const key_def *k, const config_t *c);
/* False for a key the config does not use (rfhm-only keys under hopfield, mixture keys without
 * sizes, search keys of a grid scan, the searched axis). */
bool config_key_used(const key_def *k, const config_t *c);
/* Appends the canonical text of key k's value in c to b. */
void config_key_format(strbuf_t *b, const key_def *k, const config_t *c);

#endif
