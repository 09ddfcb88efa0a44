/* config_parse: YAML text -> validated config_t (libyaml document API), driven by config_keys[].
 *
 * Every semantic error points at a node of the YAML document: libyaml gives each node a start
 * mark, which we turn into FILE:LINE:COL (1-based). Value errors point at the value node,
 * unknown and duplicate keys at the key node. Cross-key checks live in one place, validate().
 * Numbers parse strictly through util (util_parse_double, util_parse_integer, util_parse_bytes). */
#include "hopscan/config.h"
#include "hopscan/config_keys.h"
#include "hopscan/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- parse context --------------------------------------------------------------------------- */

typedef struct pos {
  long long line, col; /* 1-based */
} pos_t;

typedef struct slot {
  bool present;
  pos_t key_pos, val_pos;
  pos_t *elem_pos; /* [count] positions of list elements; NULL for a range or a scalar */
} slot_t;

typedef struct ctx {
  const char *name;
  yaml_document_t *doc;
  config_t *c;
  slot_t slot[CONFIG_N_KEYS];
  pos_t root_pos;
  err_t *e;
} ctx_t;

static pos_t node_pos(const yaml_node_t *n) {
  pos_t p = {(long long)n->start_mark.line + 1, (long long)n->start_mark.column + 1};
  return p;
}

/* The one way config reports an error: FILE:LINE:COL: key: message. */
__attribute__((format(printf, 4, 5))) static int fail(ctx_t *x, pos_t p, const char *key,
                                                      const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (key && key[0])
    return ERR(x->e, ERR_USAGE, "%s:%lld:%lld: %s: %s", x->name, p.line, p.col, key, msg);
  return ERR(x->e, ERR_USAGE, "%s:%lld:%lld: %s", x->name, p.line, p.col, msg);
}

static const char *node_kind(const yaml_node_t *n) {
  switch (n->type) {
  case YAML_SEQUENCE_NODE:
    return "a list";
  case YAML_MAPPING_NODE:
    return "a mapping";
  default:
    return "a scalar";
  }
}

static const char *scalar_text(const yaml_node_t *n) {
  return (const char *)n->data.scalar.value;
}

