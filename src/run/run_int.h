/* Internal pieces of src/run: folder helpers, the kernel stage, text encoding. */
#ifndef PRLE_RUN_RUN_INT_H
#define PRLE_RUN_RUN_INT_H

#include "io/fileio.h"
#include "math/ridge_path.h"
#include "prle/encoder.h"
#include "prle/neighbours.h"
#include "prle/run.h"
#include "prle/table.h"
#include "run/run_marker.h"

/** Longest path the run code builds. */
#define PRLE__RUN_PATH 4096

/** snprintf "%s/%s" into `out`; PRLE_EINVAL "path too long" when it does not fit. */
int prle__path_join(char *out, size_t len, const char *dir, const char *name);

/** Copies the bytes of `src` to `dst` atomically. PRLE_ENOTFOUND / PRLE_EIO naming the path. */
int prle__copy_file(const char *dst, const char *src);

/** 0 when `dir` is absent or may be replaced by a run (see PRLE__RUN_MARKER); PRLE_EINVAL
 *  naming it otherwise (a file, a link, a folder of something else). */
int prle__run_folder_check(const char *dir);

/** For commands that write into a run folder in place (prle kernel, prle baselines):
 *  prle__run_folder_check, then creates the folder and its marker if missing. */
int prle__run_folder_claim(const char *dir);

/** A temporary folder `.{name}.tmp-{pid}` beside `final_dir` (created, empty: an old
 *  leftover of that name, and those of killed runs, are removed first), holding the run
 *  marker. `*out` and `*parent` (the folder holding both) malloc'd; `*made` as
 *  prle__mkdir_new gives it for `*parent`, so a failed run removes what it created. */
int prle__run_tmp_dir(char **out, char **parent, size_t *made, const char *final_dir);

/**
 * Puts `tmp_dir` in the place of `final_dir`, after prle__run_folder_check on it: an existing
 * final folder is exchanged with the new one in one atomic rename (renameat2 RENAME_EXCHANGE;
 * where the file system lacks it, moved aside as `.{name}.old-{pid}` and put back on failure),
 * then removed. PRLE_EINVAL for a folder that is not a run's, PRLE_EIO naming the folder.
 */
int prle__run_commit_dir(const char *tmp_dir, const char *final_dir);

/** The ridge yardstick of metrics.json (src/run/metrics.c): fitted on x[train], alpha chosen
 *  on validation, scored on validation and test; `given` (NULL, or without coef: none) is
 *  that ridge already chosen, by the kernel's standardise test. Not present (no error) without
 *  at least two labelled validation rows. PRLE_ENOMEM, PRLE_ERROR from LAPACK. */
int prle__run_ridge_reference(prle_run_reference *out, const prle_matrix x[PRLE_N_SPLITS],
                              const prle_dataset *ds, double label_min, double label_max,
                              int n_threads, const prle__ridge_choice *given);

/** The kNN yardstick of metrics.json (src/run/metrics.c): scikit-learn's KNeighborsRegressor
 *  on standardised rows, cosine, fitted on x[train] (at most 10,000 rows, evenly spaced: the
 *  neighbour search of src/prle/neighbours.h), k (5, 10, 20, 50) and weights (uniform,
 *  distance) chosen and scored on validation only. Not present (no error) without at least two
 *  labelled validation and training rows; then nothing is searched. `search`, when not NULL,
 *  receives the search of the validation rows (the neighbour term's; zeroed when there is
 *  none), for the caller to dispose. PRLE_ENOMEM. */
int prle__run_knn_reference(prle_run_reference *out, prle__nb_search *search,
                            const prle_matrix x[PRLE_N_SPLITS], const prle_dataset *ds,
                            double label_min, double label_max, int n_threads);

/** metrics.json "intervals": prle_interval_stats_compute at PRLE_INTERVAL_LEVEL, plain then
 *  adaptive, from the predictions yhat[split] and the routing weights (n, np) of validation
 *  and test (w_te may be NULL when test has no rows). */
int prle__run_intervals(prle_interval_stats out[2], const prle_dataset *ds,
                        float *const yhat[PRLE_N_SPLITS], const float *w_va, const float *w_te,
                        size_t np);

/* ---- the kernel stage (kernel_stage.c) ------------------------------------------------ */

