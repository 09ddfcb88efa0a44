/* progress: what rank 0 tells the user while a scan runs.
 *
 * A start banner (version, config hash, rank/group layout, output, resume state), progress lines
 * (samples done/total, rate, elapsed, ETA, checkpoint age) rate-limited to one every `interval`
 * seconds, one line after every checkpoint, and an end summary with timings. Text for people, or
 * one JSON object per line (--progress=json) for scripts; nothing with PROGRESS_QUIET.
 *
 * The clock is injectable (MP-Gadget style) so the rate limiting is unit-tested without waiting.
 * Plain caller-owned struct; rank 0 only; not collective. Lines are flushed as written. */
#ifndef HOPSCAN_PROGRESS_H
#define HOPSCAN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { PROGRESS_TEXT = 0, PROGRESS_JSON = 1, PROGRESS_QUIET = 2 } progress_mode;

/* Seconds from an arbitrary origin, non-decreasing. ctx is the clock_ctx given at init. */
typedef double (*progress_clock_fn)(void *ctx);

typedef struct progress {
  FILE *out; /* not owned */
  progress_mode mode;
  double interval; /* minimum seconds between two rate-limited progress lines */
  progress_clock_fn clock;
  void *clock_ctx;
  int64_t total;         /* samples in the whole scan */
  int64_t done_at_start; /* samples already done when this run started (resume) */
  int64_t done;          /* samples done now (computed; maybe not yet in the file) */
  int64_t written;       /* samples done and in the file */
  double t_start, t_last_line, t_last_checkpoint; /* clock readings */
  int64_t lines;             /* progress lines printed (not counting banner, checkpoints, end) */
  int64_t checkpoints;       /* checkpoints reported */
  double checkpoint_seconds; /* total time spent writing checkpoints */
} progress_t;

/* Everything the start banner shows. Strings are borrowed for the call. */
typedef struct progress_banner {
  const char *version;          /* cli_version() */
  const char *config_sha256;    /* 64 hex digits; the banner shows a prefix */
  const char *output;           /* output path */
  int64_t ranks;                /* K */
  int64_t groups;               /* worker groups */
  int64_t group_min, group_max; /* smallest and largest group (ranks) */
  int64_t total;                /* samples in the scan */
  int64_t done;                 /* samples already done in the file (resume) */
  double checkpoint_every;      /* seconds */
} progress_banner_t;

/* Prepares p; clock NULL means util_now(). interval <= 0 prints every update. */
void progress_init(progress_t *p, FILE *out, progress_mode mode, double interval,
                   progress_clock_fn clock, void *clock_ctx);

/* Prints the banner and starts the clocks (elapsed, rate and checkpoint age count from here). */
void progress_start(progress_t *p, const progress_banner_t *b);

/* Records `done` samples done in all; prints a progress line if `interval` seconds have passed
 * since the last one (or the scan just completed). Returns true when a line was printed. */
bool progress_update(progress_t *p, int64_t done);

/* Announces that a checkpoint is being written (JSON mode only: {"event":"checkpoint_begin"}). */
void progress_checkpoint_begin(progress_t *p);

/* A checkpoint finished: `written` samples are now in the file, writing took `seconds`.
 * Always prints one line (unless quiet) and restarts the checkpoint age. */
void progress_checkpoint(progress_t *p, int64_t written, double seconds);

/* End summary: outcome is "complete", "stopped" (by `signal_name`, may be NULL) or "failed". */
void progress_end(progress_t *p, const char *outcome, const char *signal_name);

/* Derived numbers, also used by the lines: samples per second during this run (0 before the
 * first), elapsed seconds, ETA in seconds (negative when unknown). */
double progress_rate(const progress_t *p);
double progress_elapsed(const progress_t *p);
double progress_eta(const progress_t *p);

#endif