static bool scalar_plain(const yaml_node_t *n) {
  return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
         n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

/* ---- did you mean ---------------------------------------------------------------------------- */

/* "unknown key (did you mean 'x'?)" or "unknown key (expected one of: a, b, c)". */
static void suggest(char *out, size_t len, const char *word, const char *const *cands, int n) {
  int best = -1, bestd = 99;
  for (int i = 0; i < n; i++) {
    int d = util_edit_distance(word, cands[i]);
    if (d < bestd) {
      bestd = d;
      best = i;
    }
  }
  size_t lw = strlen(word);
  if (best >= 0 && bestd <= 2 && (size_t)bestd < lw) {
    snprintf(out, len, "unknown key (did you mean '%s'?)", cands[best]);
    return;
  }
  size_t used = (size_t)snprintf(out, len, "unknown key (expected one of:");
  for (int i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(out + used, len - used, "%s %s", i ? "," : "", cands[i]);
  if (used < len)
    snprintf(out + used, len - used, ")");
}

/* Names allowed directly under `prefix` ("" for the top level), in table order. */
static int child_names(const char *prefix, const char **out, int max) {
  size_t lp = strlen(prefix);
  int n = 0;
  for (int k = 0; k < CONFIG_N_KEYS && n < max; k++) {
    const char *name = config_keys[k].name;
    if (lp && (strncmp(name, prefix, lp) != 0 || name[lp] != '.'))
      continue;
    const char *rest = lp ? name + lp + 1 : name;
    size_t len = strcspn(rest, ".");
    bool dup = false;
    for (int i = 0; i < n; i++)
      if (strlen(out[i]) == len && !strncmp(out[i], rest, len))
        dup = true;
    if (!dup)
      out[n++] = rest; /* a section name ends at its first dot; callers cut it there */
  }
  return n;
}

/* ---- values ---------------------------------------------------------------------------------- */

/* Range message for integers: "must be >= 1", "must be between 1 and 65536". */
static void int_range_text(const key_def *k, char *buf, size_t len) {
  if (k->imax >= CONFIG_I31)
    snprintf(buf, len, "must be >= %lld%s", (long long)k->imin,
             k->imax > CONFIG_I31 ? "" : " and < 2^31");
  else
    snprintf(buf, len, "must be between %lld and %lld", (long long)k->imin, (long long)k->imax);
}

/* Parses an integer scalar into [imin, imax]. */
static int parse_int_text(ctx_t *x, const key_def *k, const char *key, const char *s, pos_t p,
                          int64_t *out) {
  bool neg;
  uint64_t mag;
  util_num_status st = util_parse_integer(s, &neg, &mag);
  if (st == UTIL_NUM_SYNTAX)
    return fail(x, p, key, "'%s' is not an integer", s);
  if (st == UTIL_NUM_FRACTION)
    return fail(x, p, key, "%s is not an integer", s);
  char r[96];
  int_range_text(k, r, sizeof r);
  if (st == UTIL_NUM_RANGE || mag > (uint64_t)INT64_MAX)
    return fail(x, p, key, "%s is out of range (%s)", s, r);
  int64_t v = neg ? -(int64_t)mag : (int64_t)mag;
  if (v < k->imin || v > k->imax)
    return fail(x, p, key, "%s is out of range (%s)", s, r);
  *out = v;
  return 0;
}

static void num_range_text(const key_def *k, char *buf, size_t len) {
  char lo[32], hi[32];
  util_format_double(lo, sizeof lo, k->dmin);
  util_format_double(hi, sizeof hi, k->dmax);
  if (isinf(k->dmax))
    snprintf(buf, len, "must be %s %s", k->dmin_open ? ">" : ">=", lo);
  else
    snprintf(buf, len, "must be in %c%s, %s%c", k->dmin_open ? '(' : '[', lo, hi,
             k->dmax_open ? ')' : ']');
}

static bool num_in_range(const key_def *k, double v) {
  if (k->dmin_open ? !(v > k->dmin) : !(v >= k->dmin))
    return false;
  if (k->dmax_open ? !(v < k->dmax) : !(v <= k->dmax))
    return false;
  return true;
}

/* A scalar value of a non-list key, from the document (node) or from a default (node NULL). */
static int parse_scalar(ctx_t *x, const key_def *k, const char *s, bool plain, pos_t p) {
  config_t *c = x->c;
  const char *key = k->name;
  char r[96];
  switch (k->type) {
  case KT_ENUM:
    if (!*s)
      return fail(x, p, key, "missing value (expected one of: %s)", k->type_text);
    for (int i = 0; k->choices[i]; i++)
      if (!strcmp(s, k->choices[i])) {
        *FIELD(c, k->off, int) = i;
        return 0;
      }
    {
      char list[128] = "";
      for (int i = 0; k->choices[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 k->choices[i]);
      return fail(x, p, key, "'%s' is not one of: %s", s, list);
    }
  case KT_AUTO_INT:
    if (!strcmp(s, "auto")) {
      *FIELD(c, k->off, int64_t) = 0;
      return 0;
    }
    /* fall through */
  case KT_INT:
    if (!plain)
      return fail(x, p, key, "expected an integer, got the quoted string \"%s\"", s);
    if (!*s)
      return fail(x, p, key, "missing value (expected an integer)");
    return parse_int_text(x, k, key, s, p, FIELD(c, k->off, int64_t));
  case KT_SEED: {
    if (!plain)
      return fail(x, p, key, "expected an integer, got the quoted string \"%s\"", s);
    if (!*s)
      return fail(x, p, key, "missing value (expected an integer)");
    bool neg;
    uint64_t mag;
    util_num_status st = util_parse_integer(s, &neg, &mag);
    if (st == UTIL_NUM_SYNTAX)
      return fail(x, p, key, "'%s' is not an integer", s);
    if (st == UTIL_NUM_FRACTION)
      return fail(x, p, key, "%s is not an integer", s);
    if (st == UTIL_NUM_RANGE || (neg && mag != 0))
      return fail(x, p, key, "%s is out of range (must be between 0 and 2^64-1)", s);
    *FIELD(c, k->off, uint64_t) = mag;
    return 0;
  }
  case KT_NUM: {
    if (!plain)
      return fail(x, p, key, "expected a number, got the quoted string \"%s\"", s);
    if (!*s)
      return fail(x, p, key, "missing value (expected a number)");
    double v;
    if (!util_parse_double(s, &v))
      return fail(x, p, key, "'%s' is not a number", s);
    if (!num_in_range(k, v)) {
      num_range_text(k, r, sizeof r);
      return fail(x, p, key, "%s is out of range (%s)", s, r);
    }
    *FIELD(c, k->off, double) = v;
    return 0;
  }
  case KT_BYTES: {
    if (!strcmp(s, "auto")) {
      *FIELD(c, k->off, double) = 0;
      return 0;
    }
    if (!*s)
      return fail(x, p, key, "missing value (expected auto or a byte count such as 4G)");
    double v;
    if (!util_parse_bytes(s, &v))
      return fail(x, p, key,
                  "'%s' is not a byte count (expected auto, or a number with an "
                  "optional K, M, G or T suffix such as 4G)",
                  s);
    if (!num_in_range(k, v))
      return fail(x, p, key, "%s is out of range (must be > 0)", s);
    *FIELD(c, k->off, double) = v;
    return 0;
  }
  case KT_AXIS:
  case KT_LLIST:
  case KT_ILIST:
    break;
  }
  return fail(x, p, key, "internal error: no scalar parser");
}

/* One positive number of an axis (explicit list element or range bound). */
static int axis_number(ctx_t *x, const char *key, const yaml_node_t *n, double *v) {
  pos_t p = node_pos(n);
  if (n->type != YAML_SCALAR_NODE)
    return fail(x, p, key, "expected a number, got %s", node_kind(n));
  const char *s = scalar_text(n);
  if (!scalar_plain(n))
    return fail(x, p, key, "expected a number, got the quoted string \"%s\"", s);
  if (!*s)
    return fail(x, p, key, "missing value (expected a number)");
  if (!util_parse_double(s, v))
    return fail(x, p, key, "'%s' is not a number", s);
  if (!(*v > 0))
    return fail(x, p, key, "%s is out of range (must be > 0)", s);
  return 0;
}

static int find_duplicate_key(ctx_t *x, const yaml_node_t *map, const yaml_node_pair_t *pair) {
  const yaml_node_t *kn = yaml_document_get_node(x->doc, pair->key);
  for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
    const yaml_node_t *qn = yaml_document_get_node(x->doc, q->key);
    if (qn->type == YAML_SCALAR_NODE && !strcmp(scalar_text(qn), scalar_text(kn)))
      return (int)(qn->start_mark.line + 1);
  }
  return 0;
}

/* Mapping keys must be scalars and unique; returns the key text. */
static int check_key(ctx_t *x, const yaml_node_t *map, const yaml_node_pair_t *pair,
                     const char *prefix, const char **name) {
  const yaml_node_t *kn = yaml_document_get_node(x->doc, pair->key);
  if (kn->type != YAML_SCALAR_NODE)
    return fail(x, node_pos(kn), prefix, "keys must be names, got %s", node_kind(kn));
  *name = scalar_text(kn);
  int first = find_duplicate_key(x, map, pair);
  if (first) {
    char full[128];
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", *name);
    return fail(x, node_pos(kn), full, "duplicate key (first given on line %d)", first);
  }
  return 0;
}

/* {start, stop, num, spacing}: generates the values; first = start and last = stop exactly. */
static int parse_range(ctx_t *x, const key_def *k, const yaml_node_t *map, double **vals,
                       int64_t *count) {
  static const char *const rkeys[] = {"start", "stop", "num", "spacing"};
  const yaml_node_t *val[4] = {NULL, NULL, NULL, NULL};
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
       pr++) {
    const char *name;
    CHECK(x->e, check_key(x, map, pr, k->name, &name));
    int which = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(name, rkeys[i]))
        which = i;
    if (which < 0) {
      char msg[256], full[128];
      suggest(msg, sizeof msg, name, rkeys, 4);
      snprintf(full, sizeof full, "%s.%s", k->name, name);
      return fail(x, node_pos(yaml_document_get_node(x->doc, pr->key)), full, "%s", msg);
    }
    val[which] = yaml_document_get_node(x->doc, pr->value);
  }
  for (int i = 0; i < 3; i++)
    if (!val[i])
      return fail(x, node_pos(map), k->name,
                  "a range needs start, stop and num (missing: %s); or give an explicit list",
                  rkeys[i]);
  char key[128];
  double start, stop;
  snprintf(key, sizeof key, "%s.start", k->name);
  CHECK(x->e, axis_number(x, key, val[0], &start));
  snprintf(key, sizeof key, "%s.stop", k->name);
  CHECK(x->e, axis_number(x, key, val[1], &stop));
  snprintf(key, sizeof key, "%s.num", k->name);
  const yaml_node_t *nn = val[2];
  if (nn->type != YAML_SCALAR_NODE)
    return fail(x, node_pos(nn), key, "expected an integer, got %s", node_kind(nn));
  if (!scalar_plain(nn))
    return fail(x, node_pos(nn), key, "expected an integer, got the quoted string \"%s\"",
                scalar_text(nn));
  const key_def num_def = {.name = key, .type = KT_INT, .imin = 1, .imax = 100000};
  int64_t num;
  CHECK(x->e, parse_int_text(x, &num_def, key, scalar_text(nn), node_pos(nn), &num));
  if (num == 1 && start != stop)
    return fail(x, node_pos(nn), key, "num = 1 needs start == stop (got %s and %s)",
                scalar_text(val[0]), scalar_text(val[1]));
  if (num > 1 && start == stop)
    return fail(x, node_pos(nn), key, "start == stop with num = %lld repeats one value",
                (long long)num);
  bool logsp = false;
  if (val[3]) {
    snprintf(key, sizeof key, "%s.spacing", k->name);
    const yaml_node_t *sn = val[3];
    if (sn->type != YAML_SCALAR_NODE)
      return fail(x, node_pos(sn), key, "expected lin or log, got %s", node_kind(sn));
    if (!strcmp(scalar_text(sn), "log"))
      logsp = true;
    else if (strcmp(scalar_text(sn), "lin") != 0)
      return fail(x, node_pos(sn), key, "'%s' is not one of: lin, log", scalar_text(sn));
  }
  double *v;
  CHECK(x->e, util_alloc((void **)&v, (size_t)num, sizeof *v, "config axis", x->e));
  for (int64_t i = 0; i < num; i++) {
    double t = num > 1 ? (double)i / (double)(num - 1) : 0.0;
    v[i] = logsp ? exp(log(start) + t * (log(stop) - log(start))) : start + t * (stop - start);
  }
  v[0] = start;
  v[num - 1] = stop;
  *vals = v;
  *count = num;
  return 0;
}

