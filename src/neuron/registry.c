/* Registry of neuron models: a new model is one file plus one line here (or a run-time
 * lsnn_neuron_model_register). Also the parameter helpers and lsnn_neuron_block. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/neuron.h"

extern const lsnn_neuron_model lsnn_neuron_alif;
extern const lsnn_neuron_model lsnn_neuron_stdp_alif;
extern const lsnn_neuron_model lsnn_neuron_izhikevich;
extern const lsnn_neuron_model lsnn_neuron_asn;

static const lsnn_neuron_model *const lsnn__models[] = {
    &lsnn_neuron_alif,
    &lsnn_neuron_stdp_alif,
    &lsnn_neuron_izhikevich,
    &lsnn_neuron_asn,
};
#define LSNN__N_BUILTIN ((int)(sizeof lsnn__models / sizeof lsnn__models[0]))
#define LSNN__MAX_ADDED 16

static const lsnn_neuron_model *lsnn__added[LSNN__MAX_ADDED];
static int lsnn__n_added;

const lsnn_neuron_model *lsnn_neuron_model_at(int i)
{
    if (i >= 0 && i < LSNN__N_BUILTIN)
        return lsnn__models[i];
    i -= LSNN__N_BUILTIN;
    return i >= 0 && i < lsnn__n_added ? lsnn__added[i] : NULL;
}

const lsnn_neuron_model *lsnn_neuron_model_find(const char *name)
{
    const lsnn_neuron_model *m;
    for (int i = 0; (m = lsnn_neuron_model_at(i)); i++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

lsnn_status lsnn_neuron_model_register(const lsnn_neuron_model *m)
{
    if (!m || !m->name || !m->name[0])
        return lsnn_error(LSNN_ERR_ARG, "neuron model: no name");
    if (lsnn_neuron_model_find(m->name))
        return lsnn_error(LSNN_ERR_ARG, "neuron model '%s': the name is taken", m->name);
    if (!m->consts_size || !m->derive || !m->step || !m->threshold ||
        (!m->forward_only && (!m->backward_step || !m->eligibility)) ||
        (m->n_params > 0 && !m->params) || m->n_params < 0)
        return lsnn_error(LSNN_ERR_ARG, "neuron model '%s': consts_size, derive, step and "
                                        "threshold are required, and backward_step and "
                                        "eligibility unless it is forward_only",
                          m->name);
    if (m->n_aux < 0 || m->n_aux > LSNN_NEURON_MAX_AUX || (m->n_aux > 0 && !m->forward_only))
        return lsnn_error(LSNN_ERR_ARG, "neuron model '%s': %d auxiliary state variables "
                          "(0..%d, and only for forward_only models: the gradient's functions "
                          "see v and b only)", m->name, m->n_aux, LSNN_NEURON_MAX_AUX);
    if (lsnn__n_added >= LSNN__MAX_ADDED)
        return lsnn_error(LSNN_ERR_ARG, "neuron model '%s': at most %d models can be added",
                          m->name, LSNN__MAX_ADDED);
    lsnn__added[lsnn__n_added++] = m;
    return LSNN_OK;
}

int lsnn_neuron_param_index(const lsnn_neuron_model *m, const char *name)
{
    for (int k = 0; k < m->n_params; k++)
        if (strcmp(m->params[k].name, name) == 0)
            return k;
    return -1;
}

const char *lsnn_neuron_param_check(const lsnn_neuron_param *p, double x)
{
    if (!isfinite(x))
        return "must be a finite number";
    if (p->min_excl ? !(x > p->min) : !(x >= p->min))
        return "below the allowed range";
    if (!(x <= p->max))
        return "above the allowed range";
    if (p->integer && x != floor(x))
        return "must be a whole number";
    return NULL;
}

void lsnn_neuron_param_allowed(const lsnn_neuron_param *p, char *buf, size_t cap)
{
    if (isfinite(p->max))
        snprintf(buf, cap, "%s%.10g to %.10g%s", p->min_excl ? "> " : "", p->min, p->max,
                 p->integer ? ", whole numbers" : "");
    else
        snprintf(buf, cap, "%s %.10g%s", p->min_excl ? ">" : ">=", p->min,
                 p->integer ? ", whole numbers" : "");
}

static size_t lsnn__al(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

void lsnn_neuron_block_derive(lsnn_neuron_block *blk, const lsnn_neuron_opts *o)
{
    blk->model->derive(blk->k, blk->count, blk->par, o, blk->g_in, blk->adaptive);
}

lsnn_status lsnn_neuron_block_init(lsnn_neuron_block *blk, const lsnn_neuron_model *m, int count,
                                   const lsnn_neuron_opts *o, const char *const *names,
                                   const double *values, int n_values)
{
    memset(blk, 0, sizeof *blk);
    if (!m || count < 1)
        return lsnn_error(LSNN_ERR_ARG, "neuron block: a model and >= 1 neuron are needed");
    const size_t np = lsnn__al(sizeof(lsnn_real) * (size_t)m->n_params * count + 1),
                 nk = lsnn__al(m->consts_size(count)),
                 ng = lsnn__al(sizeof(lsnn_real) * (size_t)count);
    char *mem = aligned_alloc(64, np + nk + ng + lsnn__al((size_t)count));
    if (!mem)
        return lsnn_error(LSNN_ERR_NOMEM, "neuron block: out of memory");
    memset(mem, 0, np + nk + ng + lsnn__al((size_t)count));
    blk->model = m;
    blk->count = count;
    blk->mem = mem;
    blk->par = (lsnn_real *)(void *)mem;
    blk->k = mem + np;
    blk->g_in = (lsnn_real *)(void *)(mem + np + nk);
    blk->adaptive = (uint8_t *)(mem + np + nk + ng);
    for (int k = 0; k < m->n_params; k++)
        for (int i = 0; i < count; i++)
            blk->par[(size_t)k * count + i] = (lsnn_real)m->params[k].def;
    for (int v = 0; v < n_values; v++) {
        int k = lsnn_neuron_param_index(m, names[v]);
        if (k < 0) {
            lsnn_neuron_block_free(blk);
            return lsnn_error(LSNN_ERR_ARG, "neuron model '%s' has no parameter '%s'", m->name,
                              names[v]);
        }
        for (int i = 0; i < count; i++)
            blk->par[(size_t)k * count + i] = (lsnn_real)values[v];
    }
    lsnn_neuron_block_derive(blk, o);
    return LSNN_OK;
}

void lsnn_neuron_block_free(lsnn_neuron_block *blk)
{
    free(blk->mem);
    memset(blk, 0, sizeof *blk);
}
