#include "hopscan/progress.h"

#include "hopscan/util.h"

#include <string.h>

static double progress_default_clock(void *ctx) {
  (void)ctx;
  return util_now();
}

static double progress_now(const progress_t *p) {
  return p->clock(p->clock_ctx);
}

void progress_init(progress_t *p, FILE *out, progress_mode mode, double interval,
                   progress_clock_fn clock, void *clock_ctx) {
  memset(p, 0, sizeof *p);
  p->out = out;
  p->mode = mode;
  p->interval = interval;
  p->clock = clock ? clock : progress_default_clock;
  p->clock_ctx = clock ? clock_ctx : NULL;
  p->t_start = p->t_last_line = p->t_last_checkpoint = progress_now(p);
}

double progress_elapsed(const progress_t *p) {
  return progress_now(p) - p->t_start;
}

double progress_rate(const progress_t *p) {
  double t = progress_elapsed(p);
  int64_t n = p->done - p->done_at_start;
  return (t > 0 && n > 0) ? (double)n / t : 0.0;
}

double progress_eta(const progress_t *p) {
  if (p->done >= p->total)
    return 0.0;
  double r = progress_rate(p);
  return r > 0 ? (double)(p->total - p->done) / r : -1.0;
}

/* JSON string body: escapes quotes, backslashes and control characters. */
static void progress_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(f, "\\%c", *c);
    else if (*c < 0x20)
      fprintf(f, "\\u%04x", *c);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

static double progress_percent(const progress_t *p) {
  return p->total > 0 ? 100.0 * (double)p->done / (double)p->total : 100.0;
}

void progress_start(progress_t *p, const progress_banner_t *b) {
  p->total = b->total;
  p->done_at_start = p->done = p->written = b->done;
  p->t_start = p->t_last_line = p->t_last_checkpoint = progress_now(p);
  if (p->mode == PROGRESS_QUIET || !p->out)
    return;
  char hash[13];
  snprintf(hash, sizeof hash, "%.12s", b->config_sha256 ? b->config_sha256 : "");
  FILE *f = p->out;
  if (p->mode == PROGRESS_JSON) {
    fprintf(f, "{\"event\":\"start\",\"version\":");
    progress_json_string(f, b->version);
    fprintf(f, ",\"config_sha256\":");
    progress_json_string(f, b->config_sha256);
    fprintf(f, ",\"output\":");
    progress_json_string(f, b->output);
    fprintf(f,
            ",\"ranks\":%lld,\"groups\":%lld,\"group_min\":%lld,\"group_max\":%lld,"
            "\"total\":%lld,\"done\":%lld,\"checkpoint_every\":%.17g}\n",
            (long long)b->ranks, (long long)b->groups, (long long)b->group_min,
            (long long)b->group_max, (long long)b->total, (long long)b->done, b->checkpoint_every);
  } else {
    char every[32];
    util_format_seconds(b->checkpoint_every, every, sizeof every);
    fprintf(f, "%s\n", b->version);
    fprintf(f, "hopscan: config %s, output %s\n", hash, b->output);
    if (b->ranks == 1)
      fprintf(f, "hopscan: 1 rank (master and worker)");
    else if (b->group_min == b->group_max)
      fprintf(f, "hopscan: %lld ranks: master + %lld group%s of %lld", (long long)b->ranks,
              (long long)b->groups, b->groups == 1 ? "" : "s", (long long)b->group_min);
    else
      fprintf(f, "hopscan: %lld ranks: master + %lld groups of %lld-%lld", (long long)b->ranks,
              (long long)b->groups, (long long)b->group_min, (long long)b->group_max);
    fprintf(f, ", checkpoint every %s\n", every);
    if (b->done > 0)
      fprintf(f, "hopscan: resuming: %lld of %lld samples already done\n", (long long)b->done,
              (long long)b->total);
    else
      fprintf(f, "hopscan: %lld samples to compute\n", (long long)b->total);
  }
  fflush(f);
}