/* Explicit list of numbers > 0 or a range mapping. */
static int parse_axis(ctx_t *x, const key_def *k, slot_t *sl, const yaml_node_t *n) {
  double **vals = FIELD(x->c, k->off, double *);
  int64_t *count = FIELD(x->c, k->off_n, int64_t);
  if (n->type == YAML_MAPPING_NODE)
    return parse_range(x, k, n, vals, count);
  if (n->type != YAML_SEQUENCE_NODE)
    return fail(x, node_pos(n), k->name,
                "expected a list such as [0.05, 0.1] or a range {start: 0.02, stop: 2, num: 12, "
                "spacing: log}, got %s",
                node_kind(n));
  int64_t len = n->data.sequence.items.top - n->data.sequence.items.start;
  if (len == 0)
    return fail(x, node_pos(n), k->name, "empty list (give at least one value)");
  double *v;
  CHECK(x->e, util_alloc((void **)&v, (size_t)len, sizeof *v, "config axis", x->e));
  *vals = v;
  *count = len;
  CHECK(x->e, util_alloc((void **)&sl->elem_pos, (size_t)len, sizeof(pos_t), "config", x->e));
  for (int64_t i = 0; i < len; i++) {
    const yaml_node_t *el = yaml_document_get_node(x->doc, n->data.sequence.items.start[i]);
    char key[64];
    snprintf(key, sizeof key, "%s[%lld]", k->name, (long long)i);
    sl->elem_pos[i] = node_pos(el);
    CHECK(x->e, axis_number(x, key, el, &v[i]));
    for (int64_t j = 0; j < i; j++)
      if (v[j] == v[i])
        return fail(x, node_pos(el), key, "%s repeats %s[%lld]", scalar_text(el), k->name,
                    (long long)j);
  }
  return 0;
}

