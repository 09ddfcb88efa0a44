/* config: the public face of the scan description: init/free, canonical text, hash, diff,
 * --help-config and derived sizes. Parsing lives in config_parse.c, the key table in
 * config_keys.c (see config_keys.h). */
#include "hopscan/config.h"

#include "hopscan/config_keys.h"
#include "hopscan/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_init(config_t *c) {
  memset(c, 0, sizeof *c);
  c->model = MODEL_RFHM;
  c->coefficients = COEF_PM1;
  c->order = ORDER_RANDOM;
  config_derive_kinds(c);
}

void config_derive_kinds(config_t *c) {
  static const char *const base[] = {"train", "test", "feature"};
  c->n_kinds = 0;
  for (int k = 0; k < 3; k++) {
    probe_kind_t *d = &c->kinds[c->n_kinds++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", base[k]);
    d->family = (probe_family)k;
    d->size = 1;
    d->rng_id = (uint32_t)k;
    c->probes[k] = k < 3 ? c->probes[k] : 0;
  }
  /* one kind per mixture size; its sweep orders are addressed by 0x100 + n, so a kind's values do
   * not depend on which other sizes the config lists */
  for (int64_t i = 0; i < c->n_mixture_sizes && c->n_kinds < PROBE_KINDS_MAX; i++) {
    int k = c->n_kinds++;
    probe_kind_t *d = &c->kinds[k];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "mixture%d", (int)c->mixture_sizes[i]);
    d->family = PROBE_MIXTURE;
    d->size = (int)c->mixture_sizes[i];
    d->rng_id = 0x100u + (uint32_t)c->mixture_sizes[i];
    d->components = true;
    c->probes[k] = c->mixture_count;
  }
  for (int k = c->n_kinds; k < PROBE_KINDS_MAX; k++)
    c->probes[k] = 0;
}

void config_free(config_t *c) {
  free(c->path);
  free(c->alpha);
  free(c->alpha_D);
  free(c->L);
  free(c->mixture_sizes);
  free(c->search.range);
  config_init(c);
}

int config_canonical(const config_t *c, char **text, err_t *e) {
  strbuf_t b;
  strbuf_init(&b);
  const char *prev = ""; /* the previous key: its sections are already open */
  for (int ki = 0; ki < CONFIG_N_KEYS; ki++) {
    const key_def *k = &config_keys[ki];
    if (!config_key_used(k, c))
      continue;
    /* one mapping level per dotted component; open the sections prev did not share */
    const char *name = k->name;
    int depth = 0;
    bool shared = true;
    for (const char *dot; (dot = strchr(name, '.')) != NULL; name = dot + 1, depth++) {
      size_t off = (size_t)(dot - k->name) + 1;
      shared = shared && !strncmp(prev, k->name, off);
      if (!shared)
        strbuf_printf(&b, "%*s%.*s:\n", 2 * depth, "", (int)(dot - name), name);
    }
    prev = k->name;
    strbuf_printf(&b, "%*s%s: ", 2 * depth, "", name);
    config_key_format(&b, k, c);
    strbuf_printf(&b, "\n");
  }
  if (b.failed) {
    strbuf_free(&b);
    return ERR(e, ERR_RUNTIME, "out of memory writing the canonical config");
  }
  *text = b.s;
  return 0;
}

int config_sha256(const config_t *c, char hex[65], err_t *e) {
  char *text;
  CHECK(e, config_canonical(c, &text, e));
  util_sha256_hex(text, strlen(text), hex);
  free(text);
  return 0;
}

