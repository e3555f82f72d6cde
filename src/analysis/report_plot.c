/* Charts with two labelled axes (report_errors.c, report_intervals.c): a frame with round
 * ticks on both axes and axis titles, into which a section draws dots, bars and lines in data
 * coordinates. */
#include <math.h>
#include <string.h>

#include "analysis/report_int.h"

#define Y_TITLE_RIGHT 22 /* the rotated y title's right edge, and a little room */

/* A round step (1, 2 or 5 times a power of ten) giving about `n` intervals over `span`. */
static double round_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

double prle__plot_x(const prle__plot *p, double x)
{
    return p->px0 + (x - p->x0) / (p->x1 - p->x0) * (p->px1 - p->px0);
}

double prle__plot_y(const prle__plot *p, double y)
{
    return p->py1 - (y - p->y0) / (p->y1 - p->y0) * (p->py1 - p->py0);
}

/* The axis' ticks into fp, or (fp NULL) only the characters of its longest tick label. */
static size_t ticks(FILE *fp, const prle__plot *p, bool x_axis)
{
    double lo = x_axis ? p->x0 : p->y0, hi = x_axis ? p->x1 : p->y1;
    double step = round_step(hi - lo, x_axis ? 5 : 4);
    char b[32];
    size_t longest = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
        double v = fabs(t) < step * 1e-9 ? 0 : t;
        if (!fp) {
            size_t n = strlen(prle__fmt_g3(b, v));
            longest = n > longest ? n : longest;
        } else if (x_axis) {
            double px = prle__plot_x(p, v);
            fprintf(fp,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" class=\"grid\"/>"
                    "<text x=\"%.1f\" y=\"%.0f\" class=\"tk\" text-anchor=\"middle\">%s</text>\n",
                    px, px, p->py0, p->py1, px, p->py1 + 13, prle__fmt_g3(b, v));
        } else {
            double py = prle__plot_y(p, v);
            fprintf(fp,
                    "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                    "<text x=\"%.0f\" y=\"%.1f\" class=\"tk\" text-anchor=\"end\">%s</text>\n",
                    p->px0, p->px1, py, py, p->px0 - 4, py + 3.5, prle__fmt_g3(b, v));
        }
    }
    return longest;
}

void prle__plot_open(FILE *fp, prle__plot *p, const char *cls, const char *title,
                     const char *xlabel, const char *ylabel, int width, int height)
{
    if (!(p->x1 > p->x0))
        p->x1 = p->x0 + 1;
    if (!(p->y1 > p->y0))
        p->y1 = p->y0 + 1;
    /* the y ticks end 4 px left of the frame and must clear the y title (x 13, 11 px high):
       the frame moves right for labels longer than six characters of the 10 px font */
    double tick_px = PRLE__TICK_CHAR_PX * (double)ticks(NULL, p, false) + 4;
    p->px0 = Y_TITLE_RIGHT + tick_px > 56 ? Y_TITLE_RIGHT + tick_px : 56;
    p->px1 = width - 12, p->py0 = 26, p->py1 = height - 38;
    fprintf(fp,
            "<svg class=\"plot %s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"",
            cls, width, height, width, height);
    prle__html_text(fp, title);
    fputs("\">\n<text x=\"6\" y=\"15\" class=\"ct\">", fp);
    prle__html_text(fp, title);
    fputs("</text>\n", fp);
    ticks(fp, p, true);
    ticks(fp, p, false);
    fprintf(fp, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"frame\"/>\n",
            p->px0, p->py0, p->px1 - p->px0, p->py1 - p->py0);
    fprintf(fp, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">",
            (p->px0 + p->px1) / 2, height - 8);
    prle__html_text(fp, xlabel);
    fprintf(fp,
            "</text>\n<text class=\"ax\" text-anchor=\"middle\" "
            "transform=\"translate(13 %.1f) rotate(-90)\">",
            (p->py0 + p->py1) / 2);
    prle__html_text(fp, ylabel);
    fputs("</text>\n", fp);
}

void prle__plot_close(FILE *fp)
{
    fputs("</svg>\n", fp);
}

int prle__plot_bin(double v, double lo, double hi, int n)
{
    int b = (int)floor((v - lo) / ((hi - lo) / n));
    return b < 0 ? 0 : b >= n ? n - 1 : b;
}

void prle__plot_bin_px(const prle__plot *p, int b, int n, double *xa, double *xb)
{
    double w = (p->x1 - p->x0) / n;
    *xa = prle__plot_x(p, p->x0 + b * w) + 3;
    *xb = prle__plot_x(p, p->x0 + (b + 1) * w) - 3;
}

void prle__plot_scale_label(char *buf, size_t len, const char *what, double lo, double hi)
{
    char a[32], b[32];
    snprintf(buf, len, "%s (raw scale, %s to %s)", what, prle__fmt_g3(a, lo), prle__fmt_g3(b, hi));
}