/* List of integers >= 1 or `dense` (stored as 0); KT_ILIST: integers in [imin, imax] only. */
static int parse_llist(ctx_t *x, const key_def *k, slot_t *sl, const yaml_node_t *n) {
  const bool dense_ok = k->type == KT_LLIST;
  if (n->type != YAML_SEQUENCE_NODE)
    return fail(x, node_pos(n), k->name, "expected a list such as %s, got %s",
                dense_ok ? "[1, 3, dense]" : "[3, 5, 7]", node_kind(n));
  int64_t len = n->data.sequence.items.top - n->data.sequence.items.start;
  if (len == 0)
    return fail(x, node_pos(n), k->name, "empty list (give at least one value)");
  int32_t *v;
  CHECK(x->e, util_alloc((void **)&v, (size_t)len, sizeof *v, "config L", x->e));
  *FIELD(x->c, k->off, int32_t *) = v;
  *FIELD(x->c, k->off_n, int64_t) = len;
  CHECK(x->e, util_alloc((void **)&sl->elem_pos, (size_t)len, sizeof(pos_t), "config", x->e));
  const key_def el_def = {
      .type = KT_INT, .imin = dense_ok ? 1 : k->imin, .imax = dense_ok ? CONFIG_I31 : k->imax};
  const char *want = dense_ok ? "an integer or dense" : "an integer";
  for (int64_t i = 0; i < len; i++) {
    const yaml_node_t *el = yaml_document_get_node(x->doc, n->data.sequence.items.start[i]);
    char key[64];
    snprintf(key, sizeof key, "%s[%lld]", k->name, (long long)i);
    pos_t p = node_pos(el);
    sl->elem_pos[i] = p;
    if (el->type != YAML_SCALAR_NODE)
      return fail(x, p, key, "expected %s, got %s", want, node_kind(el));
    const char *s = scalar_text(el);
    int64_t iv = 0;
    if (!dense_ok || strcmp(s, "dense") != 0) {
      if (!scalar_plain(el))
        return fail(x, p, key, "expected %s, got the quoted string \"%s\"", want, s);
      if (!*s)
        return fail(x, p, key, "missing value (expected %s)", want);
      bool neg;
      uint64_t mag;
      util_num_status st = util_parse_integer(s, &neg, &mag);
      if (st == UTIL_NUM_SYNTAX)
        return fail(x, p, key,
                    dense_ok ? "'%s' is neither an integer nor dense" : "'%s' is not an integer",
                    s);
      CHECK(x->e, parse_int_text(x, &el_def, key, s, p, &iv));
    }
    v[i] = (int32_t)iv;
    for (int64_t j = 0; j < i; j++)
      if (v[j] == v[i])
        return fail(x, p, key, "%s repeats %s[%lld]", s, k->name, (long long)j);
  }
  return 0;
}

