/* Inline SVG charts of the report: small line charts of training curves, horizontal bars,
 * t-SNE scatters with starred prototypes and their colour bar. No scripts, no ids, no links:
 * each chart is a self-contained <svg> element (HTML5 inline SVG needs no namespace). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"

/* Characters of a bar's label that fit left of the bars (BL px, small type): longer ones
 * were cut at the page's edge ("ridge yardstick (alpha 10, fit on train) (retrieval)") */
#define BAR_LABEL_CHARS 30

/* A value range with room around it; a single value gets a window of 10 % of itself (of 1
 * for 0), and values that are all >= 0 (losses, MSE) never get a negative axis. */
static void nice_range(double *lo, double *hi, double pad)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0, *hi = 1;
        return;
    }
    bool nonneg = *lo >= 0;
    double span = *hi - *lo;
    if (span <= 0) {
        double w = *lo != 0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= w, *hi += w;
    } else {
        *lo -= span * pad, *hi += span * pad;
    }
    if (nonneg && *lo < 0)
        *lo = 0;
}

/* Labels of three ticks with as few significant digits (3 to 8) as keep them apart. */
static void tick_labels(char out[3][32], const double v[3])
{
    for (int digits = 3; digits <= 8; digits++) {
        for (int k = 0; k < 3; k++)
            snprintf(out[k], 32, "%.*g", digits, v[k] == 0 ? 0.0 : v[k]);
        if (strcmp(out[0], out[1]) != 0 && strcmp(out[1], out[2]) != 0)
            return;
    }
}

/* The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) >= v > 0. */
static double nice_ceil(double v)
{
    double p = pow(10, floor(log10(v))), m[9] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8};
    for (int k = 0; k < 9; k++)
        if (m[k] * p >= v * (1 - 1e-12))
            return m[k] * p;
    return 10 * p;
}

static double lerp_px(double v, double lo, double hi, double p0, double p1)
{
    return p0 + (v - lo) / (hi - lo) * (p1 - p0);
}

/* Curve chart geometry (viewBox units). */
enum { CW = 260, CH = 164 };
static const double CX0 = 48, CX1 = 250, CY0 = 24, CY1 = 122;

/* One series as a polyline broken where a value is missing, and dots when there are few. */
static void series(FILE *fp, const double *x, const double *y, size_t n, double xlo, double xhi,
                   double ylo, double yhi, const char *line_cls, const char *dot_cls)
{
    bool open = false;
    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = isfinite(x[i]) && isfinite(y[i]);
        n_ok += ok;
        if (ok && !open) {
            fprintf(fp, "<polyline class=\"%s\" points=\"", line_cls);
            open = true;
        } else if (!ok && open) {
            fputs("\"/>\n", fp);
            open = false;
        }
        if (ok)
            fprintf(fp, "%.1f,%.1f ", lerp_px(x[i], xlo, xhi, CX0, CX1),
                    lerp_px(y[i], ylo, yhi, CY1, CY0));
    }
    if (open)
        fputs("\"/>\n", fp);
    if (n_ok <= 40)
        for (size_t i = 0; i < n; i++)
            if (isfinite(x[i]) && isfinite(y[i]))
                fprintf(fp, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>\n", dot_cls,
                        lerp_px(x[i], xlo, xhi, CX0, CX1), lerp_px(y[i], ylo, yhi, CY1, CY0));
}