/** Inputs and outputs of stage 1 shared by prle_run and prle_run_kernel. */
typedef struct prle__kernel_stage {
    /* in */
    const prle_config *cfg;
    const prle_dataset *ds;
    const prle_run_params *params;
    const char *out_dir; /* where kernel.safetensors, value/ and kernel_report.json go */
    const char *old_dir; /* the folder a kernel may be reused from (NULL: none) */
    bool allow_reuse;    /* pipeline.reuse_kernel and `kernel` in the stages */
    bool must_reuse;     /* `kernel` not in the stages: a saved kernel must be loaded */
    /* out */
    prle_matrix x[PRLE_N_SPLITS]; /* retrieval embeddings (the cache) */
    prle_matrix z[PRLE_N_SPLITS]; /* value space */
    prle_kernel *kernel;
    prle_kernel_params kp;     /* its params, centring and standardising resolved */
    prle_kernel_epoch *epochs; /* the kernel's epoch records (fit or old log) */
    size_t n_epochs;
    int kept_epoch;
    bool reused;
    char *note;
    prle_kernel_report report;
    prle__ridge_choice ridge; /* the raw columns' ridge of the standardise test (coef NULL:
                                 none), the yardstick's */
} prle__kernel_stage;

/** Loads the cached embeddings of every split (non-finite values are an error naming the
 *  file and row), then reuses or trains the kernel and writes kernel.safetensors,
 *  value/{split}_embeds.npy and kernel_report.json into out_dir. */
int prle__kernel_stage_run(prle__kernel_stage *ks);

/** 0 when the run folder `dir` (may be NULL) or kernel.checkpoint_dir holds a
 *  kernel.safetensors for a pipeline without a kernel stage; else PRLE_ENOTFOUND saying so. */
int prle__kernel_saved_check(const char *dir, const prle_config *cfg);

/** Frees what the stage holds. */
void prle__kernel_stage_dispose(prle__kernel_stage *ks);

/** The cached embeddings of one split with the finiteness check. */
int prle__load_embeddings(prle_matrix *out, const prle_config *cfg, const prle_dataset *ds,
                          prle_split split);

/* ---- encoding new texts (encode.c) ------------------------------------------------------- */

/** The config's encoder fitted on the train texts of `ds` as prle_embed fits it. */
int prle__run_encoder_new(prle_encoder **out, const prle_config *cfg, const prle_dataset *ds);

/** The config's encoder with the state a run kept (prle_encoder_load_state of `path`). */
int prle__run_encoder_load(prle_encoder **out, const prle_config *cfg, const char *path);

/** Texts to retrieval embeddings as prle_embed builds them (joined, pair features,
 *  normalisation). `text2` required for pairs. *n_texts (NULL ok): the texts encoded (2 a row
 *  for pair features); *n_empty (NULL ok): those with no known token, as the encoder counts
 *  them (zero vectors). */
int prle__run_encode(prle_matrix *out, size_t *n_texts, size_t *n_empty, const prle_encoder *enc,
                     const prle_config *cfg, const prle_dataset *ds, const char *const *text,
                     const char *const *text2, size_t n);

/* ---- what a folder keeps of its data (run_data.c) ---------------------------------------- */

/** The file of the validation labels, label range and split sizes (the prototypes' rows are
 *  prototypes.json's), and the file of the encoder's fitted state (docs/run-folder.md). */
#define PRLE__RUN_DATA "dataset.json"
#define PRLE__RUN_ENCODER "encoder.safetensors"
/** The neighbour term's training rows (src/prle/neighbours.h), when the model has one. */
#define PRLE__RUN_NEIGHBOURS "neighbours.safetensors"
/* train.refit: the first fit's predictions and routing weights of the validation rows */
#define PRLE__RUN_HELDOUT "heldout.safetensors"

/** Writes dir/dataset.json from the run's dataset (and, for encoder_type npy, the size and
 *  sha256 of the config's input files: encode/inputs_record_int.h). */
int prle__run_data_write(const char *dir, const prle_config *cfg, const prle_dataset *ds);

/** Copies old_dir's baselines.json (with the embeddings reused) and baselines_value.json (with
 *  the kernel reused too) into tmp while the old folder's rows and labels (dataset.json) and
 *  each file's label range and split sizes are the new run's; nothing otherwise. PRLE_EIO. */
int prle__run_carry_baselines(const char *tmp, const char *old_dir, const prle_dataset *ds,
                              bool embed_reused, bool kernel_reused);

