/* The stage-2 loss terms and their gradients with respect to W and E (see mix_loss.h). Every
 * sum runs in double and in a fixed order, so the result does not depend on threads. */
#include "prle/mix_loss.h"

#include <math.h>
#include <string.h>

prle__mix_coef prle__mix_coef_of(const prle_loss_weights *lw, prle__phase phase)
{
    prle__mix_coef c = {0};
    c.v2 = lw->use_v2;
    if (lw->use_v2) {
        c.task = lw->task_main;
        c.fit = lw->expert_fit;
        c.anchor = lw->anchor_route;
        c.balance = lw->balance;
        c.entropy = lw->entropy;
        return c;
    }
#define PHASED(a)                                                                                  \
    (phase == PRLE__PHASE_GEOMETRY  ? (a)[0]                                                       \
     : phase == PRLE__PHASE_EXPERTS ? (a)[1]                                                       \
                                    : 0.5 * ((a)[0] + (a)[1]))
    c.task = PHASED(lw->task);
    c.metric = PHASED(lw->metric);
    c.proto_self = PHASED(lw->proto_self);
    c.local = PHASED(lw->local);
    c.consistency = PHASED(lw->consistency);
#undef PHASED
    return c;
}

prle__mix_terms prle__mix_terms_nan(void)
{
    prle__mix_terms t;
    t.total = 0;
    t.task = t.fit = t.anchor = t.balance = t.entropy = NAN;
    t.metric = t.proto_self = t.local = t.consistency = NAN;
    return t;
}

void prle__mix_loss_rows(prle__mix_terms *t, float *dw, float *de, const float *w, const float *e,
                         const float *y, const ptrdiff_t *anchor, const float *sqdist, double *work,
                         size_t n, size_t np, const prle__mix_coef *c)
{
    if (n == 0)
        return;
    double inv_n = 1.0 / (double)n, inv_np = inv_n / (double)np;
    double c_fit = c->v2 ? c->fit : c->local;
    double task = 0, fit = 0, ent = 0, cons = 0, anc = 0;
    size_t hits = 0;
    for (size_t b = 0; b < n; b++)
        if (anchor && anchor[b] >= 0)
            hits++;
    /* u_p = mean_b W_bp, in row order */
    double *u = work;
    if (c->v2) {
        memset(u, 0, np * sizeof *u);
        for (size_t b = 0; b < n; b++)
            for (size_t p = 0; p < np; p++)
                u[p] += w[b * np + p];
        for (size_t p = 0; p < np; p++)
            u[p] *= inv_n;
    }

    for (size_t b = 0; b < n; b++) {
        const float *wb = w + b * np, *eb = e + b * np;
        double yh = 0, yb = y[b];
        for (size_t p = 0; p < np; p++)
            yh += (double)wb[p] * eb[p];
        double r = yh - yb, dyh = c->task * 2.0 * r * inv_n;
        task += r * r;
        for (size_t p = 0; p < np; p++) {
            double wp = wb[p], ep = (double)eb[p] - yb, gw = dyh * eb[p], ge = dyh * wp;
            fit += wp * ep * ep;
            gw += c_fit * ep * ep * inv_np;
            ge += c_fit * 2.0 * wp * ep * inv_np;
            if (c->v2) {
                if (wp > 0) {
                    ent -= wp * log(wp);
                    gw -= c->entropy * (log(wp) + 1.0) * inv_n;
                }
                gw += c->balance * 2.0 * (double)np * u[p] * inv_n;
            } else if (sqdist) {
                cons += wp * sqdist[b * np + p];
                gw += c->consistency * sqdist[b * np + p] * inv_np;
            }
            if (dw)
                dw[b * np + p] = (float)gw;
            if (de)
                de[b * np + p] = (float)ge;
        }
        if (c->v2 && anchor && anchor[b] >= 0) {
            size_t a = (size_t)anchor[b];
            double wa = (double)wb[a] + 1e-8;
            anc -= log(wa);
            if (dw)
                dw[b * np + a] += (float)(-c->anchor / ((double)hits * wa));
        }
    }
    t->task = task * inv_n;
    t->total += c->task * t->task;
    if (c->v2) {
        double bal = 0;
        for (size_t p = 0; p < np; p++)
            bal += u[p] * u[p];
        t->fit = fit * inv_np;
        t->anchor = hits ? anc / (double)hits : 0.0;
        t->balance = (double)np * bal;
        t->entropy = ent * inv_n;
        t->total += c->fit * t->fit + c->anchor * t->anchor + c->balance * t->balance +
                    c->entropy * t->entropy;
    } else {
        t->local = fit * inv_np;
        t->consistency = sqdist ? cons * inv_np : 0.0;
        t->total += c->local * t->local + c->consistency * t->consistency;
    }
}

void prle__mix_proto_self(prle__mix_terms *t, float *de_pp, const float *e_pp, const float *a,
                          size_t np, double coef)
{
    double s = 0;
    if (de_pp)
        memset(de_pp, 0, np * np * sizeof *de_pp);
    for (size_t p = 0; p < np; p++) {
        double r = (double)e_pp[p * np + p] - a[p];
        s += r * r;
        if (de_pp)
            de_pp[p * np + p] = (float)(coef * 2.0 * r / (double)np);
    }
    t->proto_self = s / (double)np;
    t->total += coef * t->proto_self;
}

static double row_norm(const float *z, size_t d)
{
    double s = 0;
    for (size_t k = 0; k < d; k++)
        s += (double)z[k] * z[k];
    s = sqrt(s);
    return s > 1e-12 ? s : 1e-12; /* F.normalize's eps */
}

void prle__mix_metric(prle__mix_terms *t, const float *z, const float *y, size_t n, size_t d,
                      double coef)
{
    double pos = 0, neg = 0;
    size_t npos = 0, nneg = 0;
    for (size_t i = 0; i < n; i++) {
        double ni = row_norm(z + i * d, d);
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            double dy = fabs((double)y[i] - y[j]);
            if (dy > 0.1 && dy < 0.3)
                continue;
            double nj = row_norm(z + j * d, d), s = 0;
            for (size_t k = 0; k < d; k++) {
                double v = z[i * d + k] / ni - z[j * d + k] / nj;
                s += v * v;
            }
            if (dy <= 0.1) {
                pos += s;
                npos++;
            } else {
                double m = 1.0 - sqrt(s);
                neg += m > 0 ? m * m : 0.0;
                nneg++;
            }
        }
    }
    t->metric = (npos ? pos / (double)npos : 0.0) + (nneg ? neg / (double)nneg : 0.0);
    t->total += coef * t->metric;
}
