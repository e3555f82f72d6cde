/* Printing shared by prle run, train, kernel, eval and predict. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run_print.h"

#include "prle/model_int.h"

void cli_progress_init(cli_progress *ps)
{
    *ps = (cli_progress){0};
    ps->tty = isatty(STDERR_FILENO) != 0;
    ps->show = !cli_opts.quiet && (ps->tty || cli_opts.verbose);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A line is due: a new stage, the step's end, or `every` seconds since the last one (a log of a
 * table's 435 tiles in half a second keeps two plain lines, not 435, and a terminal's bar is
 * drawn ten times, not 435). */
static bool line_due(cli_progress *ps, const prle_progress *p, double every)
{
    double now = mono_now();
    bool fresh = strncmp(ps->stage, p->stage, sizeof ps->stage - 1) != 0;
    if (!fresh && !(p->total && p->done >= p->total) && now - ps->at < every)
        return false;
    snprintf(ps->stage, sizeof ps->stage, "%s", p->stage);
    ps->at = now;
    return true;
}

/* "3.4 s", "2 min 05 s": an ETA a person reads at a glance. */
static void put_seconds(char *buf, size_t len, double s)
{
    if (s < 60)
        snprintf(buf, len, "%.1f s", s);
    else
        snprintf(buf, len, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
}

void cli_progress_line(char *buf, size_t len, const prle_progress *p, bool bar)
{
    char eta[32] = "", rate[32] = "", bars[32] = "";
    double r = p->seconds > 0 ? (double)p->done / p->seconds : 0;
    if (r > 0)
        snprintf(rate, sizeof rate, r >= 100 ? ", %.0f/s" : ", %.2g/s", r);
    if (p->total && p->done && p->done < p->total && r > 0) {
        char t[24];
        put_seconds(t, sizeof t, (double)(p->total - p->done) / r);
        snprintf(eta, sizeof eta, ", ETA %s", t);
    }
    if (bar && p->total) { /* [#####.....] 20 cells */
        size_t full = p->done >= p->total ? 20 : 20 * p->done / p->total;
        bars[0] = '[';
        for (size_t i = 0; i < 20; i++)
            bars[1 + i] = i < full ? '#' : '.';
        bars[21] = ']', bars[22] = ' ', bars[23] = 0;
    }
    snprintf(buf, len, "%s: %s%zu/%zu (%.1f s%s%s)%s%s", p->stage, bars, p->done, p->total,
             p->seconds, rate, eta, p->note ? " " : "", p->note ? p->note : "");
}

bool cli_progress_fn(const prle_progress *p, void *ud)
{
    cli_progress *ps = ud;
    char line[512];
    if (cli_interrupted)
        return false; /* the library stops and cleans up */
    if (!ps->show || !line_due(ps, p, ps->tty ? 0.05 : 1.0))
        return true;
    cli_progress_line(line, sizeof line, p, ps->tty);
    if (ps->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        ps->open = p->done < p->total || !p->total;
        if (!ps->open)
            fputs("\r\033[K", stderr);
    } else {
        fprintf(stderr, "prle: %s\n", line);
    }
    fflush(stderr);
    return true;
}

void cli_progress_close(cli_progress *ps)
{
    if (ps->open)
        fputs("\r\033[K", stderr);
    ps->open = false;
}

void cli_print_stage(const prle_run_event *e, cli_progress *ps)
{
    cli_progress_close(ps);
    printf("%-9s %8.2f s  %s\n", prle_run_stage_name(e->stage), e->seconds, e->note ? e->note : "");
    fflush(stdout);
}

/* A row's errors: 5 decimals, as the 0-1 rows, unless that would hide them (labels on a 1e-4
 * scale read 0.00000) or widen the columns; then 5 significant digits */
static void metrics_line(FILE *out, const char *split, const char *scale, const prle_metrics *m)
{
    double lo = fmin(m->mae, m->mse), hi = fmax(m->rmse, m->mse);
    bool fixed = hi == 0.0 || (lo >= 1e-3 && hi < 1e3);
    fprintf(out, fixed ? "%-10s %-5s %6zu %9.5f %9.5f %9.5f" : "%-10s %-5s %6zu %9.5g %9.5g %9.5g",
            split, scale, m->n, m->mse, m->rmse, m->mae);
    const double rest[4] = {m->r2, m->pearson, m->spearman, m->kendall};
    for (int k = 0; k < 4; k++) /* undefined (one row, equal labels or predictions): "-" */
        if (isnan(rest[k]))
            fprintf(out, " %9s", "-");
        else
            fprintf(out, " %9.5f", rest[k]);
    fputc('\n', out);
}

/* A correlation to 4 decimals, "-" where undefined (one row, equal labels or predictions). */
static const char *corr(char buf[32], double v)
{
    if (isnan(v))
        return "-";
    snprintf(buf, 32, "%.4f", v);
    return buf;
}

void cli_print_metrics(FILE *out, const prle_run_metrics *m, unsigned split_mask)
{
    char b[2][32];
    fprintf(out, "%-10s %-5s %6s %9s %9s %9s %9s %9s %9s %9s\n", "split", "scale", "n", "mse",
            "rmse", "mae", "r2", "pearson", "spearman", "kendall");
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_split_metrics *sm = &m->splits[s];
        if (!sm->present || !(split_mask & (1u << s)))
            continue;
        metrics_line(out, prle_split_name((prle_split)s), "raw", &sm->raw);
        metrics_line(out, prle_split_name((prle_split)s), "0-1", &sm->unit);
        if (sm->raw.n == 1)
            fprintf(out, "%-10s 1 row: r2, pearson, spearman and kendall undefined (they need 2)\n",
                    prle_split_name((prle_split)s));
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_weight_stats *w = &m->splits[s].weights;
        if (!w->present || !(split_mask & (1u << s)))
            continue;
        fprintf(out,
                "weights %-10s top-1 share %.3f, top-3 %.3f, 80%% of the weight in %.1f "
                "prototypes, effective number %.1f\n",
                prle_split_name((prle_split)s), w->top1, w->top3, w->n80, w->perplexity);
    }
    for (int k = 0; k < 2; k++) {
        const prle_interval_stats *iv = &m->intervals[k];
        if (!iv->present)
            continue;
        fprintf(out,
                "interval %-8s %.0f%% split-conformal (q %.4g): validation coverage %.1f%% "
                "(%d-fold cross-fit), mean width %.4g",
                iv->adaptive ? "adaptive" : "plain", 100 * iv->level, iv->q,
                100 * iv->validation.coverage, PRLE_INTERVAL_FOLDS, iv->validation.mean_width);
        if (iv->test.n)
            fprintf(out, "; test %.1f%%, mean width %.4g%s", 100 * iv->test.coverage,
                    iv->test.mean_width,
                    iv->test.coverage < iv->level ? " (short of the level)" : "");
        fputc('\n', out);
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_split_metrics *r = &m->ridge.splits[s];
        if (!m->ridge.present || !r->present || !(split_mask & (1u << s)))
            continue;
        fprintf(out, "ridge   %-10s pearson %s, mse %.5f (0-1 scale); alpha %g, same features\n",
                prle_split_name((prle_split)s), corr(b[0], r->unit.pearson), r->unit.mse,
                m->ridge.alpha);
    }
    const prle_split_metrics *kv =
        &m->knn.splits[PRLE_SPLIT_VALIDATION]; /* the kNN scores no other */
    const prle_split_metrics *pv = &m->splits[PRLE_SPLIT_VALIDATION];
    if (m->knn.present && kv->present && pv->present) {
        fprintf(out,
                "knn     validation pearson %s, mse %.5f (0-1 scale; PRLE %s, %.5f); k %zu, %s "
                "weights, cosine, same features",
                corr(b[0], kv->unit.pearson), kv->unit.mse, corr(b[1], pv->unit.pearson),
                pv->unit.mse, m->knn.k, m->knn.distance_weights ? "distance" : "uniform");
        if (m->knn.fit_rows && m->knn.fit_rows < m->knn.train_rows)
            fprintf(out, ", %zu of the %zu training rows (evenly spaced)", m->knn.fit_rows,
                    m->knn.train_rows);
        fputc('\n', out);
    }
}