/** 1 when dir/dataset.json records other rows (texts or labels) than `ds` has for a split of
 *  `split_mask` (bit 1 << split; the data files changed since the run), with `why` naming the
 *  split and its file; 0 when they match or the file records none (an older prle); negative
 *  on a bad dataset.json. */
int prle__run_data_changed(char *why, size_t len, const char *dir, const prle_dataset *ds,
                           unsigned split_mask);

/** 1 when dir/dataset.json records the npy input files of the run (encoder_type npy) and one
 *  that `cfg` names now has other bytes, with `why` naming the file; 0 when they match or the
 *  file records none (other encoders, an older prle); negative on a bad dataset.json or an
 *  unreadable input file. */
int prle__run_embeddings_changed(char *why, size_t len, const char *dir, const prle_config *cfg);

/** A detached dataset (data/detached.h) from dir/dataset.json and dir/prototypes.json;
 *  PRLE_ENOTFOUND without them, PRLE_EFORMAT naming the file. */
int prle__run_data_read(prle_dataset **out, const char *dir);

/** Fits the config's encoder on the train texts of `ds` and writes its state to
 *  dir/encoder.safetensors (nothing for encoder_type npy). */
int prle__run_encoder_write(const char *dir, const prle_config *cfg, const prle_dataset *ds);

/* ---- the neighbour term of a run (nb_stage.c) -------------------------------------------- */

/** What the neighbour stage leaves for the evaluation. */
typedef struct prle__nb_stage {
    prle_matrix own[PRLE_N_SPLITS];       /* validation and test rows with the column, when on */
    const prle_matrix *in[PRLE_N_SPLITS]; /* the model's input rows of each split */
    prle__nb_choice choice;               /* choice.on: the term was kept */
    size_t k, *test_rows;                 /* the test rows' k neighbours, training rows */
    float *test_labels;                   /* and their labels (n_test, k), when kept */
} prle__nb_stage;

/**
 * One neighbour search of the validation rows (ks->x) gives the kNN yardstick `knn_ref`; with
 * `enabled` (model.neighbours) the term is chosen against the predictions of `fit` and, where
 * it gains, its weight is set in `fit` (the caller saves it) and dir/neighbours.safetensors is
 * written. out->in[s] are the rows to predict each split with (ks->z[s], or out->own[s] with
 * the column). Nothing is searched without two labelled validation rows. PRLE_ENOMEM,
 * PRLE_EIO.
 */
int prle__nb_stage_run(prle__nb_stage *out, prle_run_reference *knn_ref, prle_model *fit,
                       const prle__kernel_stage *ks, const prle_dataset *ds, bool enabled,
                       const char *dir, double label_min, double label_max, int n_threads);

/* ---- train.refit (refit.c) ------------------------------------------------------------- */

/** Whether the run refits: train.refit with validation rows and a kernel stage, and neither
 *  the neighbour term kept nor proto_rbf experts (their choices are fitted on the validation
 *  rows). */
bool prle__run_refits(const prle_config *cfg, const prle__kernel_stage *ks,
                      const prle__nb_stage *nbs, const prle_model_params *mp);

/**
 * The refit: the kernel fitted again on train + validation for the kept epochs of ks, the
 * experts on those rows' value vectors for the kept epochs of `first` (mp its params), with
 * first's warm-start alpha and recalibration slope and prototypes chosen among the train rows.
 * ks->kernel and ks->z, and dir's kernel.safetensors and value/, become the refit's; *out is
 * the refit model (prle_model_free). The layers' errors, PRLE_ENOMEM, PRLE_EIO.
 */
int prle__run_refit(prle_model **out, prle__kernel_stage *ks, const prle_model *first,
                    const prle_model_params *mp, const prle_dataset *ds, const char *dir);

/** dir/heldout.safetensors: "predictions" (n) and "weights" (n, P) of the validation rows by
 *  the fit that did not train on them, which a refit run scores and calibrates on. */
int prle__run_heldout_write(const char *dir, const float *yhat, const float *w, size_t n, size_t P);

/** What prle__run_heldout_write wrote, into malloc'd *yhat and *w, for n rows and P
 *  prototypes: PRLE_EFORMAT naming `path` when the shapes or values are not those. */
int prle__run_heldout_read(float **yhat, float **w, const char *path, size_t n, size_t P);

/** The held-out predictions and weights of a refit run folder (n validation rows), or 0 and
 *  NULLs when the run did not refit. */
