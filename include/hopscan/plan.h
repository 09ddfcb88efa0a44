/* plan: sizes, memory and cost of a scan, the automatic worker-group size, and the summary the
 * `hopscan plan` subcommand prints (the app layer prints it; nothing here prints). Pure
 * functions of the config unless noted. The group layout comes from the scheduler's own layout
 * functions and the file size from output_file_bytes, so plan and run cannot drift apart. */
#ifndef HOPSCAN_PLAN_H
#define HOPSCAN_PLAN_H

#include "hopscan/config.h"
#include "hopscan/engine.h"
#include "hopscan/err.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

/* Rows of J and patterns one rank holds in a group of g ranks: upper bound of ScaLAPACK's
 * numroc for N rows in blocks of c->block_size. */
int64_t plan_rows_per_rank(const config_t *c, int64_t g);

/* Peak bytes one rank of a group of g needs at P and D on engine `engine` (couplings or
 * overlaps). The kernel allocates within this bound:
 *   rows  = plan_rows_per_rank(c, g) = min(N, ceil(ceil(N / nb) / g) * nb), nb = block_size
 *   couplings: couplings_bytes(N, rows, P)  float J, integer J, pattern chunk and panel
 *              + rows*D + n_probes*N*13     int8 features, probe states and int64 fields
 *   overlaps:  overlaps_bytes(rows, P)      packed rows (rows * P / 8), overlaps, row buffer
 *              + rows*D + n_probes*N*2      features, probe states
 * with n_probes the probes of all kinds per task. */
double plan_bytes_engine(const config_t *c, int64_t P, int64_t D, int64_t g, engine_kind engine);

/* Peak bytes one rank of a group of g needs for grid point `point`: the couplings engine's when
 * dynamics.engine is couplings, else the overlaps engine's (auto builds J only where it fits the
 * rank's memory). */
double plan_bytes_per_rank(const config_t *c, int64_t point, int64_t g);

/* The engine a task at `point` gets in groups of g with mem_per_rank bytes per rank (<= 0:
 * unlimited), by engine.h's planning estimate at the reference constants, and its estimated
 * seconds (may be NULL). plan_task_seconds: that time with unlimited memory (the scheduler's
 * largest-first ordering key). */
engine_kind plan_task_engine(const config_t *c, int64_t point, int64_t g, double mem_per_rank,
                             double *seconds);
double plan_task_seconds(const config_t *c, int64_t point, int64_t g);

/* Estimated cost of one sample at a grid point, in flops (J build + dynamics): the scheduler's
 * ordering key and the plan's work estimate: 2*N*N*P + n_probes*20*N*N. */
double plan_task_flops(const config_t *c, int64_t point);

/* Group size for `ranks` ranks in all (rank 0 is the master when ranks > 1): c->group_size if set,
 * else the smallest g whose plan_bytes_per_rank fits mem_per_rank for every point. ERR_USAGE
 * with a message saying what would fit when nothing does. */
int plan_group_size(const config_t *c, int64_t ranks, double mem_per_rank, int64_t *g, err_t *e);

/* Memory of a node, or per CPU (per_cpu); bytes 0 when nothing is known. `source` names where
 * it came from (static text). The app layer finds it (app_node_memory: Slurm or /proc/meminfo). */
typedef struct plan_memory {
  double bytes;
  bool per_cpu;
  const char *source;
} plan_memory_t;
/* One rank's share of m when `ranks_on_node` ranks share the node (per-CPU values as they are). */
double plan_memory_share(const plan_memory_t *m, int64_t ranks_on_node);

/* Memory available per rank for a run: c->mem_per_rank when set, else this rank's node memory
 * `node` shared by the ranks of comm on its node; the smallest over all ranks, so that every rank
 * chooses the same group size. Collective on comm. */
double plan_detect_mem_per_rank(const config_t *c, const plan_memory_t *node, MPI_Comm comm);

/* Worker-group layout of a run of `ranks` ranks with group size g, as the scheduler makes it
 * (scheduler_groups / scheduler_group_size / scheduler_group_of). */
typedef struct plan_layout {
  int64_t ranks, workers, group_size;
  int64_t groups;               /* 0 when not even one group fits */
  int64_t group_min, group_max; /* sizes of the smallest and largest group */
  int64_t n_max;                /* groups of size group_max */
  int64_t idle;                 /* worker ranks in no group */
} plan_layout_t;
void plan_layout(int64_t ranks, int64_t g, plan_layout_t *l);

/* One task class: the tasks of one alpha (the engine can differ over alpha_D only when J fits
 * at some D and not at others: engine auto then means "mixed"). */
typedef struct plan_class {
  double alpha;
  int64_t P;
  engine_kind engine;      /* couplings, overlaps, or ENGINE_AUTO for mixed */
  int64_t n_overlaps;      /* alpha_D values on the overlaps engine */
  double bytes_per_rank;   /* largest over alpha_D, on the engine used */
  double seconds_per_task; /* mean over the class, one group */
  double core_hours;       /* all tasks of the class: seconds * group size * tasks / 3600 */
} plan_class_t;

#define PLAN_MAX_CLASSES 64

/* Everything `hopscan plan` reports, as data. */
typedef struct plan_summary {
  int64_t points, tasks, probes_per_task;
  int64_t P_max, D_max; /* largest P and D of the grid (D 0 for hopfield) */
  /* One whole task at P_max, D_max, before splitting over a group. */
  double j_float_bytes, j_int_bytes, pattern_bytes, feature_bytes, probe_bytes;
  bool j_int16; /* the dynamics' J is int16 (P <= 32767), else int32 */
  /* The run of `ranks` ranks with mem_per_rank bytes each. */
  int64_t ranks;
  double mem_per_rank;
  int group_rc; /* 0, or plan_group_size's status (group_err holds its message) */
  err_t group_err;
  plan_layout_t layout; /* valid when group_rc == 0 */
  double peak_bytes;    /* per rank, at grid indices (peak_ia, peak_ib) */
  int64_t peak_ia, peak_ib, rows_per_rank;
  /* Output and work. */
  int64_t file_bytes;     /* output_file_bytes */
  double probe_row_bytes; /* raw /probes data: m f32 + sweeps i32 per probe */
  double build_flops, dynamics_flops;
  /* Engines and time (valid when group_rc == 0), at engine_costs_default's constants. */
  int64_t n_classes; /* min(A, PLAN_MAX_CLASSES) */
  plan_class_t classes[PLAN_MAX_CLASSES];
  double core_hours;           /* the whole scan, engines as chosen */
  double core_hours_couplings; /* the whole scan with J built for every task */
} plan_summary_t;

/* Fills s for config c and a run of `ranks` ranks with mem_per_rank bytes per rank (<= 0:
 * unknown, group size 1 unless set). A group size that does not fit is not an error here: it is
 * s->group_rc. Returns 0 or ERR_RUNTIME. */
int plan_summarize(const config_t *c, int64_t ranks, double mem_per_rank, plan_summary_t *s,
                   err_t *e);

#endif