void prle__svg_curve(FILE *fp, const char *name, const char *title, const double *x,
                     const double *y, const double *y2, size_t n, double mark_x)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        for (int k = 0; k < 2; k++) {
            double v = k ? (y2 ? y2[i] : NAN) : y[i];
            if (!isfinite(v))
                continue;
            xlo = fmin(xlo, x[i]), xhi = fmax(xhi, x[i]);
            ylo = fmin(ylo, v), yhi = fmax(yhi, v);
            n_ok++;
        }
    }
    if (n_ok == 0)
        xlo = 0, xhi = 1;
    if (xhi <= xlo)
        xlo -= 0.5, xhi += 0.5;
    nice_range(&ylo, &yhi, 0.06);
    char b[32];
    double yt[3] = {ylo, (ylo + yhi) / 2, yhi};
    char ylab[3][32];
    tick_labels(ylab, yt);
    /* y tick labels end 4 px left of the frame: longer ones than fit (up to eight digits tell
       close values apart) widen the chart to the left, the drawing where it was */
    size_t longest = 0;
    for (int k = 0; k < 3; k++)
        longest = strlen(ylab[k]) > longest ? strlen(ylab[k]) : longest;
    int extra = (int)ceil(PRLE__TICK_CHAR_PX * (double)longest + 4 + 2 - CX0);
    extra = extra > 0 ? extra : 0;
    fprintf(fp,
            "<svg class=\"curve\" viewBox=\"%d 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"",
            -extra, CW + extra, CH, CW + extra, CH);
    prle__html_text(fp, name);
    fputs("\">\n", fp);
    fprintf(fp, "<text x=\"%d\" y=\"15\" class=\"ct\">", 6 - extra);
    prle__html_text(fp, title);
    fputs("</text>\n", fp);
    fprintf(fp, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"frame\"/>\n",
            CX0, CY0, CX1 - CX0, CY1 - CY0);
    for (int k = 0; k < 3; k++) { /* three y ticks: bottom, middle, top */
        double py = lerp_px(yt[k], ylo, yhi, CY1, CY0);
        fprintf(fp,
                "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                "<text x=\"%.0f\" y=\"%.1f\" class=\"tk\" text-anchor=\"end\">%s</text>\n",
                CX0, CX1, py, py, CX0 - 4, py + 3.5, ylab[k]);
    }
    double xt[3] = {xlo, (xlo + xhi) / 2, xhi};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && (xhi - xlo < 2 || xt[1] != floor(xt[1])))
            continue; /* the middle tick only where it is a whole epoch */
        fprintf(fp, "<text x=\"%.1f\" y=\"%.0f\" class=\"tk\" text-anchor=\"middle\">%s</text>\n",
                lerp_px(xt[k], xlo, xhi, CX0, CX1), CY1 + 12, prle__fmt_g3(b, xt[k]));
    }
    fprintf(fp, "<text x=\"%.0f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">epoch</text>\n",
            (CX0 + CX1) / 2, CH - 16);
    if (isfinite(mark_x) && mark_x >= xlo && mark_x <= xhi) {
        double px = lerp_px(mark_x, xlo, xhi, CX0, CX1);
        fprintf(fp,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" class=\"mark\"/>"
                "<text x=\"%.1f\" y=\"%.0f\" class=\"tk\" text-anchor=\"end\">kept</text>\n",
                px, px, CY0, CY1, px - 2, CY0 + 10);
    }
    series(fp, x, y, n, xlo, xhi, ylo, yhi, "ln", "pt");
    if (y2) {
        series(fp, x, y2, n, xlo, xhi, ylo, yhi, "ln2", "pt2");
        fprintf(fp,
                "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%d\" y2=\"%d\" class=\"ln\"/>"
                "<text x=\"%.0f\" y=\"%d\" class=\"tk\">train</text>"
                "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%d\" y2=\"%d\" class=\"ln2\"/>"
                "<text x=\"%.0f\" y=\"%d\" class=\"tk\">validation</text>\n",
                CX0, CX0 + 14, CH - 4, CH - 4, CX0 + 18, CH - 1, CX0 + 70, CX0 + 84, CH - 4, CH - 4,
                CX0 + 88, CH - 1);
    }
    fputs("</svg>\n", fp);
}

/* Bar chart geometry. */
static const double BL = 210, BR = 520, ROW = 22;

