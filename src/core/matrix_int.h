/* Internal matrix helpers shared across modules. */
#ifndef PRLE_CORE_MATRIX_INT_H
#define PRLE_CORE_MATRIX_INT_H

#include "prle/matrix.h"

/** Column means of `x` into `mean` (x->cols doubles), summed in double row by row. */
void prle__matrix_col_mean(double *mean, const prle_matrix *x);

#endif