static int parse_value(ctx_t *x, int ki, const yaml_node_t *kn, const yaml_node_t *vn) {
  const key_def *k = &config_keys[ki];
  slot_t *sl = &x->slot[ki];
  sl->present = true;
  sl->key_pos = node_pos(kn);
  sl->val_pos = node_pos(vn);
  if (k->type == KT_AXIS)
    return parse_axis(x, k, sl, vn);
  if (k->type == KT_LLIST || k->type == KT_ILIST)
    return parse_llist(x, k, sl, vn);
  if (vn->type != YAML_SCALAR_NODE) {
    const char *want = k->type == KT_ENUM    ? "one of its names"
                       : k->type == KT_NUM   ? "a number"
                       : k->type == KT_BYTES ? "a byte count"
                                             : "an integer";
    return fail(x, sl->val_pos, k->name, "expected %s, got %s", want, node_kind(vn));
  }
  return parse_scalar(x, k, scalar_text(vn), scalar_plain(vn), sl->val_pos);
}

/* Walks one mapping of the document (the root, or a section such as `probes`). */
static int walk_mapping(ctx_t *x, const yaml_node_t *map, const char *prefix) {
  const char *names[CONFIG_N_KEYS];
  int n_names = child_names(prefix, names, CONFIG_N_KEYS);
  char cand_buf[CONFIG_N_KEYS][48];
  const char *cands[CONFIG_N_KEYS];
  for (int i = 0; i < n_names; i++) {
    size_t len = strcspn(names[i], ".");
    snprintf(cand_buf[i], sizeof cand_buf[i], "%.*s", (int)len, names[i]);
    cands[i] = cand_buf[i];
  }
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
       pr++) {
    const char *name;
    CHECK(x->e, check_key(x, map, pr, prefix, &name));
    const yaml_node_t *kn = yaml_document_get_node(x->doc, pr->key);
    const yaml_node_t *vn = yaml_document_get_node(x->doc, pr->value);
    char full[128];
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", name);
    int ki = -1;
    bool section = false;
    size_t lf = strlen(full);
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
      if (!strcmp(config_keys[k].name, full))
        ki = k;
      else if (!strncmp(config_keys[k].name, full, lf) && config_keys[k].name[lf] == '.')
        section = true;
    }
    if (ki >= 0) {
      CHECK(x->e, parse_value(x, ki, kn, vn));
    } else if (section) {
      if (vn->type != YAML_MAPPING_NODE) {
        char ex[256] = "";
        const char *sub[CONFIG_N_KEYS];
        int ns = child_names(full, sub, CONFIG_N_KEYS);
        for (int i = 0; i < ns; i++)
          snprintf(ex + strlen(ex), sizeof ex - strlen(ex), "%s%s: ...", i ? ", " : "", sub[i]);
        return fail(x, node_pos(vn), full, "expected a mapping such as {%s}, got %s", ex,
                    vn->type == YAML_SCALAR_NODE && !*scalar_text(vn) ? "nothing" : node_kind(vn));
      }
      CHECK(x->e, walk_mapping(x, vn, full));
    } else {
      char msg[512];
      suggest(msg, sizeof msg, name, cands, n_names);
      return fail(x, node_pos(kn), full, "%s", msg);
    }
  }
  return 0;
}

/* The searched axis is made by the search, and search keys need search.along. */
static int check_search_presence(ctx_t *x, const key_def *d, const slot_t *sl) {
  const config_t *c = x->c;
  if (sl->present && config_key_searched(d, c))
    return fail(x, sl->key_pos, d->name,
                "not used with search.along: %s (the search makes its values from search.range; "
                "remove this key)",
                d->name);
  if (sl->present && (d->flags & K_SEARCH) && c->search.along == SEARCH_NONE &&
      strcmp(d->name, "search.along") != 0)
    return fail(x, sl->key_pos, d->name,
                "given without search.along (say which axis to search: alpha or alpha_D)");
  return 0;
}

static pos_t value_pos_or(const ctx_t *x, const char *name, pos_t fallback);

