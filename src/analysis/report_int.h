/* Internal pieces of the HTML report (SPEC.md §9): escaping and numbers (report_util.c),
 * inline SVG charts (report_svg.c), the sections that read one run-folder file each
 * (report_sections.c, report_tsne.c, report_protos.c) and the page (report_html.c).
 * Every writer prints to a stdio stream; write errors surface when the file is committed. */
#ifndef PRLE_ANALYSIS_REPORT_INT_H
#define PRLE_ANALYSIS_REPORT_INT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "prle/config.h"

/** What every section knows about the run. */
typedef struct prle__report_ctx {
    const char *run_dir;     /* as given, for paths and the "run prle ..." notes */
    const char *shown_dir;   /* the folder the footer names (the final one for prle run) */
    const prle_config *cfg;  /* config.yaml */
    const cJSON *metrics;    /* metrics.json */
    const cJSON *kernel;     /* kernel_report.json, NULL when absent */
    const cJSON *analysis;   /* analysis.json, NULL when absent */
    const cJSON *prototypes; /* prototypes.json, NULL when absent */
    double label_min;        /* metrics.json: the colour scale of labels */
    double label_max;
    size_t n_prototypes; /* the model's (prototypes.json), or model.num_prototypes without it */
} prle__report_ctx;

/** prle_report_write reading the files of `run_dir` while the footer names `shown_dir`:
 *  prle run writes the report into its temporary folder under the final folder's name. */
int prle__report_write_shown(const char *run_dir, const char *shown_dir, const char *out_path);

/* ---- text and numbers (report_util.c) ------------------------------------------------- */

/**
 * Writes `s` as HTML text: & < > " ' as entities, control characters other than tab and
 * newline dropped, and "://" as ":&#47;&#47;" so that no text reads as a link or reference
 * (the page must never point outside itself). NULL writes nothing.
 */
void prle__html_text(FILE *fp, const char *s);

/** prle__html_text of at most `max_chars` characters of `s` (UTF-8 sequences kept whole),
 *  "\u2026" when cut: one long text must not stretch the page. */
void prle__html_text_cut(FILE *fp, size_t max_chars, const char *s);

/** `v` with `decimals` digits after the point ("%.*f"), or an em dash when not finite; with
 *  decimals > 0, "%.3g" where that would show fewer than two significant digits or |v| is
 *  1e6 or more (labels on a scale far from 0-5 stay readable). */
void prle__html_num(FILE *fp, double v, int decimals);

/** "%.3g" into `buf` (an em dash when not finite); returns `buf`. */
const char *prle__fmt_g3(char buf[32], double v);

/** Viridis-like colour of t in [0, 1] (clamped; NaN is grey) as "#rrggbb". */
void prle__report_colour(char out[8], double t);

/** `name` inside the run folder, as a heap string (free it); NULL on out of memory. */
char *prle__report_path(const prle__report_ctx *ctx, const char *name);

/**
 * Reads an optional JSON file of the run folder. A missing file gives 0 with `*out` NULL.
 * When `format` is not NULL the file's "format" (if present) must equal it and its "version"
 * (if present) be 1. PRLE_EFORMAT / PRLE_EIO naming the file.
 */
int prle__report_json(cJSON **out, const prle__report_ctx *ctx, const char *name,
                      const char *format);

/** Prefixes the current error with the run-folder file `name`; returns `err`. */
int prle__report_file_error(int err, const prle__report_ctx *ctx, const char *name);

/** The "not computed" note of a section whose input `file` is absent; `cmd` says how to make
 *  it ("RUN" in it is replaced by the run folder). */
void prle__report_missing(FILE *fp, const prle__report_ctx *ctx, const char *file, const char *cmd);

/** The note of a piece of analysis.json that is absent: analysis.json missing altogether
 *  (prle__report_missing), or present without `what`, which `prle analyze` `flag` skips. */
void prle__report_absent(FILE *fp, const prle__report_ctx *ctx, const char *what, const char *flag);

/** A number member of `obj`, NaN when absent, null or not a number. */
double prle__report_num(const cJSON *obj, const char *key);

/** A string member of `obj`, NULL when absent or not a string. */
const char *prle__report_str(const cJSON *obj, const char *key);

/* ---- charts (report_svg.c) ------------------------------------------------------------ */

