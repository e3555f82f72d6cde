/* Whether one model's validation errors beat another's by more than noise: the rule of the
 * neighbour term (src/prle/neighbours.c) and of the kernel's standardise test
 * (src/kernel/standardize.c). Over the validation rows' paired differences of squared errors
 * d_i = a_i^2 - b_i^2 (a the old model's residuals, b the new one's), the new one is kept when
 * its MSE is at least PRLE__GAIN_MIN_SHARE below the old one's and the mean difference is at
 * least PRLE__GAIN_MIN_SE standard errors: a few dozen validation rows let a grid of choices
 * fit their noise (synthetic sets of 500 rows kept the neighbour term at lambda 0.5-0.9 and
 * lost 0.01-0.05 of R^2 on test). */
#ifndef PRLE_MATH_PAIRED_GAIN_H
#define PRLE_MATH_PAIRED_GAIN_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#define PRLE__GAIN_MIN_SHARE 0.01
#define PRLE__GAIN_MIN_SE 2.0

/** The running mean and sum of squared deviations of the d_i (Welford), from {0}. */
typedef struct prle__paired_diff {
    double mean, m2;
    size_t n;
} prle__paired_diff;

static inline void prle__paired_diff_add(prle__paired_diff *p, double d)
{
    double dm = d - p->mean;
    p->n++;
    p->mean += dm / (double)p->n;
    p->m2 += dm * (d - p->mean);
}

/** The standard error of the mean difference; +inf below 2 rows. */
static inline double prle__paired_diff_se(const prle__paired_diff *p)
{
    return p->n > 1 ? sqrt(p->m2 / (double)(p->n - 1) / (double)p->n) : INFINITY;
}

/** The rule: mse_new <= (1 - PRLE__GAIN_MIN_SHARE) mse_old and mse_old - mse_new >=
 *  PRLE__GAIN_MIN_SE se. */
static inline bool prle__gain_kept(double mse_old, double mse_new, double se)
{
    return mse_new <= (1 - PRLE__GAIN_MIN_SHARE) * mse_old &&
           mse_old - mse_new >= PRLE__GAIN_MIN_SE * se;
}

#endif