/* Search: the range, the sample slots, the observable, and the lattice of the searched axis. */
static int prepare_search(ctx_t *x) {
  config_t *c = x->c;
  if (c->search.along == SEARCH_NONE)
    return 0;
  const char *rk = "search.range";
  pos_t rp = value_pos_or(x, rk, x->root_pos);
  if (c->search.n_range != 2 || !(c->search.range[0] < c->search.range[1]))
    return fail(x, rp, rk, "expected [lo, hi] with 0 < lo < hi (%lld value(s) given)",
                (long long)c->search.n_range);
  int ob = c->search.observable;
  if (c->probes[ob] < 1)
    return fail(x, value_pos_or(x, "search.observable", x->root_pos), "search.observable",
                "%s has no probes (set probes.%s >= 1)", c->kinds[ob].name, c->kinds[ob].name);
  int64_t ms = c->search.max_samples;
  if (ms > 0 &&
      (ms < c->samples || (c->search.statistic == STAT_MIN_SAMPLE_MEAN && ms != c->samples)))
    return fail(x, value_pos_or(x, "search.max_samples", x->root_pos), "search.max_samples",
                "%lld: must be >= samples = %lld (min_sample_mean: equal to it, since every "
                "sample is part of its definition)",
                (long long)ms, (long long)c->samples);
  if (c->search.first_samples > c->samples)
    return fail(x, value_pos_or(x, "search.first_samples", x->root_pos), "search.first_samples",
                "%lld exceeds samples = %lld", (long long)c->search.first_samples,
                (long long)c->samples);
  char msg[256];
  double *v = NULL;
  int64_t n = 0;
  if (config_search_lattice(c, &v, &n, msg, sizeof msg) != 0)
    return fail(x, rp, rk, "%s", msg);
  if (c->search.along == SEARCH_ALPHA) {
    free(c->alpha);
    c->alpha = v;
    c->n_alpha = n;
  } else {
    free(c->alpha_D);
    c->alpha_D = v;
    c->n_alpha_D = n;
  }
  return 0;
}

/* Model-dependent presence rules, required keys, and defaults for the rest. */
static int fill_defaults(ctx_t *x) {
  config_t *c = x->c;
  int im = -1;
  for (int k = 0; k < CONFIG_N_KEYS; k++)
    if (!strcmp(config_keys[k].name, "model"))
      im = k;
  if (!x->slot[im].present)
    c->model = MODEL_RFHM;
  /* hop: the model has no features (model table), so the feature keys are absent and feature
   * probes are 0 */
  bool hop = !model_defs[c->model].features;
  char missing[256] = "";
  int first_missing = -1;
  for (int k = 0; k < CONFIG_N_KEYS; k++) {
    const key_def *d = &config_keys[k];
    slot_t *sl = &x->slot[k];
    if (hop && (d->flags & K_RFHM_ONLY) && sl->present)
      return fail(x, sl->key_pos, d->name,
                  "not used by model %s (remove it, or set model: "
                  "rfhm)",
                  model_defs[c->model].name);
    if (hop && (d->flags & K_ZERO_HOPFIELD) && sl->present && *FIELD(c, d->off, int64_t) != 0)
      return fail(x, sl->val_pos, d->name, "must be 0 for model %s (it has no features)",
                  model_defs[c->model].name);
    CHECK(x->e, check_search_presence(x, d, sl));
    if (sl->present)
      continue;
    bool required = (d->flags & K_REQUIRED) && !(hop && (d->flags & K_RFHM_ONLY)) &&
                    !config_key_searched(d, c) &&
                    !((d->flags & K_SEARCH) && c->search.along == SEARCH_NONE);
    if (required) {
      if (first_missing < 0)
        first_missing = k;
      else
        snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                 missing[0] ? ", " : "", d->name);
      continue;
    }
    if (hop && (d->flags & K_ZERO_HOPFIELD)) {
      *FIELD(c, d->off, int64_t) = 0;
      continue;
    }
    if (d->def)
      CHECK(x->e, parse_scalar(x, d, d->def, true, x->root_pos));
  }
  if (first_missing >= 0) {
    if (missing[0])
      return fail(x, x->root_pos, config_keys[first_missing].name,
                  "missing required key (also missing: %s)", missing);
    return fail(x, x->root_pos, config_keys[first_missing].name, "missing required key");
  }
  if (hop) {
    CHECK(x->e, util_alloc((void **)&c->alpha_D, 1, sizeof(double), "config", x->e));
    CHECK(x->e, util_alloc((void **)&c->L, 1, sizeof(int32_t), "config", x->e));
    c->alpha_D[0] = 0;
    c->n_alpha_D = 1;
    c->L[0] = 0;
    c->n_L = 1;
    c->coefficients = COEF_PM1;
  }
  return 0;
}

/* Position of element i of a list key (its element node, else the value, else the root). */
static pos_t elem_pos(const ctx_t *x, const char *name, int64_t i) {
  const slot_t *sl = &x->slot[config_key_index(name)];
  if (config_key_searched(&config_keys[config_key_index(name)], x->c))
    sl = &x->slot[config_key_index("search.range")]; /* the search made these values */
  if (sl->elem_pos && !config_key_searched(&config_keys[config_key_index(name)], x->c))
    return sl->elem_pos[i];
  if (sl->present)
    return sl->val_pos;
  return x->root_pos;
}