/* The warning of one yardstick `what` ("a ridge regression") that PRLE is worse than; the MSEs
 * to 5 significant digits, so near-exact fits do not read "0.00000 against 0.00000". */
static void warn_worse(const prle_run_metrics *m, const prle_run_reference *ref, const char *what)
{
    if (!prle_run_metrics_worse_than(m, ref))
        return;
    const prle_split_metrics *a = &m->splits[PRLE_SPLIT_VALIDATION];
    const prle_split_metrics *b = &ref->splits[PRLE_SPLIT_VALIDATION];
    fprintf(stderr,
            "prle: warning: PRLE is worse than %s on the same features: "
            "validation MSE %.5g against %.5g, pearson %.4f against %.4f (0-1 scale)\n",
            what, a->unit.mse, b->unit.mse, a->unit.pearson, b->unit.pearson);
}

void cli_warn_if_worse(const prle_run_metrics *m)
{
    warn_worse(m, &m->ridge, "a ridge regression");
    char what[64];
    snprintf(what, sizeof what, "a %zu-nearest-neighbour regression", m->knn.k);
    warn_worse(m, &m->knn, what);
}

bool cli_warn_few_validation(size_t n_val)
{
    if (n_val >= PRLE__RECAL_MIN_ROWS)
        return false;
    fprintf(stderr,
            "prle: warning: the validation split has %s%zu row%s: the kernel's and the experts' "
            "kept epochs, their warm start and the neighbour term are chosen on %s, the "
            "recalibration needs %d, and the yardsticks' warnings compare on %s%s (give it %d "
            "rows or more; a validation file left out is cut from the training file, 15 %%)\n",
            n_val ? "only " : "", n_val, n_val == 1 ? "" : "s", n_val ? "them" : "none",
            PRLE__RECAL_MIN_ROWS, n_val ? "them" : "none",
            n_val ? ""
                  : "; nothing stops the kernel and the experts early, so they train for their "
                    "whole step budgets (kernel.max_epochs and train.max_epochs cap them)",
            PRLE__RECAL_MIN_ROWS);
    return true;
}