static void progress_line(progress_t *p, double now) {
  FILE *f = p->out;
  double rate = progress_rate(p), eta = progress_eta(p);
  double elapsed = now - p->t_start, age = now - p->t_last_checkpoint;
  p->t_last_line = now;
  p->lines++;
  if (p->mode == PROGRESS_JSON) {
    fprintf(f,
            "{\"event\":\"progress\",\"done\":%lld,\"total\":%lld,\"rate\":%.6g,"
            "\"elapsed\":%.3f,\"eta\":",
            (long long)p->done, (long long)p->total, rate, elapsed);
    if (eta >= 0)
      fprintf(f, "%.3f", eta);
    else
      fprintf(f, "null");
    fprintf(f, ",\"checkpoint_age\":%.3f,\"written\":%lld}\n", age, (long long)p->written);
  } else {
    char el[32], et[32], ag[32];
    util_format_seconds(elapsed, el, sizeof el);
    util_format_seconds(eta, et, sizeof et);
    util_format_seconds(age, ag, sizeof ag);
    fprintf(f,
            "hopscan: %lld/%lld samples (%.1f%%), %.3g samples/s, elapsed %s, ETA %s, "
            "checkpoint %s ago\n",
            (long long)p->done, (long long)p->total, progress_percent(p), rate, el, et, ag);
  }
  fflush(f);
}

bool progress_update(progress_t *p, int64_t done) {
  p->done = done;
  if (p->mode == PROGRESS_QUIET || !p->out)
    return false;
  double now = progress_now(p);
  bool due = now - p->t_last_line >= p->interval || p->interval <= 0;
  if (!due && !(done >= p->total && p->total > 0))
    return false;
  progress_line(p, now);
  return true;
}

void progress_checkpoint_begin(progress_t *p) {
  if (p->mode != PROGRESS_JSON || !p->out)
    return;
  fprintf(p->out, "{\"event\":\"checkpoint_begin\",\"done\":%lld}\n", (long long)p->done);
  fflush(p->out);
}

void progress_checkpoint(progress_t *p, int64_t written, double seconds) {
  double now = progress_now(p);
  p->written = written;
  p->t_last_checkpoint = now;
  p->checkpoints++;
  p->checkpoint_seconds += seconds;
  if (p->mode == PROGRESS_QUIET || !p->out)
    return;
  FILE *f = p->out;
  if (p->mode == PROGRESS_JSON)
    fprintf(f,
            "{\"event\":\"checkpoint\",\"written\":%lld,\"total\":%lld,\"seconds\":%.6f,"
            "\"elapsed\":%.3f}\n",
            (long long)written, (long long)p->total, seconds, now - p->t_start);
  else
    fprintf(f, "hopscan: checkpoint %lld: %lld/%lld samples in the file (%.3f s)\n",
            (long long)p->checkpoints, (long long)written, (long long)p->total, seconds);
  fflush(f);
}

void progress_end(progress_t *p, const char *outcome, const char *signal_name) {
  if (p->mode == PROGRESS_QUIET || !p->out)
    return;
  FILE *f = p->out;
  double elapsed = progress_elapsed(p), rate = progress_rate(p);
  int64_t this_run = p->done - p->done_at_start;
  if (p->mode == PROGRESS_JSON) {
    fprintf(f, "{\"event\":\"end\",\"outcome\":");
    progress_json_string(f, outcome);
    if (signal_name) {
      fprintf(f, ",\"signal\":");
      progress_json_string(f, signal_name);
    }
    fprintf(f,
            ",\"written\":%lld,\"total\":%lld,\"this_run\":%lld,\"elapsed\":%.3f,"
            "\"rate\":%.6g,\"checkpoints\":%lld,\"checkpoint_seconds\":%.6f}\n",
            (long long)p->written, (long long)p->total, (long long)this_run, elapsed, rate,
            (long long)p->checkpoints, p->checkpoint_seconds);
  } else {
    char el[32];
    util_format_seconds(elapsed, el, sizeof el);
    fprintf(f,
            "hopscan: %s%s%s: %lld/%lld samples in the file; %lld computed in %s (%.3g samples/s)",
            outcome, signal_name ? " by " : "", signal_name ? signal_name : "",
            (long long)p->written, (long long)p->total, (long long)this_run, el, rate);
    fprintf(f, ", %lld checkpoint%s (%.3f s writing)\n", (long long)p->checkpoints,
            p->checkpoints == 1 ? "" : "s", p->checkpoint_seconds);
  }
  fflush(f);
}