/**
 * A small line chart over epochs: `y` against `x` (n points; non-finite values are skipped),
 * titled `title` (aria-label `name`); with `y2` (may be NULL) a second, dashed series and a
 * legend "train" / "validation"; a dashed line marks x = `mark_x` (NaN: none).
 */
void prle__svg_curve(FILE *fp, const char *name, const char *title, const double *x,
                     const double *y, const double *y2, size_t n, double mark_x);

/** One bar of prle__svg_bars. */
typedef struct prle__svg_bar {
    const char *label;
    double value;
    const char *colour; /* "#rrggbb" */
} prle__svg_bar;

/** Horizontal bars on the axis [lo, hi], the value printed with `decimals` digits. */
void prle__svg_bars(FILE *fp, const prle__svg_bar *bars, size_t n, double lo, double hi,
                    int decimals);

/**
 * A scatter of n points `xy` (n, 2) coloured by `t` (n, in [0, 1]; NaN grey), equal aspect,
 * titled `title`; the rows `stars[0..n_stars)` are drawn on top as stars, each with the
 * tooltip `star_titles[i]` (may be NULL) and its number i (the prototype's slot) beside it. Rows
 * out of range were rejected by the caller.
 */
void prle__svg_scatter(FILE *fp, const char *title, const double *xy, const double *t, size_t n,
                       const size_t *stars, size_t n_stars, const char *const *star_titles);

/** The colour bar of the scatters: label `lo` .. `hi`. */
void prle__svg_legend(FILE *fp, double lo, double hi);

/* ---- charts with two labelled axes (report_plot.c) ----------------------------------- */

/** The width of a tick label's character (class tk, 10 px; digits are 5.6), for margins. */
#define PRLE__TICK_CHAR_PX 5.8

/** The data range [x0, x1] x [y0, y1] (set by the caller before prle__plot_open) and the
 *  pixel box it maps to (set by prle__plot_open; py0 is the top). */
typedef struct prle__plot {
    double x0, x1, y0, y1;
    double px0, px1, py0, py1;
} prle__plot;

/**
 * Opens `<svg class="plot CLS">` of `width` x `height` titled `title`: grid lines and round
 * ticks on both axes, a frame, the axis titles `xlabel` and `ylabel` (which say the scale).
 * Draw inside with prle__plot_x/_y, then prle__plot_close.
 */
void prle__plot_open(FILE *fp, prle__plot *p, const char *cls, const char *title,
                     const char *xlabel, const char *ylabel, int width, int height);

/** Pixel coordinates of data values. */
double prle__plot_x(const prle__plot *p, double x);
double prle__plot_y(const prle__plot *p, double y);

/** Closes the <svg>. */
void prle__plot_close(FILE *fp);

/** Label bins of the error and coverage charts. */
#define PRLE__LABEL_BINS 10

/** The bin (0 .. n-1) of `v` among n equal bins over [lo, hi], values outside in the end
 *  bins. */
int prle__plot_bin(double v, double lo, double hi, int n);

/** The left and right pixel of bin `b` of n equal bins over the x range, 3 px inside its
 *  edges (a bar). */
void prle__plot_bin_px(const prle__plot *p, int b, int n, double *xa, double *xb);

/** "WHAT (raw scale, LO to HI)", an axis title on the label's scale. */
void prle__plot_scale_label(char *buf, size_t len, const char *what, double lo, double hi);

/* ---- sections ------------------------------------------------------------------------- */

/* Each writes its <section> (heading always, body or a "not computed" note); errors come
 * only from a malformed file or out of memory. */
int prle__report_config(FILE *fp, const prle__report_ctx *ctx, const char *yaml_text);
int prle__report_metrics(FILE *fp, const prle__report_ctx *ctx);
int prle__report_curves(FILE *fp, const prle__report_ctx *ctx);
int prle__report_correlation(FILE *fp, const prle__report_ctx *ctx);
int prle__report_tsne(FILE *fp, const prle__report_ctx *ctx);
int prle__report_oracle(FILE *fp, const prle__report_ctx *ctx);
int prle__report_prototypes(FILE *fp, const prle__report_ctx *ctx);
int prle__report_explanations(FILE *fp, const prle__report_ctx *ctx);
int prle__report_errors(FILE *fp, const prle__report_ctx *ctx);    /* report_errors.c */
int prle__report_intervals(FILE *fp, const prle__report_ctx *ctx); /* report_intervals.c */

#endif
