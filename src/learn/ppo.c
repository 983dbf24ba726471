/* The meta-RL policy (two Gaussian action components from tanh means and sigmoid variances) and
 * the per-step PPO loss with its gradient with respect to the readouts (see lsnn/ppo.h). */
#include <math.h>

#include "lsnn/ppo.h"

#define LSNN__LOG_2PI 1.83787706640934548356

static double lsnn__sigmoid(double a)
{
    return a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a));
}

void lsnn_policy_moments(const double *y, double mu[2], double var[2])
{
    for (int c = 0; c < 2; c++) {
        mu[c] = tanh(y[c]);
        var[c] = lsnn__sigmoid(y[2 + c]);
    }
}

double lsnn_policy_logp(const double *y, const double *a)
{
    double mu[2], var[2], l = 0;
    lsnn_policy_moments(y, mu, var);
    for (int c = 0; c < 2; c++) {
        const double d = a[c] - mu[c];
        l += -0.5 * (LSNN__LOG_2PI + log(var[c])) - d * d / (2 * var[c]);
    }
    return l;
}

double lsnn_policy_entropy(const double *y)
{
    double mu[2], var[2], h = 0;
    lsnn_policy_moments(y, mu, var);
    for (int c = 0; c < 2; c++)
        h += 0.5 * (LSNN__LOG_2PI + 1 + log(var[c]));
    return h;
}

void lsnn_policy_sample(const double *y, lsnn_rng *rng, double *a)
{
    double mu[2], var[2];
    lsnn_policy_moments(y, mu, var);
    for (int c = 0; c < 2; c++)
        a[c] = mu[c] + sqrt(var[c]) * lsnn_rng_normal(rng);
}

double lsnn_ppo_loss(const double *y, const double *a, double logp_old, double adv, double ret,
                     const lsnn_ppo_params *p, double *gy)
{
    double mu[2], var[2];
    lsnn_policy_moments(y, mu, var);
    const double logp = lsnn_policy_logp(y, a), rho = exp(logp - logp_old);
    const double rc = rho < 1 - p->clip ? 1 - p->clip : rho > 1 + p->clip ? 1 + p->clip : rho;
    /* min(rho A, clip(rho) A): the unclipped term wherever it is the smaller (or equal) one */
    const int unclipped = rho * adv <= rc * adv;
    const double surr = unclipped ? rho * adv : rc * adv;
    const double v = y[4], h = lsnn_policy_entropy(y);
    const double loss = -surr + p->mu_v * (ret - v) * (ret - v) - p->mu_e * h;
    if (!gy)
        return loss;
    /* d loss / d log pi = -rho A on the unclipped branch, 0 on the clipped one */
    const double gl = unclipped ? -rho * adv : 0;
    for (int c = 0; c < 2; c++) {
        const double d = a[c] - mu[c];
        const double dlp_dmu = d / var[c];
        const double dlp_dvar = -0.5 / var[c] + d * d / (2 * var[c] * var[c]);
        const double dh_dvar = 0.5 / var[c];
        gy[c] = gl * dlp_dmu * (1 - mu[c] * mu[c]);
        gy[2 + c] = (gl * dlp_dvar - p->mu_e * dh_dvar) * var[c] * (1 - var[c]);
    }
    gy[4] = -2 * p->mu_v * (ret - v);
    return loss;
}

void lsnn_gae(const double *r, const double *V, int T, double eta, double lambda, double *A)
{
    double acc = 0;
    for (int t = T - 1; t >= 0; t--) {
        const double rn = t + 1 < T ? r[t + 1] : 0, vn = t + 1 < T ? V[t + 1] : 0;
        const double delta = eta * (rn + vn) - V[t];
        acc = delta + eta * lambda * acc;
        A[t] = acc;
    }
}

void lsnn_discounted_returns(const double *r, int T, double eta, double *R)
{
    double acc = 0;
    for (int t = T - 1; t >= 0; t--) {
        R[t] = acc; /* sum over t' > t */
        acc = eta * (r[t] + acc);
    }
}
