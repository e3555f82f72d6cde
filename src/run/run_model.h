/* Internal: the stage-2 parts of src/run (they need the model library). */
#ifndef PRLE_RUN_RUN_MODEL_H
#define PRLE_RUN_RUN_MODEL_H

#include <cjson/cJSON.h>

#include "run/run_int.h"

/** What the stage-2 files are written from; everything borrowed. */
typedef struct prle__stage2_view {
    const prle_model *model;
    const prle_model_params *params; /* the fit's params (method and router names) */
    const prle_dataset *ds;
    const prle_matrix *z_train;   /* (ntr, D) */
    const float *w_train;         /* (ntr, P) routing weights */
    const prle_matrix *z_test;    /* (n_test, D) */
    const float *y_test;          /* (n_test) */
    const float *w_test, *e_test; /* (n_test, P) weights and local predictions */
    size_t n_test;
    const size_t *nb_rows_test;  /* (n_test, nb_k) the neighbour term's training rows, or NULL */
    const float *nb_labels_test; /* (n_test, nb_k) their labels */
    size_t nb_k;
} prle__stage2_view;

/** prototypes.json (docs/run-folder.md). */
int prle__write_prototypes_json(const char *path, const prle__stage2_view *v);

/** explanations_test.json: `n_rows` test rows picked by prle_explain_pick, `k` prototypes. */
int prle__write_explanations_json(const char *path, const prle__stage2_view *v, size_t n_rows,
                                  size_t k);

/** rows_test.json (docs/run-folder.md): every test row of `v` with its prediction `yhat`,
 *  the interval of the plain rule `iv` (null ends when not present) clipped to the label
 *  range, the heaviest prototype's slot and weight, and the texts. */
int prle__write_test_rows_json(const char *path, const prle__stage2_view *v, const float *yhat,
                               const prle_interval_stats *iv, double label_min, double label_max);

/** The JSON object of prle_explain_json as a tree (NULL when memory runs out). */
cJSON *prle__explain_tree(const prle_explained *e, const prle_explain_input *in,
                          const prle_dataset *ds);

#endif