int config_diff(const config_t *a, const config_t *b, char **diff, err_t *e) {
  strbuf_t out, va, vb;
  strbuf_init(&out);
  int n = 0;
  *diff = NULL;
  for (int ki = 0; ki < CONFIG_N_KEYS; ki++) {
    const key_def *k = &config_keys[ki];
    if (k->flags & K_RUNTIME)
      continue;
    strbuf_init(&va);
    strbuf_init(&vb);
    if (config_key_used(k, a))
      config_key_format(&va, k, a);
    else
      strbuf_printf(&va, "(absent)");
    if (config_key_used(k, b))
      config_key_format(&vb, k, b);
    else
      strbuf_printf(&vb, "(absent)");
    bool failed = va.failed || vb.failed;
    if (!failed && strcmp(va.s, vb.s) != 0) {
      strbuf_printf(&out, "%s: %s != %s\n", k->name, va.s, vb.s);
      n++;
    }
    strbuf_free(&va);
    strbuf_free(&vb);
    if (failed)
      out.failed = true;
  }
  if (out.failed) {
    strbuf_free(&out);
    return -ERR(e, ERR_RUNTIME, "out of memory comparing configs");
  }
  *diff = out.s; /* NULL when nothing was written */
  return n;
}

void config_print_help(void *file) {
  FILE *f = file;
  const char *hdr[5] = {"key", "type", "default", "range", "meaning"};
  size_t w[4] = {strlen(hdr[0]), strlen(hdr[1]), strlen(hdr[2]), strlen(hdr[3])};
  for (int ki = 0; ki < CONFIG_N_KEYS; ki++) {
    const key_def *k = &config_keys[ki];
    const char *col[4] = {k->name, k->type_text, k->default_text ? k->default_text : k->def,
                          k->range_text};
    for (int j = 0; j < 4; j++)
      if (strlen(col[j]) + 2 > w[j])
        w[j] = strlen(col[j]) + 2;
  }
  fprintf(f, "| %-*s | %-*s | %-*s | %-*s | %s |\n", (int)w[0], hdr[0], (int)w[1], hdr[1],
          (int)w[2], hdr[2], (int)w[3], hdr[3], hdr[4]);
  fprintf(f, "|");
  for (int j = 0; j < 4; j++) {
    fprintf(f, "-");
    for (size_t i = 0; i < w[j]; i++)
      fputc('-', f);
    fprintf(f, "-|");
  }
  fprintf(f, "---|\n");
  for (int ki = 0; ki < CONFIG_N_KEYS; ki++) {
    const key_def *k = &config_keys[ki];
    char name[64], def[64];
    snprintf(name, sizeof name, "`%s`", k->name);
    const char *d = k->default_text ? k->default_text : k->def;
    if (k->default_text)
      snprintf(def, sizeof def, "%s", d);
    else
      snprintf(def, sizeof def, "`%s`", d);
    fprintf(f, "| %-*s | %-*s | %-*s | %-*s | %s |\n", (int)w[0], name, (int)w[1], k->type_text,
            (int)w[2], def, (int)w[3], k->range_text, k->help);
  }
}

/* ---- derived sizes --------------------------------------------------------------------------- */

int64_t config_P(const config_t *c, int64_t ia) {
  return llround(c->alpha[ia] * (double)c->N);
}

int64_t config_D(const config_t *c, int64_t ib) {
  if (!model_defs[c->model].features)
    return 0;
  return llround(c->alpha_D[ib] * (double)c->N);
}

int64_t config_L_eff(const config_t *c, int64_t ib, int64_t ic) {
  if (!model_defs[c->model].features)
    return 0;
  return c->L[ic] == 0 ? config_D(c, ib) : c->L[ic];
}

int64_t config_points(const config_t *c) {
  return c->n_alpha * c->n_alpha_D * c->n_L;
}

int64_t config_point_index(const config_t *c, int64_t ia, int64_t ib, int64_t ic) {
  return (ia * c->n_alpha_D + ib) * c->n_L + ic;
}

void config_point_coords(const config_t *c, int64_t point, int64_t *ia, int64_t *ib, int64_t *ic) {
  *ic = point % c->n_L;
  point /= c->n_L;
  *ib = point % c->n_alpha_D;
  *ia = point / c->n_alpha_D;
}
