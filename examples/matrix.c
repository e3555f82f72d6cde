/* Train, predict and explain on a float matrix with the installed library:
 *   cc matrix.c $(pkg-config --cflags --libs prle) -o matrix && ./matrix
 * 600 rows of 8 features, y = 3 sin(2 x0) + x1^2 in [-1, 5] plus noise; the kernel maps them to
 * a label-shaped value space, the model routes each row to 25 real training rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <prle/prle.h>

enum { N = 600, NV = 150, D = 8 };

static float uniform(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void make(prle_matrix *x, float *y, size_t n, unsigned seed)
{
    prle_matrix_alloc(x, n, D);
    for (size_t i = 0; i < n; i++) {
        float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < D; j++)
            r[j] = uniform(&seed);
        y[i] = 3.0f * sinf(2.0f * r[0]) + r[1] * r[1] + 0.1f * uniform(&seed);
    }
}

static int fail(const char *what)
{
    fprintf(stderr, "matrix: %s: %s\n", what, prle_last_error());
    return 1;
}

int main(void)
{
    static float y[N], yv[NV], yhat[NV];
    prle_matrix x, xv, z = {0}, zv = {0};
    prle_kernel *k = NULL;
    prle_model *m = NULL;
    prle_init(0);
    make(&x, y, N, 1);
    make(&xv, yv, NV, 2);

    prle_kernel_params kp = prle_kernel_default_params();
    kp.label_min = -3, kp.label_max = 5; /* the kernel's pair targets use the label range */
    if (prle_kernel_fit(&k, &x, y, &xv, yv, &kp) < 0)
        return fail("kernel");
    if (prle_kernel_apply(&z, k, &x, 0) < 0 || prle_kernel_apply(&zv, k, &xv, 0) < 0)
        return fail("value space");

    prle_model_params mp = prle_model_default_params();
    mp.label_min = -3, mp.label_max = 5;
    if (prle_model_fit(&m, &z, y, &zv, yv, &mp) < 0 ||
        prle_model_predict(yhat, NULL, NULL, m, &zv) < 0)
        return fail("model");
    double se = 0, var = 0, mean = 0;
    for (size_t i = 0; i < NV; i++)
        mean += yv[i] / NV;
    for (size_t i = 0; i < NV; i++)
        se += (yhat[i] - yv[i]) * (yhat[i] - yv[i]), var += (yv[i] - mean) * (yv[i] - mean);
    printf("validation R^2 %.3f over %d rows\n", 1.0 - se / var, NV);

    prle_explain_item items[3];
    float rest, pred;
    size_t n = prle_model_explain(items, &rest, &pred, m, prle_matrix_row(&zv, 0), 3);
    printf("row 0: label %.3f, prediction %.3f =\n", yv[0], pred);
    for (size_t i = 0; i < n; i++)
        printf("  training row %4zu (label %6.3f): weight %.3f x local %6.3f = %6.3f\n",
               items[i].train_row, y[items[i].train_row], items[i].weight, items[i].local,
               items[i].contribution);
    printf("  the other %zu prototypes: %.3f\n", prle_model_n_prototypes(m) - n, rest);

    prle_model_free(m);
    prle_kernel_free(k);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv), prle_matrix_dispose(&x),
        prle_matrix_dispose(&xv);
    return 1.0 - se / var > 0.5 ? 0 : 1; /* the example checks itself */
}
