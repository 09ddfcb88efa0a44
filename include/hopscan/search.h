/* search: the transition search's decisions (config section `search`; docs/config.md
 * "Transition search"), as a pure state machine the master drives. No MPI, no HDF5.
 *
 * Lines: every combination of the two axes not searched (along alpha: (alpha_D, L); along
 * alpha_D: (alpha, L)), in file order. A line's evaluations are tasks (point, sample) of the
 * config's grid, whose searched axis is the lattice (config_search_lattice), so each
 * evaluation's randomness is addressed by its point and sample as in a grid scan.
 *
 * A line advances in rounds. Round 0 requests the coarse lattice points with F samples
 * (search.first_samples, auto: samples; config_first_samples).
 * A round is decided only when every task it requested has been recorded, from those results
 * alone (samples in index order), so the requests — and the results — do not depend on the
 * order in which tasks finish, on the rank count, or on a kill and resume (resume records the
 * file's done tasks and replays the decisions). A decided round either
 *   1. tops up (mean, frac_retrieved): every point whose statistic's 95 % interval (Student t,
 *      search_t95, times the SE over its samples; none below 2 samples) contains the level gets
 *      F more samples, up to max_samples; or, when none needs it,
 *   2. refines: every bracket (consecutive evaluated points on opposite sides of the level)
 *      wider than the tolerance and not adjacent on the lattice gets its midpoint with F
 *      samples; or, when none is left,
 *   3. verifies (min_sample_mean): a bracket's end whose samples so far are all above the level
 *      but fewer than samples (provisional; it counted as above in 2) gets twice its samples, up
 *      to samples. One sample below decides "below" and reopens the bracket; so every located
 *      crossing lies between a point with all samples above and one with a sample below, while
 *      points far from any crossing keep their first batch; or, when none is left,
 *   4. ends the line.
 * Statistic per point: mean (of the per-sample mean overlap), frac_retrieved (of the per-sample
 * fraction of probes with m > retrieval_threshold), min_sample_mean (smallest per-sample mean;
 * no interval; verified, not topped up). Above the level: statistic > level.
 *
 * search_init/search_free own the state. */
#ifndef HOPSCAN_SEARCH_H
#define HOPSCAN_SEARCH_H

#include "hopscan/config.h"
#include "hopscan/err.h"
#include "hopscan/task.h"

#include <stdbool.h>
#include <stdint.h>

/* Half width of the two-sided 95 % interval of a mean of n samples, in standard errors: the
 * Student t quantile t(0.975, n - 1) (12.71 at n = 2, 2.09 at n = 20, 1.96 as n grows), so that a
 * point is not decided from a few samples whose spread happens to be small. NaN for n < 2. */
double search_t95(int64_t n);

/* What the search needs of one finished task: the observable's per-sample values. */
typedef struct search_digest {
  double mean; /* mean over the observable's probes of m (summed in probe order) */
  double frac; /* fraction of those probes with m > retrieval_threshold */
} search_digest_t;

/* The digest of a task's result for config c (pure). */
search_digest_t search_digest(const config_t *c, const task_result_t *r);
/* The same from the observable's n probe overlaps m[0..n). */
search_digest_t search_digest_of(const config_t *c, const float *m, int64_t n);

typedef struct search {
  const config_t *c; /* not owned */
  int64_t n_lat, n_lines, S, S_max, points;
  int64_t *req;       /* [points] samples requested at each grid point (0: not evaluated) */
  uint8_t *have;      /* [points * S_max] digest recorded */
  search_digest_t *d; /* [points * S_max] */
  int64_t *missing;   /* [n_lines] requested tasks of the line not recorded yet */
  uint8_t *line_done; /* [n_lines] */
  int64_t *queue;     /* task ids requested and not handed out, FIFO */
  int64_t q_head, q_len, q_cap;
  int64_t requested, recorded; /* tasks requested so far, of which recorded */
} search_t;

int search_init(search_t *s, const config_t *c, err_t *e);
void search_free(search_t *s);

/* Line of grid point `point`, and the point at lattice index k of line `line`. */
int64_t search_line_of(const config_t *c, int64_t point);
int64_t search_point(const search_t *s, int64_t line, int64_t k);

/* Records a finished task (id = point * S_max + sample). Recording a task twice, or one never
 * requested (a resume's file may hold such), is harmless. */
void search_record(search_t *s, int64_t id, const search_digest_t *d);

/* Decides every line whose requests are all recorded, until nothing changes; new requests that
 * are not recorded yet go to the queue. Returns 0 or an error (out of memory). */
int search_advance(search_t *s, err_t *e);

/* The next queued task id, or -1 when none is queued now. */
int64_t search_next(search_t *s);
/* Every line done. */
bool search_finished(const search_t *s);

/* Statistic of grid point `point` over its requested samples, once all are recorded: returns
 * false (stat, halfwidth NaN) before that. halfwidth: search_t95(n) SE; 0 for min_sample_mean; NaN
 * below 2 samples. */
bool search_statistic(const search_t *s, int64_t point, double *stat, double *halfwidth);

/* The located crossings, as the file stores them (see search_report_init). */
typedef struct search_report {
  int64_t points, n_lines, n_cross;
  int32_t *samples;                        /* [points] */
  double *stat, *halfwidth;                /* [points] */
  uint8_t *line_done;                      /* [n_lines] */
  int32_t *n_crossings;                    /* [n_lines] */
  double *lo, *hi, *value, *ci_lo, *ci_hi; /* [n_lines * n_cross] NaN fill */
  int32_t *direction;                      /* [n_lines * n_cross] +1 / -1, 0 fill */
} search_report_t;

/* n_cross = coarse - 1 (a line never has more crossings). */
int search_report_init(search_report_t *r, const config_t *c, err_t *e);
void search_report_free(search_report_t *r);
/* Fills r from the current state. */
void search_report_fill(const search_t *s, search_report_t *r);

/* Lines and crossing slots of config c (search.along set); the axis value of lattice index k. */
int64_t search_lines(const config_t *c);
int64_t search_lattice_size(const config_t *c);

/* Estimated tasks of a search, for `plan`: the coarse pass plus `crossings` crossings per line,
 * each refined from one coarse interval to the tolerance with `samples` per point, and one
 * top-up per refined point (mean, frac_retrieved; min_sample_mean: the first batch, and the
 * crossing's end above verified with every sample). *grid: tasks of the grid over the whole
 * lattice with `samples` per point (the grid of the same resolution). */
void search_estimate(const config_t *c, double crossings, double *tasks, double *grid);

#endif
