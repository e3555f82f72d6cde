/* Train, predict and explain on a float matrix with the installed library:
 *   cc matrix.c $(pkg-config --cflags --libs prle) -lm -o matrix && ./matrix
 * 750 rows of 8 features, y = 3 sin(2 x0) + x1^2 plus noise; 15 % of the rows are held out for
 * early stopping, and every prediction is a weighted sum over 25 real training rows. */
#include <math.h>
#include <stdio.h>

#include <prle/prle.h>

enum { N = 750, NT = 150, D = 8 };

static void make(prle_matrix *x, float *y, size_t n, unsigned s)
{
    prle_matrix_alloc(x, n, D);
    for (size_t i = 0; i < n * D; i++) /* uniform in [-1, 1) from an LCG */
        x->data[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 8388608.0f - 1.0f;
    for (size_t i = 0; i < n; i++) {
        float *r = prle_matrix_row(x, i);
        y[i] = 3.0f * sinf(2.0f * r[0]) + r[1] * r[1] + 0.1f * r[7] * r[6];
    }
}

int main(void)
{
    static float y[N], yt[NT], yhat[NT];
    prle_matrix x, xt;
    prle_predictor *p = NULL;
    prle_init(0);
    make(&x, y, N, 1);
    make(&xt, yt, NT, 2);
    prle_predictor_params pp = prle_predictor_default_params(); /* label range from y */
    if (prle_predictor_fit(&p, &x, y, NULL, NULL, &pp) < 0 ||
        prle_predictor_predict(yhat, p, &xt) < 0) {
        fprintf(stderr, "matrix: %s\n", prle_last_error());
        return 1;
    }
    double se = 0, var = 0, mean = 0;
    for (size_t i = 0; i < NT; i++)
        mean += yt[i] / NT;
    for (size_t i = 0; i < NT; i++)
        se += (yhat[i] - yt[i]) * (yhat[i] - yt[i]), var += (yt[i] - mean) * (yt[i] - mean);
    printf("test R^2 %.3f over %d rows\n", 1.0 - se / var, NT);

    prle_explain_item it[3];
    float rest, pred;
    size_t n = prle_predictor_explain(it, &rest, &pred, p, prle_matrix_row(&xt, 0), 3);
    printf("test row 0: label %.3f, prediction %.3f =\n", yt[0], pred);
    for (size_t i = 0; i < n; i++)
        printf("  training row %3zu (label %6.3f): weight %.3f x local %6.3f = %6.3f\n",
               it[i].train_row, y[it[i].train_row], it[i].weight, it[i].local, it[i].contribution);
    printf("  the other prototypes:                                  %6.3f\n", rest);
    prle_predictor_free(p);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xt);
    return 1.0 - se / var > 0.5 ? 0 : 1; /* the example checks itself */
}
