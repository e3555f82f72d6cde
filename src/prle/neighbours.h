/* The neighbour term (prle_model_set_neighbour_weight; docs/run-folder.md, "The prediction"):
 * the mean label of an input's nearest training rows, scikit-learn's KNeighborsRegressor with
 * the cosine metric on standardised retrieval rows, blended into PRLE's prediction with a
 * weight chosen on validation. It is kept only where it lowers the validation MSE by more than
 * noise (math/paired_gain.h): MLQE-PE's labels follow the kind of source sentence, a neighbourhood
 * the value space loses (README, "Defaults from the data"). The search also gives `prle run` its
 * kNN yardstick. */
#ifndef PRLE_PRLE_NEIGHBOURS_H
#define PRLE_PRLE_NEIGHBOURS_H

#include <stdbool.h>

#include "prle/baselines.h"
#include "prle/dataset.h"
#include "prle/kernel.h"
#include "prle/safetensors.h"

/* Training rows searched at most, evenly spaced beyond: 10,000, or as many rows of d floats as
 * 16 M floats hold (64 MB: every row of most data sets of narrow features). Every query is
 * compared with each, so this bounds the time of a prediction and the size of the file. */
#define PRLE__NB_MIN_ROWS 10000
#define PRLE__NB_MAX_FLOATS ((size_t)1 << 24)
size_t prle__nb_max_rows(size_t d);

/* The grid: k in 5, 10, 20, 50 (at most the rows kept), uniform or 1 / distance weights. */
#define PRLE__NB_NK 4
extern const size_t prle__nb_ks[PRLE__NB_NK];

/** One neighbour search of the query rows, shared by every grid point. */
typedef struct prle__nb_search {
    prle_knn *knn; /* fitted on the kept training rows, k = kmax */
    size_t *idx;   /* (nq, kmax) */
    double *dist;  /* (nq, kmax), exact distances */
    size_t kmax, nq;
    size_t nfit, ntrain; /* training rows searched, of ntrain (evenly spaced beyond the cap) */
} prle__nb_search;

/** Fits the kNN on at most prle__nb_max_rows training rows (rows floor(i n / max) beyond) and
 *  finds the kmax nearest of each row of xq. xtr needs 1 row or more. PRLE_ENOMEM. */
int prle__nb_search_run(prle__nb_search *out, const prle_matrix *xtr, const float *ytr,
                        const prle_matrix *xq, int nt);
void prle__nb_search_dispose(prle__nb_search *s);

/** The kNN prediction of grid point (k, weights) for the search's queries, into y (nq). */
void prle__nb_search_predict(float *y, const prle__nb_search *s, size_t k,
                             prle_knn_weights weights);

/** What the validation rows chose. */
typedef struct prle__nb_choice {
    size_t k;
    prle_knn_weights weights;
    double lambda;   /* in [0, 1] */
    double mse;      /* validation MSE of the blend (standardised as the labels given) */
    double mse_prle; /* PRLE's alone */
    double gain_se;  /* the standard error of mse_prle - mse (+inf when lambda is 0) */
    bool on;         /* lambda > 0 and prle__gain_kept(mse_prle, mse, gain_se) */
} prle__nb_choice;

/**
 * The blend (1 - lambda) p + lambda c over the grid, c the kNN prediction and p = pva PRLE's
 * (n each, the search's queries, y their labels): for each point lambda is the least-squares
 * weight clipped to [0, 1], and the point of lowest MSE is chosen (ties: the earlier point).
 * PRLE_ENOMEM.
 */
int prle__nb_choose(prle__nb_choice *out, const prle__nb_search *s, const float *y,
                    const float *pva);

/** The chosen kNN taken out of the search (k and weights set), to be the term. */
prle_knn *prle__nb_take(prle__nb_search *s, const prle__nb_choice *c);

/** The training row of kept row i when n_kept of n_train rows are kept: floor(i n_train /
 *  n_kept) (evenly spaced; i itself when all are kept). */
size_t prle__nb_train_row(size_t i, size_t n_kept, size_t n_train);

/** The k the term averages. */
size_t prle__nb_k(const prle_knn *knn);

/** For each row of x, col (n) the term's prediction and kept (n, k) the kept rows (indices
 *  into the kNN's rows) it averages, nearest first; either may be NULL. PRLE_ESHAPE,
 *  PRLE_ENOMEM. */
int prle__nb_column(float *col, size_t *kept, const prle_knn *knn, const prle_matrix *x, int nt);

/** rows and labels (n_cells each; labels may be NULL) of the kept rows `kept`: their training
 *  rows (of n_train, the search's) and labels. */
void prle__nb_train_rows(size_t *rows, float *labels, const prle_knn *knn, const size_t *kept,
                         size_t n_cells, size_t n_train);

/** prle__nb_column's kept rows of x as training rows and labels (n, k). PRLE_ESHAPE,
 *  PRLE_ENOMEM. */
int prle__nb_rows(size_t *rows, float *labels, const prle_knn *knn, const prle_matrix *x,
                  size_t n_train, int nt);

/** out (n, D + 1) = [z | col], newly allocated. PRLE_ENOMEM. */
int prle__nb_append(prle_matrix *out, const prle_matrix *z, const float *col);

/** As prle__nb_append with col from prle__nb_column(knn, x); z and x have the same rows. */
int prle__nb_extend(prle_matrix *out, const prle_knn *knn, const prle_matrix *z,
                    const prle_matrix *x, int nt);

/** The model's input rows (n, prle_model_in_dim) of retrieval rows x (n, H): the kernel's
 *  value rows, and the term's column when knn is not NULL. Errors of prle_kernel_apply,
 *  PRLE_ENOMEM. */
int prle__nb_model_rows(prle_matrix *out, const prle_kernel *kernel, const prle_knn *knn,
                        const prle_matrix *x, int nt);

/** One split's part of the term's file: its rows' column and their neighbours. */
typedef struct prle__nb_split {
    float *col;   /* (n), or NULL: none kept */
    size_t *kept; /* (n, k) the kept rows each averages, nearest first, or NULL */
    size_t n;
} prle__nb_split;

/** Frees what prle__nb_load_st read into s and zeroes it. */
void prle__nb_splits_dispose(prle__nb_split s[PRLE_N_SPLITS]);

/**
 * The term's safetensors: "rows" (n, H) the kept training rows standardised, "labels" (n),
 * "scaler.mean" and "scaler.scale" (H) f64, and for each split s with s[i].col a tensor named
 * after it (prle_split_name) of s[i].n, that split's column, and with s[i].kept
 * "{split}_neighbours" (s[i].n, k) i64, the kept rows each averages. A run folder predicts and
 * explains its validation and test splits from these, as it predicts them from value/, without
 * the embedding cache (which another run's seed may have rebuilt) or the data. Metadata
 * "format": "prle-neighbours", "version": "1", "k", "weights" (uniform or distance),
 * "metric": "cosine", "n_train" (the training rows the kept ones were taken from).
 */
int prle__nb_writer(prle_st_writer **out, const prle_knn *knn,
                    const prle__nb_split s[PRLE_N_SPLITS], size_t n_train);

/** Reads what prle__nb_writer wrote, the splits' parts into s (malloc'd; dispose with
 *  prle__nb_splits_dispose) and n_train (the kept rows' count where the file lacks it).
 *  PRLE_EFORMAT naming `path`, PRLE_ENOMEM. */
int prle__nb_load_st(prle_knn **out, prle__nb_split s[PRLE_N_SPLITS], size_t *n_train,
                     const prle_st_file *f, const char *path);

#endif