/* Where a scalar key is blamed: its value if given, else `fallback`. */
static pos_t value_pos_or(const ctx_t *x, const char *name, pos_t fallback) {
  const slot_t *sl = &x->slot[config_key_index(name)];
  return sl->present ? sl->val_pos : fallback;
}

/* probes.mixture: odd sizes with enough components (features, or patterns for models without
 * features) at every grid point; count only with sizes. */
static int validate_mixture(ctx_t *x, int64_t comps, const char *what) {
  const config_t *c = x->c;
  const char *sizes = "probes.mixture.sizes";
  char key[64];
  if (c->n_mixture_sizes == 0) {
    const slot_t *sl = &x->slot[config_key_index("probes.mixture.count")];
    if (sl->present)
      return fail(x, sl->key_pos, "probes.mixture.count",
                  "given without probes.mixture.sizes (say which mixtures, e.g. sizes: [3, 5, 7])");
    return 0;
  }
  if (c->n_mixture_sizes > PROBE_KINDS_MAX - 3)
    return fail(x, elem_pos(x, sizes, PROBE_KINDS_MAX - 3), sizes,
                "%lld sizes (at most %d mixture kinds)", (long long)c->n_mixture_sizes,
                PROBE_KINDS_MAX - 3);
  for (int64_t i = 0; i < c->n_mixture_sizes; i++) {
    int n = (int)c->mixture_sizes[i];
    snprintf(key, sizeof key, "%s[%lld]", sizes, (long long)i);
    if (n % 2 == 0)
      return fail(x, elem_pos(x, sizes, i), key,
                  "%d is even (a mixture has an odd number of components, so its sign has no ties)",
                  n);
    if (n > comps)
      return fail(x, elem_pos(x, sizes, i), key,
                  "%d exceeds %s = %lld components at the smallest %s (a mixture needs n <= %s)", n,
                  what, (long long)comps, *what == 'D' ? "alpha_D" : "alpha", what);
  }
  return 0;
}

/* Cross-key checks, all in one place. */
static int validate(ctx_t *x) {
  const config_t *c = x->c;
  const double N = (double)c->N;
  char key[64], av[32];
  int64_t Pmin = INT64_MAX, imin = 0;
  for (int64_t i = 0; i < c->n_alpha; i++) {
    double a = c->alpha[i];
    snprintf(key, sizeof key, "alpha[%lld]", (long long)i);
    util_format_double(av, sizeof av, a);
    pos_t p = elem_pos(x, "alpha", i);
    if (a * N < 0.5)
      return fail(x, p, key, "%s gives P = round(alpha*N) = 0 patterns at N = %lld (need >= 1)", av,
                  (long long)c->N);
    if (a * N >= 16777216.0 - 0.5)
      return fail(x, p, key,
                  "%s gives P = round(alpha*N) >= 2^24 at N = %lld (the float32 J build is exact "
                  "only below 2^24)",
                  av, (long long)c->N);
    int64_t P = llround(a * N), pnn;
    if (!util_mul_i64(P, c->N, &pnn) || !util_mul_i64(pnn, c->N, &pnn) || pnn >= (INT64_C(1) << 62))
      return fail(x, p, key,
                  "%s gives P*N^2 = %lld*%lld^2 >= 2^62: integer energies could overflow "
                  "(lower N or alpha)",
                  av, (long long)P, (long long)c->N);
    if (P < Pmin) {
      Pmin = P;
      imin = i;
    }
  }
  int64_t Dmin = INT64_MAX, jmin = 0;
  if (model_defs[c->model].features) {
    for (int64_t j = 0; j < c->n_alpha_D; j++) {
      double a = c->alpha_D[j];
      snprintf(key, sizeof key, "alpha_D[%lld]", (long long)j);
      util_format_double(av, sizeof av, a);
      pos_t p = elem_pos(x, "alpha_D", j);
      if (a * N < 0.5)
        return fail(x, p, key, "%s gives D = round(alpha_D*N) = 0 features at N = %lld (need >= 1)",
                    av, (long long)c->N);
      if (a * N >= 2147483647.0 - 0.5)
        return fail(x, p, key, "%s gives D = round(alpha_D*N) >= 2^31 at N = %lld", av,
                    (long long)c->N);
      int64_t D = llround(a * N);
      if (D < Dmin) {
        Dmin = D;
        jmin = j;
      }
    }
    for (int64_t l = 0; l < c->n_L; l++) {
      if (c->L[l] == 0 || c->L[l] <= Dmin)
        continue;
      snprintf(key, sizeof key, "L[%lld]", (long long)l);
      util_format_double(av, sizeof av, c->alpha_D[jmin]);
      return fail(x, elem_pos(x, "L", l), key,
                  "%d exceeds D = round(alpha_D*N) = %lld at alpha_D[%lld] = %s (L must be <= D "
                  "for every alpha_D; use dense for L = D)",
                  (int)c->L[l], (long long)Dmin, (long long)jmin, av);
    }
    if (c->probes[PROBE_FEATURE] > Dmin) {
      util_format_double(av, sizeof av, c->alpha_D[jmin]);
      return fail(x, value_pos_or(x, "probes.feature", elem_pos(x, "alpha_D", jmin)),
                  "probes.feature",
                  "%lld exceeds D = %lld features at alpha_D[%lld] = %s (need probes.feature <= "
                  "D for every alpha_D)",
                  (long long)c->probes[PROBE_FEATURE], (long long)Dmin, (long long)jmin, av);
    }
  }
  if (c->probes[PROBE_TRAIN] > Pmin) {
    util_format_double(av, sizeof av, c->alpha[imin]);
    return fail(x, value_pos_or(x, "probes.train", elem_pos(x, "alpha", imin)), "probes.train",
                "%lld exceeds P = %lld patterns at alpha[%lld] = %s (need probes.train <= P "
                "for every alpha)",
                (long long)c->probes[PROBE_TRAIN], (long long)Pmin, (long long)imin, av);
  }
  CHECK(x->e, validate_mixture(x, model_defs[c->model].features ? Dmin : Pmin,
                               model_defs[c->model].features ? "D" : "P"));
  int64_t total = 0;
  for (int k = 0; k < c->n_kinds; k++)
    total += c->probes[k];
  if (total == 0)
    return fail(x, value_pos_or(x, "probes.train", x->root_pos), "probes",
                "no probes at all (set probes.train, probes.test or probes.feature >= 1)");
  return 0;
}

