/* Optimizers: Adam (Kingma & Ba) and plain SGD, learning-rate decay, gradient clipping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/learn.h"

/* The optimizers. Each has a name, whether it keeps Adam's two moment arrays m and v (they are
 * allocated by lsnn_optim_init and written to checkpoints), and its update of the parameters
 * whose mask is 1 (o->step already counts this update). Adding an optimizer is a function and a
 * row here (and its kind in lsnn/learn.h); the config's optimizer.name takes it from this table. */
static void sgd_update(lsnn_optim *o, lsnn_real *params, const lsnn_real *grad,
                       const uint8_t *mask, double lr)
{
    for (size_t k = 0; k < o->n; k++)
        if (mask[k])
            params[k] -= (lsnn_real)lr * grad[k];
}

static void adam_update(lsnn_optim *o, lsnn_real *params, const lsnn_real *grad,
                        const uint8_t *mask, double lr)
{
    const double b1 = o->beta1, b2 = o->beta2;
    /* Bias corrections folded into the step size (Kingma & Ba, section 2). */
    const double c1 = 1 - pow(b1, (double)o->step), c2 = 1 - pow(b2, (double)o->step);
    const lsnn_real a = (lsnn_real)(lr * sqrt(c2) / c1);
    const lsnn_real eps = (lsnn_real)(o->epsilon * sqrt(c2));
    const lsnn_real fb1 = (lsnn_real)b1, fb2 = (lsnn_real)b2;
    /* Seed 004 eqs. 3.48-3.52 put epsilon inside the root: m_hat / sqrt(v_hat + eps), which is
     * a m / sqrt(v + eps c2) with the same folded step size. */
    const int in_sqrt = o->eps_in_sqrt;
    const lsnn_real eps2 = (lsnn_real)(o->epsilon * c2);
    for (size_t k = 0; k < o->n; k++) {
        if (!mask[k])
            continue;
        lsnn_real g = grad[k];
        o->m[k] = fb1 * o->m[k] + (1 - fb1) * g;
        o->v[k] = fb2 * o->v[k] + (1 - fb2) * g * g;
        lsnn_real den = in_sqrt ? sqrtf((float)(o->v[k] + eps2)) : sqrtf((float)o->v[k]) + eps;
        params[k] -= a * o->m[k] / den;
    }
}

static const struct {
    const char *name;
    lsnn_optim_kind kind;
    int moments; /* 1: keeps m and v */
    void (*update)(lsnn_optim *o, lsnn_real *params, const lsnn_real *grad, const uint8_t *mask,
                   double lr);
} lsnn__optims[] = {
    {"adam", LSNN_OPTIM_ADAM, 1, adam_update},
    {"sgd", LSNN_OPTIM_SGD, 0, sgd_update},
};
#define LSNN__N_OPTIMS (int)(sizeof lsnn__optims / sizeof lsnn__optims[0])

/* The table row of kind k, or -1. */
static int lsnn__optim_row(lsnn_optim_kind k)
{
    for (int i = 0; i < LSNN__N_OPTIMS; i++)
        if (lsnn__optims[i].kind == k)
            return i;
    return -1;
}

const char *lsnn_optim_name(int i)
{
    return i >= 0 && i < LSNN__N_OPTIMS ? lsnn__optims[i].name : NULL;
}

lsnn_status lsnn_optim_find(const char *name, lsnn_optim_kind *kind)
{
    for (int i = 0; i < LSNN__N_OPTIMS; i++)
        if (strcmp(name, lsnn__optims[i].name) == 0) {
            *kind = lsnn__optims[i].kind;
            return LSNN_OK;
        }
    return lsnn_error(LSNN_ERR_CONFIG, "optimizer.name: unknown optimizer '%s'", name);
}

lsnn_status lsnn_optim_init(lsnn_optim *o, const lsnn_optim_params *cfg, size_t n)
{
    memset(o, 0, sizeof *o);
    const int row = lsnn__optim_row(cfg->kind);
    if (row < 0)
        return lsnn_error(LSNN_ERR_ARG, "optimizer: unknown kind %d", (int)cfg->kind);
    o->kind = cfg->kind;
    o->beta1 = cfg->beta1;
    o->beta2 = cfg->beta2;
    o->epsilon = cfg->epsilon;
    o->eps_in_sqrt = cfg->epsilon_in_sqrt;
    o->n = n;
    if (lsnn__optims[row].moments) {
        o->m = calloc(n, sizeof(lsnn_real));
        o->v = calloc(n, sizeof(lsnn_real));
        if (!o->m || !o->v) {
            lsnn_optim_free(o);
            return lsnn_error(LSNN_ERR_NOMEM, "optimizer: cannot allocate Adam moments");
        }
    }
    return LSNN_OK;
}

void lsnn_optim_free(lsnn_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

double lsnn_lr_at(double lr, const lsnn_optim_params *cfg, long it)
{
    if (cfg->lr_decay_every > 0 && cfg->lr_decay != 1.0)
        lr *= pow(cfg->lr_decay, (double)(it / cfg->lr_decay_every));
    /* Warm-up: iteration it (0-based) uses (it + 1) / warmup of the rate, so the first update
     * is already non-zero. */
    if (cfg->warmup > 0 && it < cfg->warmup)
        lr *= (double)(it + 1) / cfg->warmup;
    return lr;
}

double lsnn_grad_clip(lsnn_real *grad, const uint8_t *mask, size_t n, double clip_norm)
{
    double ss = 0;
    for (size_t k = 0; k < n; k++)
        if (mask[k])
            ss += (double)grad[k] * grad[k];
    double norm = sqrt(ss);
    if (clip_norm > 0 && norm > clip_norm) {
        lsnn_real s = (lsnn_real)(clip_norm / norm);
        for (size_t k = 0; k < n; k++)
            grad[k] *= s;
    }
    return norm;
}

void lsnn_optim_step(lsnn_optim *o, lsnn_real *params, const lsnn_real *grad,
                     const uint8_t *mask, double lr)
{
    o->step++;
    lsnn__optims[lsnn__optim_row(o->kind)].update(o, params, grad, mask, lr);
}
