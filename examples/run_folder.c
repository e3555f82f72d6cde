/* Load a run folder of `prle run` and explain one input, as `prle predict RUN --text A
 * [--text2 B] --explain 3` does:
 *   cc run_folder.c $(pkg-config --cflags --libs prle) -o run_folder
 *   ./run_folder runs/stsb-glove "A man plays a guitar." "A man is playing music." */
#include <stdio.h>
#include <prle/prle.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: run_folder RUN TEXT [TEXT2]\n"), 2;
    prle_run_folder *rf = NULL;
    prle_matrix z = {0};
    prle_explained e = {0};
    const char *t1[1] = {argv[2]}, *t2[1] = {argc > 3 ? argv[3] : NULL};
    if (prle_run_folder_open(&rf, argv[1]) < 0 ||
        prle_run_folder_encode(&z, rf, t1, argc > 3 ? t2 : NULL, 1) < 0 ||
        prle_explain_row(&e, prle_run_folder_model(rf), z.data, 3) < 0)
        return fprintf(stderr, "run_folder: %s\n", prle_last_error()), 1;
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    const float *labels = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    printf("prediction %.4f\n", e.prediction);
    for (size_t i = 0; i < e.n_items; i++)
        printf("  training row %zu (label %.3f): weight %.3f x local %.4f = %.4f\n",
               e.items[i].train_row, labels[e.items[i].train_row], e.items[i].weight,
               e.items[i].local, e.items[i].contribution);
    printf("  %zu other prototypes (weight %.3f): %.4f\n", e.rest_count, e.rest_weight,
           e.rest_contribution);
    prle_explained_dispose(&e);
    prle_matrix_dispose(&z);
    prle_run_folder_free(rf);
    return 0;
}