void prle__svg_bars(FILE *fp, const prle__svg_bar *bars, size_t n, double lo, double hi,
                    int decimals)
{
    double h = (double)n * ROW + 22;
    if (!(hi > lo))
        lo = 0, hi = 1;
    if (lo == 0 && isfinite(hi))
        hi = nice_ceil(hi);
    fprintf(fp,
            "<svg class=\"bars\" viewBox=\"0 0 600 %.0f\" width=\"600\" height=\"%.0f\" "
            "role=\"img\" aria-label=\"bar chart\">\n",
            h, h);
    double zero = lerp_px(lo > 0 ? lo : hi < 0 ? hi : 0, lo, hi, BL, BR);
    for (size_t i = 0; i < n; i++) {
        double y = (double)i * ROW + 4, v = bars[i].value;
        fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" class=\"bl\" text-anchor=\"end\">", BL - 8,
                y + 13);
        if (strlen(bars[i].label) > BAR_LABEL_CHARS) { /* cut to the room left of the bars, */
            fputs("<title>", fp);                      /* the whole label as the tooltip */
            prle__html_text(fp, bars[i].label);
            fputs("</title>", fp);
        }
        prle__html_text_cut(fp, BAR_LABEL_CHARS, bars[i].label);
        fputs("</text>", fp);
        if (isfinite(v)) {
            double c = v < lo ? lo : v > hi ? hi : v, px = lerp_px(c, lo, hi, BL, BR);
            double x0 = fmin(px, zero), w = fabs(px - zero);
            fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>",
                    x0, y, w, bars[i].colour);
            fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"bv\">", fmax(px, zero) + 5, y + 13);
            prle__html_num(fp, v, decimals);
            fputs("</text>\n", fp);
        } else {
            fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"bv\">n/a</text>\n", zero + 5, y + 13);
        }
    }
    double ay = (double)n * ROW + 6;
    fprintf(fp, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", BL, BR,
            ay, ay);
    fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%.1f\" class=\"axis\"/>\n", zero, zero,
            ay);
    char b[32];
    double ticks[2] = {lo, hi};
    for (int k = 0; k < 2; k++)
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"tk\" text-anchor=\"middle\">%s</text>\n",
                lerp_px(ticks[k], lo, hi, BL, BR), ay + 13, prle__fmt_g3(b, ticks[k]));
    fputs("</svg>\n", fp);
}

/* Scatter geometry: a square plot under a title line. */
enum { SW = 420, SH = 444, NBINS = 20 };
static const double SX0 = 10, SX1 = 410, SY0 = 32, SY1 = 432;

static void star_path(FILE *fp, double cx, double cy)
{
    const double ro = 7.5, ri = 3.1, pi = 3.14159265358979323846;
    for (int k = 0; k < 10; k++) {
        double r = (k & 1) ? ri : ro, a = -pi / 2 + k * pi / 5;
        fprintf(fp, "%c%.1f %.1f", k ? 'L' : 'M', cx + r * cos(a), cy + r * sin(a));
    }
    fputc('Z', fp);
}

