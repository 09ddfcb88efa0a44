/* config: the scan description, parsed from YAML (libyaml) into a typed struct and validated.
 *
 * One declarative key table, config_keys[] in config_keys.c, drives parsing (config_parse.c),
 * defaults, validation, `--help-config` and the canonical dump (config.c). Errors name
 * FILE:LINE:COL and the key and return ERR_USAGE.
 * The struct is plain data owned by the caller: config_init/config_free. Not collective:
 * rank 0 parses and broadcasts the canonical text, which every rank parses again. */
#ifndef HOPSCAN_CONFIG_H
#define HOPSCAN_CONFIG_H

#include "hopscan/err.h"
#include "hopscan/model.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { ORDER_RANDOM = 0, ORDER_CYCLIC = 1 } order_kind;
typedef enum { ENGINE_AUTO = 0, ENGINE_COUPLINGS = 1, ENGINE_OVERLAPS = 2 } engine_kind;

/* Transition search (the `search` section; docs/config.md "Transition search"). */
typedef enum { SEARCH_NONE = 0, SEARCH_ALPHA = 1, SEARCH_ALPHA_D = 2 } search_axis;
typedef enum { STAT_MEAN = 0, STAT_FRAC_RETRIEVED = 1, STAT_MIN_SAMPLE_MEAN = 2 } search_stat;

typedef struct config_search {
  search_axis along; /* SEARCH_NONE: a grid scan */
  double *range;     /* [n_range == 2] lo < hi of the searched axis */
  int64_t n_range;
  int observable; /* probe kind index (PROBE_TRAIN, PROBE_TEST, PROBE_FEATURE) */
  search_stat statistic;
  double level;          /* the statistic crosses it at a transition */
  double tolerance;      /* final bracket width, log10 units */
  int64_t coarse;        /* lattice points of the first pass */
  int64_t max_samples;   /* 0 = auto; config_samples_dim gives the value used */
  int64_t first_samples; /* 0 = auto (samples); config_first_samples gives the value used */
  int odd;               /* 1: the searched integer (P or D) takes odd values only */
} config_search_t;

typedef struct config {
  char *path; /* file it came from (or "<canonical>") */
  model_kind model;
  int64_t N;         /* neurons */
  int64_t n_alpha;   /* A */
  double *alpha;     /* [A] loads P/N, strictly increasing not required, all > 0 */
  int64_t n_alpha_D; /* B (1 with value 0 for model hopfield) */
  double *alpha_D;   /* [B] D/N */
  int64_t n_L;       /* C (1 with value 0 for model hopfield) */
  int32_t *L;        /* [C] non-zero features per example; 0 means dense (L = D) */
  coef_kind coefficients;
  int64_t samples; /* S, disorder samples per grid point */
  /* Probe kinds in output order (model.h): train, test, feature at indices PROBE_TRAIN,
   * PROBE_TEST, PROBE_FEATURE, then mixtureN for each mixture size. probes[k] is the number of
   * probes of kinds[k] (0: the kind has no variables). */
  int n_kinds;
  probe_kind_t kinds[PROBE_KINDS_MAX];
  int64_t probes[PROBE_KINDS_MAX];
  int64_t mixture_count;   /* probes.mixture.count: probes per mixture size */
  int64_t n_mixture_sizes; /* 0: no mixture probes */
  int32_t *mixture_sizes;  /* [n_mixture_sizes] probes.mixture.sizes, odd >= 3 */
  order_kind order;
  int64_t max_sweeps;
  engine_kind engine; /* how fields are computed (never changes results) */
  double retrieval_threshold;
  uint64_t seed;
  double checkpoint_every_seconds;
  int64_t group_size;  /* ranks per worker group; 0 = auto */
  int64_t block_size;  /* ScaLAPACK row block; default 64 */
  double mem_per_rank; /* bytes per rank for auto group size; 0 = detect */
  /* With search.along set, the searched axis (alpha or alpha_D) holds the search lattice
   * (config_search.c), not values from the file. */
  config_search_t search;
} config_t;

void config_init(config_t *c);
/* Rebuilds c->kinds / c->n_kinds from the probe keys (called by the parser). */
void config_derive_kinds(config_t *c);
void config_free(config_t *c);

/* Parses and validates a YAML file. On error c is left empty (config_free is still safe). */
int config_load_file(config_t *c, const char *path, err_t *e);
/* Same from a string; `name` is used in messages in place of the file name. */
int config_load_string(config_t *c, const char *text, size_t len, const char *name, err_t *e);

/* Canonical form: every key with defaults filled in, in table order, numbers printed so that
 * they parse back to the same bits. Stable across versions as long as keys do not change.
 * Caller frees *text. */
int config_canonical(const config_t *c, char **text, err_t *e);
/* SHA-256 (64 hex + NUL) of the canonical text. */
int config_sha256(const config_t *c, char hex[65], err_t *e);

/* Compares two configs key by key; writes "key: A != B" lines for each difference into *diff
 * (caller frees; NULL when equal). Returns the number of differing keys (-1 with e set when out
 * of memory). Keys a model does not use compare as "(absent)". Keys that say how the scan runs
 * rather than what it computes (checkpoint.*, parallel.*) are not compared: a resume may change
 * them. */
int config_diff(const config_t *a, const config_t *b, char **diff, err_t *e);

/* Prints the key reference (name, type, default, range, help) for --help-config, as an aligned
 * Markdown table (docs/config.md holds a copy; a test keeps them equal). `file` is a FILE *. */
void config_print_help(void *file);

/* Derived sizes of grid point (ia, ib): P = round(alpha N), D = round(alpha_D N), and the L
 * actually used (dense -> D). Hopfield: D = 0, L = 0. */
int64_t config_P(const config_t *c, int64_t ia);
int64_t config_D(const config_t *c, int64_t ib);
int64_t config_L_eff(const config_t *c, int64_t ib, int64_t ic);
/* Number of grid points A*B*C and flat index of (ia, ib, ic) (row-major, alpha slowest). */
int64_t config_points(const config_t *c);
int64_t config_point_index(const config_t *c, int64_t ia, int64_t ib, int64_t ic);
void config_point_coords(const config_t *c, int64_t point, int64_t *ia, int64_t *ib, int64_t *ic);

/* Sample slots per grid point: `samples` for a grid scan; for a search, search.max_samples
 * (auto: 2 * samples, or samples for min_sample_mean, whose definition has exactly samples). Task
 * ids and the file's sample dimension use it. */
int64_t config_samples_dim(const config_t *c);
/* A search's first batch of samples at a new point, and the size of each top-up:
 * search.first_samples (auto: samples), at most config_samples_dim. */
int64_t config_first_samples(const config_t *c);

/* The search lattice of config c (search.along set): the distinct integers v = round(x N) (odd
 * with search.odd) of a log-spaced grid over search.range with spacing tolerance/2 in log10, as
 * axis values v / N (caller frees *vals). Returns 0, or -1 with a message in msg when the range
 * holds fewer than two lattice points or is out of bounds. Pure. */
int config_search_lattice(const config_t *c, double **vals, int64_t *n, char *msg, size_t len);

#endif