/* At most `width` characters of `s` (UTF-8 sequences kept whole), "..." when cut; newlines
 * and tabs as spaces. */
void cli_put_text(FILE *out, const char *s, size_t width)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80         ? 1
                     : (*p >> 5) == 6  ? 2
                     : (*p >> 4) == 14 ? 3
                     : (*p >> 3) == 30 ? 4
                                       : 1;
        if (chars + 1 > width) {
            fputs("...", out);
            return;
        }
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            fputc(' ', out);
            p++;
        } else {
            for (size_t i = 0; i < len && *p; i++)
                fputc(*p++, out);
        }
        chars++;
    }
}

void cli_put_pair(FILE *out, const char *a, const char *b, size_t width)
{
    if (!b) {
        cli_put_text(out, a ? a : "", width);
        return;
    }
    cli_put_text(out, a ? a : "", width / 2);
    fputs(" | ", out);
    cli_put_text(out, b, width / 2);
}

void cli_print_explained(FILE *out, const char *title, const prle_explained *e,
                         const prle_explain_input *in, const prle_dataset *ds)
{
    const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    bool pairs = prle_dataset_n_texts(ds) > 1;
    fprintf(out, "%s", title);
    if (!isnan(in->label))
        fprintf(out, "  label %.4g", in->label);
    fprintf(out, "  prediction %.4f\n  ", e->prediction);
    cli_put_pair(out, in->text, in->text2, 110);
    fprintf(out, "\n  %4s %5s %9s %7s %8s %8s %12s  %s\n", "#", "slot", "train row", "label",
            "weight", "local", "contribution", pairs ? "prototype texts" : "prototype text");
    double wsum = 0, csum = 0;
    for (size_t i = 0; i < e->n_items; i++) {
        const prle_explain_item *it = &e->items[i];
        fprintf(out, "  %4zu %5zu %9zu %7.3f %8.4f %8.4f %12.5f  ", i + 1, it->prototype,
                it->train_row, ytr ? ytr[it->train_row] : NAN, it->weight, it->local,
                it->contribution);
        cli_put_pair(out, prle_dataset_text(ds, PRLE_SPLIT_TRAIN, it->train_row, 0),
                     pairs ? prle_dataset_text(ds, PRLE_SPLIT_TRAIN, it->train_row, 1) : NULL, 70);
        fputc('\n', out);
        wsum += it->weight;
        csum += it->contribution;
    }
    if (e->rest_count) {
        char rest[64];
        snprintf(rest, sizeof rest, "rest (%zu prototype%s)", e->rest_count,
                 e->rest_count == 1 ? "" : "s");
        fprintf(out, "  %-30s %8.4f %8s %12.5f\n", rest, e->rest_weight, "", e->rest_contribution);
        wsum += e->rest_weight;
        csum += e->rest_contribution;
    }
    fprintf(out, "  %-30s %8.4f %8s %12.5f  = prediction\n", "sum", wsum, "", csum);
    if (e->neighbour_weight > 0)
        fprintf(out,
                "  each local prediction is %.2f x its expert + %.2f x %.4f, the nearest training "
                "rows' prediction\n",
                1 - e->neighbour_weight, e->neighbour_weight, e->neighbour_prediction);
    if (e->neighbour_weight > 0 && e->neighbour_rows) {
        size_t shown = e->n_neighbour_rows < 10 ? e->n_neighbour_rows : 10;
        fputs("  those rows, nearest first (train row, label):", out);
        for (size_t i = 0; i < shown; i++)
            fprintf(out, "%s %zu (%.4g)", i ? "," : "", e->neighbour_rows[i],
                    e->neighbour_labels[i]);
        if (shown < e->n_neighbour_rows)
            fprintf(out, " and %zu more", e->n_neighbour_rows - shown);
        fputc('\n', out);
    }
}