void prle__svg_scatter(FILE *fp, const char *title, const double *xy, const double *t, size_t n,
                       const size_t *stars, size_t n_stars, const char *const *star_titles)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
    }
    nice_range(&xlo, &xhi, 0.03);
    nice_range(&ylo, &yhi, 0.03);
    /* Equal aspect: both axes get the larger span, centred. */
    double span = fmax(xhi - xlo, yhi - ylo), xc = (xlo + xhi) / 2, yc = (ylo + yhi) / 2;
    xlo = xc - span / 2, xhi = xc + span / 2, ylo = yc - span / 2, yhi = yc + span / 2;
    fprintf(fp,
            "<svg class=\"tsne\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"",
            SW, SH, SW * 500 / 420, SH * 500 / 420); /* drawn at 500 px wide */
    prle__html_text(fp, title);
    fputs("\">\n<text x=\"8\" y=\"19\" class=\"ct\">", fp);
    prle__html_text(fp, title);
    fputs("</text>\n", fp);
    fprintf(fp, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"frame\"/>\n",
            SX0, SY0, SX1 - SX0, SY1 - SY0);
    /* One path per colour bin (bin NBINS: no label); a zero-length segment with round caps
     * draws each point as a dot, a dozen bytes a point. */
    fputs("<g class=\"dots\">\n", fp);
    for (int bin = 0; bin <= NBINS; bin++) {
        bool open = false;
        for (size_t i = 0; i < n; i++) {
            double x = xy[2 * i], y = xy[2 * i + 1];
            if (!isfinite(x) || !isfinite(y))
                continue;
            int bi = NBINS;
            if (isfinite(t[i])) {
                double u = t[i] < 0 ? 0 : t[i] > 1 ? 1 : t[i];
                bi = (int)(u * NBINS);
                bi = bi >= NBINS ? NBINS - 1 : bi;
            }
            if (bi != bin)
                continue;
            if (!open) {
                char col[8];
                prle__report_colour(col, bin == NBINS ? NAN : (bin + 0.5) / NBINS);
                fprintf(fp, "<path stroke=\"%s\" d=\"", col);
                open = true;
            }
            fprintf(fp, "M%.1f %.1fh0", lerp_px(x, xlo, xhi, SX0, SX1),
                    lerp_px(y, ylo, yhi, SY1, SY0));
        }
        if (open)
            fputs("\"/>\n", fp);
    }
    fputs("</g>\n", fp);
    for (size_t s = 0; s < n_stars; s++) {
        size_t i = stars[s];
        double x = xy[2 * i], y = xy[2 * i + 1];
        char col[8];
        prle__report_colour(col, t[i]);
        fputs("<path class=\"star\" d=\"", fp);
        if (isfinite(x) && isfinite(y))
            star_path(fp, lerp_px(x, xlo, xhi, SX0, SX1), lerp_px(y, ylo, yhi, SY1, SY0));
        fprintf(fp, "\" fill=\"%s\"><title>", col);
        if (star_titles)
            prle__html_text(fp, star_titles[s]);
        fputs("</title></path>\n", fp);
    }
    for (size_t s = 0; s < n_stars; s++) { /* slot numbers above the stars */
        double x = xy[2 * stars[s]], y = xy[2 * stars[s] + 1];
        if (isfinite(x) && isfinite(y))
            fprintf(fp, "<text class=\"slotn\" x=\"%.1f\" y=\"%.1f\">%zu</text>\n",
                    lerp_px(x, xlo, xhi, SX0, SX1) + 5, lerp_px(y, ylo, yhi, SY1, SY0) - 5, s);
    }
    fputs("</svg>\n", fp);
}

void prle__svg_legend(FILE *fp, double lo, double hi)
{
    enum { NSTEP = 40 };
    const double x0 = 50, w = 300;
    fputs("<svg class=\"legend\" viewBox=\"0 0 520 44\" width=\"520\" height=\"44\" role=\"img\" "
          "aria-label=\"label colour scale\">\n<text x=\"0\" y=\"18\" class=\"bl\">label</text>\n",
          fp);
    for (int k = 0; k < NSTEP; k++) {
        char col[8];
        prle__report_colour(col, (k + 0.5) / NSTEP);
        fprintf(fp, "<rect x=\"%.1f\" y=\"6\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>",
                x0 + k * w / NSTEP, w / NSTEP + 0.4, col);
    }
    fputc('\n', fp);
    char b[32];
    for (int k = 0; k <= 2; k++) {
        double v = lo + (hi - lo) * k / 2.0;
        fprintf(fp, "<text x=\"%.1f\" y=\"38\" class=\"tk\" text-anchor=\"middle\">%s</text>",
                x0 + w * k / 2.0, prle__fmt_g3(b, v));
    }
    fputs("\n<path class=\"star-key\" d=\"", fp);
    star_path(fp, 380, 14);
    fputs("\"/><text x=\"392\" y=\"18\" class=\"bl\">prototype</text>\n</svg>\n", fp);
}