size_t prle__run_folder_heldout(const float **yhat, const float **w, const prle_run_folder *rf);

void prle__nb_stage_dispose(prle__nb_stage *s);

/* ---- shared steps of prle_run and prle_run_kernel (front.c) ------------------------------- */

/** Records the stage's seconds in `res` and sends its end event. */
int prle__run_stage_end(prle_run_result *res, const prle_run_params *p, prle_run_stage s, double t0,
                        const char *note);

/** Loads the dataset and runs stage 0 (prle_embed; params->embed false: the cache must
 *  match), with their events. */
int prle__run_front(prle_dataset **ds, prle_run_result *res, const prle_config *cfg,
                    const prle_run_params *p);

/** Moves the kernel stage's outcome into the result. */
void prle__run_kernel_result(prle_run_result *res, prle__kernel_stage *ks);

/** train_log.csv (kernel rows of `ks`, then the stage-2 epochs) and config.yaml in `dir`. */
int prle__run_write_log_config(const char *dir, const prle_config *cfg,
                               const prle__kernel_stage *ks, const prle_model_epoch *model_epochs,
                               size_t n_model, const prle_run_result *res);

/* ---- stage events ------------------------------------------------------------------------ */

/** Sends a stage event to params->on_event; PRLE_EABORTED when it says stop. */
int prle__run_event(const prle_run_params *p, prle_run_stage stage, bool done, double seconds,
                    const char *note);

/* ---- prle predict --input (input.c, input_stream.c) ---------------------------------- */

/**
 * How an input file is read, by its name: TSV for *.tsv, JSON Lines for *.jsonl, plain text
 * for *.txt (one text per line, a tab between a pair's two; no header, no quoting: read as TSV
 * whose columns are text and text2, or for single texts the whole line), else CSV. Sets
 * tp's format, and for plain text its quoting, delimiter and header (false); returns whether
 * the file is plain text.
 */
bool prle__run_input_params(prle_table_params *tp, const char *path, bool pairs);

/** The run's own column names (data.text_fields and data.label_field where they are names,
 *  else NULL), which an input table may use instead of text / text2 and label. Borrowed. */
typedef struct prle__input_names {
    const char *text[2];
    const char *label;
} prle__input_names;

/** The names of a config's data section. */
prle__input_names prle__input_names_of(const prle_config *cfg);

/**
 * The rows of an input file read whole (prle__run_input_params) when it is plain text or a
 * table with a text or sentence1 column (*has_text true); else nothing is read and *has_text is
 * false (the caller may try the run's dataset format). 0, or the table reader's error
 * (PRLE_ENOTFOUND, PRLE_EIO, PRLE_EFORMAT naming the file and line) or the rows'.
 */
int prle__run_input_read_file(prle_run_input *out, const char *path, bool pairs,
                              const prle__input_names *own, bool *has_text);

/** prle__run_input_from_table for plain text (no header): columns by place, text then text2. */
int prle__run_input_from_lines(prle_run_input *out, const prle_table *t, bool pairs);

/** `in` with room for n rows (n 0 included), none filled; texts2 only for pairs. PRLE_ENOMEM. */
int prle__run_input_alloc(prle_run_input *in, size_t n, bool pairs);

/** Whether the table has a `text` or `sentence1` column, else one named as the run's first
 *  text field (`own` may be NULL). */
bool prle__run_input_has_text(const prle_table *t, const prle__input_names *own);

/** The rows of a table with a `text` or `sentence1` column, else the run's own first text field
 *  (and `text2` / `sentence2`, else its second, for pairs); labels from a column `label`, else
 *  the run's label field, when the table has it (`own` may be NULL: the common names only).
 *  PRLE_EFORMAT naming file and line, PRLE_EINVAL, PRLE_ENOMEM. */
int prle__run_input_from_table(prle_run_input *out, const prle_table *t, bool pairs,
                               const prle__input_names *own);

/** prle_run_input_open without a run folder (labels as prle__run_input_from_table reads them),
 *  reading `block` bytes at a time (0: 1 MB);
 *  *has_text says whether the header (JSON Lines: the first record) names a text column.
 *  Without one the stream is open but not to be read: prle_run_input_open then reads the
 *  file whole in the run's dataset format. */
int prle__run_input_open(prle_run_input_stream **out, const char *path, bool pairs,
                         const prle__input_names *own, size_t block, bool *has_text);

#endif
