/* The adaptive analog LSTM of seed 002 (lsnn/alstm.h): forward step, truncated RTRL, BPTT. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/alstm.h"

lsnn_status lsnn_alstm_create(lsnn_alstm *net, const lsnn_alstm_spec *spec)
{
    memset(net, 0, sizeof *net);
    const lsnn_alstm_spec *p = spec;
    if (p->n_in < 1 || p->n_out < 1 || p->n_hidden < 0 || p->n_cells < 0 || p->n_in > 100000 ||
        p->n_out > 100000 || p->n_hidden > 100000 || p->n_cells > 100000)
        return lsnn_error(LSNN_ERR_ARG, "adaptive LSTM: sizes in %d, hidden %d, cells %d, out %d "
                          "(inputs and outputs 1..100000, hidden and cells 0..100000)",
                          p->n_in, p->n_hidden, p->n_cells, p->n_out);
    const int n_z = (p->out_from_inputs ? p->n_in : 0) + p->n_hidden + p->n_cells;
    if (n_z < 1)
        return lsnn_error(LSNN_ERR_ARG, "adaptive LSTM: the outputs read no unit");
    if (!isfinite(p->w_cec))
        return lsnn_error(LSNN_ERR_ARG, "adaptive LSTM: w_cec must be finite");
    if (!(p->aan.a > 0) || !(p->aan.c > 0) || !isfinite(p->aan.a) || !isfinite(p->aan.b) ||
        !isfinite(p->aan.c) || !isfinite(p->aan.d))
        return lsnn_error(LSNN_ERR_ARG,
                          "adaptive LSTM: AAN constants must be finite with a, c > 0");
    net->spec = *p;
    net->n_u = p->n_in + 1;
    net->n_z = n_z;
    const size_t nu = (size_t)net->n_u;
    net->n_params = (size_t)p->n_hidden * nu + 2 * (size_t)p->n_cells * nu +
                    (size_t)p->n_out * ((size_t)n_z + 1);
    net->params = calloc(net->n_params, sizeof(double));
    if (!net->params)
        return lsnn_error(LSNN_ERR_NOMEM, "adaptive LSTM: out of memory (%zu parameters)",
                          net->n_params);
    net->w_hid = net->params;
    net->w_gate = net->w_hid + (size_t)p->n_hidden * nu;
    net->w_cin = net->w_gate + (size_t)p->n_cells * nu;
    net->w_out = net->w_cin + (size_t)p->n_cells * nu;
    net->aan1 = lsnn_aan(1, &p->aan);
    net->aan0 = lsnn_aan(0, &p->aan);
    net->log_a = log(p->aan.a);
    net->log_c = log(p->aan.c);
    return LSNN_OK;
}

void lsnn_alstm_free(lsnn_alstm *net)
{
    free(net->params);
    memset(net, 0, sizeof *net);
}

static void init_group(double *w, int rows, int cols, const lsnn_alstm_init *in, double bias,
                       lsnn_rng *rng)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double v = in->range * (2 * lsnn_rng_uniform(rng) - 1);
            w[(size_t)r * cols + c] = (c == cols - 1 && !isnan(bias)) ? bias : v;
        }
}

void lsnn_alstm_init_weights(lsnn_alstm *net, const lsnn_alstm_init *in, lsnn_rng *rng)
{
    const lsnn_alstm_spec *p = &net->spec;
    init_group(net->w_hid, p->n_hidden, net->n_u, in, in->hid_bias, rng);
    init_group(net->w_gate, p->n_cells, net->n_u, in, in->gate_bias, rng);
    init_group(net->w_cin, p->n_cells, net->n_u, in, in->cin_bias, rng);
    init_group(net->w_out, p->n_out, net->n_z + 1, in, in->out_bias, rng);
}

size_t lsnn_alstm_out_index(const lsnn_alstm *net, int k, int j)
{
    return (size_t)(net->w_out - net->params) + (size_t)k * ((size_t)net->n_z + 1) + (size_t)j;
}

lsnn_status lsnn_alstm_state_create(const lsnn_alstm *net, lsnn_alstm_state *st)
{
    memset(st, 0, sizeof *st);
    const size_t nu = (size_t)net->n_u, C = (size_t)net->spec.n_cells;
    const size_t n = nu + (size_t)net->n_z + (size_t)net->spec.n_hidden + 6 * C + 2 * C * nu +
                     (size_t)net->spec.n_out;
    double *m = calloc(n, sizeof(double));
    if (!m)
        return lsnn_error(LSNN_ERR_NOMEM, "adaptive LSTM: out of memory (state)");
    st->mem = m;
    st->u = m;
    st->z = st->u + nu;
    st->hid_d = st->z + net->n_z;
    st->gate = st->hid_d + net->spec.n_hidden;
    st->gate_d = st->gate + C;
    st->cin = st->gate_d + C;
    st->cin_d = st->cin + C;
    st->s = st->cin_d + C;
    st->yc_d = st->s + C;
    st->p_gate = st->yc_d + C;
    st->p_cin = st->p_gate + C * nu;
    st->o = st->p_cin + C * nu;
    lsnn_alstm_reset(net, st);
    return LSNN_OK;
}

void lsnn_alstm_state_free(lsnn_alstm_state *st)
{
    free(st->mem);
    memset(st, 0, sizeof *st);
}

void lsnn_alstm_reset(const lsnn_alstm *net, lsnn_alstm_state *st)
{
    const size_t C = (size_t)net->spec.n_cells, nu = (size_t)net->n_u;
    memset(st->s, 0, sizeof(double) * C);
    memset(st->p_gate, 0, sizeof(double) * C * nu);
    memset(st->p_cin, 0, sizeof(double) * C * nu);
}

/* AAN and its derivative (lsnn_aan_eval) with the logarithms of a and c precomputed. */
static inline void aan(const lsnn_alstm *net, double x, double *f, double *df)
{
    const lsnn_aan_params *p = &net->spec.aan;
    double u = net->log_a + p->b * x, w = net->log_c + p->d * x;
    double m = u > w ? u : w;
    if (m < 0)
        m = 0;
    double e0 = exp(-m), e1 = exp(u - m), e2 = exp(w - m);
    double inv = 1 / (e0 + e1 + e2);
    *f = e0 * inv;
    *df = -(p->b * e1 + p->d * e2) * inv * *f;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Input units, hidden units, gates and input cells of one step (no carousel): shared by the
 * RTRL step and BPTT. */
static void front(const lsnn_alstm *net, lsnn_alstm_state *st, const double *x, int cells_on)
{
    const lsnn_alstm_spec *p = &net->spec;
    const int nu = net->n_u;
    for (int i = 0; i < p->n_in; i++)
        if (!p->input_aan)
            st->u[i] = x[i];
        else if (x[i] == 0)
            st->u[i] = net->aan0;
        else {
            double d;
            aan(net, x[i], &st->u[i], &d);
        }
    st->u[p->n_in] = 1;
    int zi = 0;
    if (p->out_from_inputs) {
        memcpy(st->z, st->u, sizeof(double) * (size_t)p->n_in);
        zi = p->n_in;
    }
    for (int j = 0; j < p->n_hidden; j++)
        aan(net, dot(net->w_hid + (size_t)j * nu, st->u, nu), &st->z[zi + j], &st->hid_d[j]);
    for (int c = 0; c < p->n_cells; c++) {
        if (!cells_on) {
            st->gate[c] = st->gate_d[c] = st->cin[c] = st->cin_d[c] = 0;
            continue;
        }
        aan(net, dot(net->w_gate + (size_t)c * nu, st->u, nu), &st->gate[c], &st->gate_d[c]);
        aan(net, dot(net->w_cin + (size_t)c * nu, st->u, nu), &st->cin[c], &st->cin_d[c]);
    }
}

/* Cell outputs from the carousels, then the linear outputs. */
static void back_end(const lsnn_alstm *net, lsnn_alstm_state *st, int cells_on)
{
    const lsnn_alstm_spec *p = &net->spec;
    const int zc = net->n_z - p->n_cells;
    for (int c = 0; c < p->n_cells; c++) {
        if (!cells_on) {
            st->z[zc + c] = 0;
            st->yc_d[c] = 0;
            continue;
        }
        double y, d;
        aan(net, st->s[c], &y, &d);
        if (p->cell_out_norm) {
            y /= net->aan1;
            d /= net->aan1;
        }
        st->z[zc + c] = y;
        st->yc_d[c] = d;
    }
    const int nz = net->n_z;
    for (int k = 0; k < p->n_out; k++) {
        const double *w = net->w_out + (size_t)k * (nz + 1);
        st->o[k] = dot(w, st->z, nz) + w[nz];
    }
}

void lsnn_alstm_step(const lsnn_alstm *net, lsnn_alstm_state *st, const double *x, int cells_on)
{
    const lsnn_alstm_spec *p = &net->spec;
    const int nu = net->n_u;
    front(net, st, x, cells_on);
    if (cells_on)
        for (int c = 0; c < p->n_cells; c++) {
            st->s[c] += p->w_cec * st->gate[c] * st->cin[c];
            const double ag = p->w_cec * st->cin[c] * st->gate_d[c];
            const double ac = p->w_cec * st->gate[c] * st->cin_d[c];
            double *pg = st->p_gate + (size_t)c * nu, *pc = st->p_cin + (size_t)c * nu;
            for (int i = 0; i < nu; i++) {
                pg[i] += ag * st->u[i];
                pc[i] += ac * st->u[i];
            }
        }
    back_end(net, st, cells_on);
}

/* e_j = sum_k W_out[k][j] go[k]. */
static double out_err(const lsnn_alstm *net, const double *go, int j)
{
    double e = 0;
    for (int k = 0; k < net->spec.n_out; k++)
        e += net->w_out[(size_t)k * (net->n_z + 1) + j] * go[k];
    return e;
}

/* The output and hidden weights' gradient of one step (one step of backprop). */
static void grad_front(const lsnn_alstm *net, const lsnn_alstm_state *st, const double *go,
                       double *grad)
{
    const lsnn_alstm_spec *p = &net->spec;
    const int nu = net->n_u, nz = net->n_z;
    double *g_out = grad + (net->w_out - net->params);
    for (int k = 0; k < p->n_out; k++) {
        double *g = g_out + (size_t)k * (nz + 1);
        for (int j = 0; j < nz; j++)
            g[j] += go[k] * st->z[j];
        g[nz] += go[k];
    }
    const int zi = p->out_from_inputs ? p->n_in : 0;
    double *g_hid = grad + (net->w_hid - net->params);
    for (int j = 0; j < p->n_hidden; j++) {
        double d = out_err(net, go, zi + j) * st->hid_d[j];
        for (int i = 0; i < nu; i++)
            g_hid[(size_t)j * nu + i] += d * st->u[i];
    }
}

void lsnn_alstm_grad(const lsnn_alstm *net, const lsnn_alstm_state *st, const double *go,
                     double *grad, int cells_on)
{
    const lsnn_alstm_spec *p = &net->spec;
    const int nu = net->n_u, zc = net->n_z - p->n_cells;
    grad_front(net, st, go, grad);
    if (!cells_on)
        return;
    double *g_gate = grad + (net->w_gate - net->params), *g_cin = grad + (net->w_cin - net->params);
    for (int c = 0; c < p->n_cells; c++) {
        double ds = out_err(net, go, zc + c) * st->yc_d[c];
        const double *pg = st->p_gate + (size_t)c * nu, *pc = st->p_cin + (size_t)c * nu;
        for (int i = 0; i < nu; i++) {
            g_gate[(size_t)c * nu + i] += ds * pg[i];
            g_cin[(size_t)c * nu + i] += ds * pc[i];
        }
    }
}

lsnn_status lsnn_alstm_bptt(const lsnn_alstm *net, int T, const double *x, const double *target,
                            double *grad, double *out, double *loss)
{
    const lsnn_alstm_spec *p = &net->spec;
    if (T < 1)
        return lsnn_error(LSNN_ERR_ARG, "adaptive LSTM BPTT: %d steps", T);
    const int nu = net->n_u, nz = net->n_z, C = p->n_cells, K = p->n_out, H = p->n_hidden;
    /* per step: u, z, hid_d, gate, gate_d, cin, cin_d, yc_d, o */
    const size_t per = (size_t)nu + nz + H + 5 * (size_t)C + K;
    double *rec = malloc(sizeof(double) * per * (size_t)T);
    double *acc = calloc((size_t)C + (size_t)K, sizeof(double));
    lsnn_alstm_state st;
    if (!rec || !acc || lsnn_alstm_state_create(net, &st)) {
        free(rec);
        free(acc);
        return lsnn_error(LSNN_ERR_NOMEM, "adaptive LSTM BPTT: out of memory (%d steps)", T);
    }
    double *go = acc + C;
    for (int t = 0; t < T; t++) {
        front(net, &st, x + (size_t)t * p->n_in, 1);
        for (int c = 0; c < C; c++)
            st.s[c] += p->w_cec * st.gate[c] * st.cin[c];
        back_end(net, &st, 1);
        double *r = rec + per * (size_t)t;
        memcpy(r, st.u, sizeof(double) * nu);
        memcpy(r + nu, st.z, sizeof(double) * nz);
        memcpy(r + nu + nz, st.hid_d, sizeof(double) * H);
        double *rc = r + nu + nz + H;
        memcpy(rc, st.gate, sizeof(double) * C);
        memcpy(rc + C, st.gate_d, sizeof(double) * C);
        memcpy(rc + 2 * C, st.cin, sizeof(double) * C);
        memcpy(rc + 3 * C, st.cin_d, sizeof(double) * C);
        memcpy(rc + 4 * C, st.yc_d, sizeof(double) * C);
        memcpy(rc + 5 * C, st.o, sizeof(double) * K);
        if (out)
            memcpy(out + (size_t)t * K, st.o, sizeof(double) * K);
    }
    double L = 0;
    double *g_gate = grad + (net->w_gate - net->params), *g_cin = grad + (net->w_cin - net->params);
    const int zc = nz - C;
    for (int t = T - 1; t >= 0; t--) {
        const double *r = rec + per * (size_t)t;
        const double *rc = r + nu + nz + H;
        for (int k = 0; k < K; k++) {
            go[k] = rc[5 * C + k] - target[(size_t)t * K + k];
            L += 0.5 * go[k] * go[k];
        }
        /* the step's own paths (outputs, hidden units) */
        memcpy(st.u, r, sizeof(double) * nu);
        memcpy(st.z, r + nu, sizeof(double) * nz);
        memcpy(st.hid_d, r + nu + nz, sizeof(double) * H);
        grad_front(net, &st, go, grad);
        /* dL/ds(t) summed over the steps t' >= t that s(t) reaches through the carousel */
        for (int c = 0; c < C; c++) {
            acc[c] += out_err(net, go, zc + c) * rc[4 * C + c];
            const double ag = acc[c] * p->w_cec * rc[2 * C + c] * rc[C + c];
            const double ac = acc[c] * p->w_cec * rc[c] * rc[3 * C + c];
            for (int i = 0; i < nu; i++) {
                g_gate[(size_t)c * nu + i] += ag * r[i];
                g_cin[(size_t)c * nu + i] += ac * r[i];
            }
        }
    }
    lsnn_alstm_state_free(&st);
    free(rec);
    free(acc);
    if (loss)
        *loss = L;
    return LSNN_OK;
}