static int load_document(ctx_t *x, yaml_parser_t *parser) {
  yaml_document_t *doc = x->doc;
  if (!yaml_parser_load(parser, doc)) {
    pos_t p = {(long long)parser->problem_mark.line + 1,
               (long long)parser->problem_mark.column + 1};
    if (parser->error == YAML_MEMORY_ERROR)
      return ERR(x->e, ERR_RUNTIME, "%s: out of memory parsing YAML", x->name);
    if (parser->context)
      return fail(x, p, NULL, "invalid YAML: %s (%s that starts at %lld:%lld)",
                  parser->problem ? parser->problem : "error", parser->context,
                  (long long)parser->context_mark.line + 1,
                  (long long)parser->context_mark.column + 1);
    return fail(x, p, NULL, "invalid YAML: %s", parser->problem ? parser->problem : "error");
  }
  return 0;
}

int config_load_string(config_t *c, const char *text, size_t len, const char *name, err_t *e) {
  config_init(c);
  ctx_t x;
  memset(&x, 0, sizeof x);
  x.name = name;
  x.c = c;
  x.e = e;
  x.root_pos = (pos_t){1, 1};
  yaml_parser_t parser;
  yaml_document_t doc, doc2;
  bool have_doc = false, have_doc2 = false;
  int rc = 0;
  if (!yaml_parser_initialize(&parser))
    return ERR(e, ERR_RUNTIME, "%s: cannot initialize the YAML parser", name);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  x.doc = &doc;
  TRY(e, rc, load_document(&x, &parser), out);
  have_doc = true;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    rc = fail(&x, x.root_pos, NULL,
              "empty config (expected a mapping with at least the keys N and alpha)");
    goto out;
  }
  x.root_pos = node_pos(root);
  /* A second document in the stream is an error, not silently ignored. */
  x.doc = &doc2;
  TRY(e, rc, load_document(&x, &parser), out);
  have_doc2 = true;
  yaml_node_t *root2 = yaml_document_get_root_node(&doc2);
  if (root2) {
    rc = fail(&x, node_pos(root2), NULL, "only one YAML document is allowed per config");
    goto out;
  }
  x.doc = &doc;
  if (root->type != YAML_MAPPING_NODE) {
    rc = fail(&x, x.root_pos, NULL, "the config must be a mapping of keys (key: value), got %s",
              node_kind(root));
    goto out;
  }
  TRY(e, rc, walk_mapping(&x, root, ""), out);
  TRY(e, rc, fill_defaults(&x), out);
  config_derive_kinds(c);
  TRY(e, rc, prepare_search(&x), out);
  TRY(e, rc, validate(&x), out);
  c->path = strdup(name);
  if (!c->path)
    rc = ERR(e, ERR_RUNTIME, "out of memory");
out:
  for (int k = 0; k < CONFIG_N_KEYS; k++)
    free(x.slot[k].elem_pos);
  if (have_doc)
    yaml_document_delete(&doc);
  if (have_doc2)
    yaml_document_delete(&doc2);
  yaml_parser_delete(&parser);
  if (rc)
    config_free(c);
  return rc;
}

int config_load_file(config_t *c, const char *path, err_t *e) {
  config_init(c);
  char *text;
  size_t len;
  CHECK(e, util_read_file(path, &text, &len, e));
  int rc = config_load_string(c, text, len, path, e);
  free(text);
  CHECK(e, rc);
  return 0;
}
