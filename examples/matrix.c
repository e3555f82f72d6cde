/* Train, predict and explain on a matrix: cc matrix.c $(pkg-config --cflags --libs prle) -lm */
#include <math.h>
#include <stdio.h>
#include <prle/prle.h>

int main(void)
{
    static float x[1000][4], y[1000], yhat[200];
    for (unsigned i = 0, s = 1; i < 4000; i++) /* uniform in [-1, 1) from an LCG */
        x[i / 4][i % 4] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 8388608.0f - 1.0f;
    for (int i = 0; i < 1000; i++)
        y[i] = sinf(3 * x[i][0]) + x[i][1] * x[i][1];
    prle_matrix train = prle_matrix_view(x[0], 800, 4), test = prle_matrix_view(x[800], 200, 4);
    prle_predictor_params pp = prle_predictor_default_params(); /* 15 % held out, seed 42 */
    prle_predictor *p = NULL;
    if (prle_predictor_fit(&p, &train, y, NULL, NULL, &pp) < 0 ||
        prle_predictor_predict(yhat, p, &test) < 0)
        return fprintf(stderr, "matrix: %s\n", prle_last_error()), 1;
    double se = 0;
    for (int i = 0; i < 200; i++)
        se += pow(yhat[i] - y[800 + i], 2) / 200;
    prle_explain_item it[3];
    float rest, pred;
    size_t k = prle_predictor_explain(it, &rest, &pred, p, x[800], 3);
    for (size_t i = 0; i < k; i++)
        printf("training row %3zu (label %.3f): weight %.3f x local %.3f\n", it[i].train_row,
               y[it[i].train_row], it[i].weight, it[i].local);
    printf("+ the rest %.3f = prediction %.3f (label %.3f); test RMSE %.3f\n", rest, pred, y[800],
           sqrt(se));
    prle_predictor_free(p);
    return se > 0.1; /* the example checks itself */
}
