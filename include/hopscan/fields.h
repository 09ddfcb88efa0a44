/* fields: the couplings engine of the dynamics — the local fields h = J s of several states kept
 * up to date from a built J (couplings.h), O(nloc) per flip.
 *
 * Each rank keeps the fields of its own rows (layout.h) for every state; a flip of spin j adds
 * 2 s_j J_rj to them (column j, contiguous in the local layout). Fields are exact integers,
 * int32 when |h| <= P (N - 1) fits, else int64. fields_init/fields_free own the field arrays.
 * Rank-local: the dynamics (dynamics.h) does the group's agreement. */
#ifndef HOPSCAN_FIELDS_H
#define HOPSCAN_FIELDS_H

#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/err.h"

#include <stdint.h>

typedef struct fields {
  const couplings_t *cp; /* not owned; J built */
  int hbytes;            /* bytes per field: 4 or 8 */
  int64_t n_states;      /* states whose fields are held */
  void *H;               /* [n_states][nloc] local fields, int32 or int64 */
} fields_t;

void fields_init(fields_t *f, const couplings_t *cp);
void fields_free(fields_t *f);

/* Computes and keeps the local fields of n full states S[q * N + j]:
 * h_q[r] = sum_j J[r][j] S[q][j], one blocked pass over J for all states (an integer matrix
 * product). */
int fields_set_states(fields_t *f, const int8_t *S, int64_t n, err_t *e);

/* Field of local row r for state q (as kept, i.e. updated by runs). */
int64_t fields_at(const fields_t *f, int64_t q, int64_t r);

/* The engine that runs the dynamics on these fields (states q of fields_set_states). */
dyn_engine_t fields_engine(fields_t *f);

#endif
