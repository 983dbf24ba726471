/* Registry of neuron models: a new model is one file plus one line here. */
#include <string.h>

#include "lsnn/neuron.h"

extern const lsnn_neuron_model lsnn_neuron_alif;
extern const lsnn_neuron_model lsnn_neuron_stdp_alif;
extern const lsnn_neuron_model lsnn_neuron_izhikevich;

static const lsnn_neuron_model *const lsnn__models[] = {
    &lsnn_neuron_alif,
    &lsnn_neuron_stdp_alif,
    &lsnn_neuron_izhikevich,
};

const lsnn_neuron_model *lsnn_neuron_model_at(int i)
{
    return i >= 0 && i < (int)(sizeof lsnn__models / sizeof lsnn__models[0]) ? lsnn__models[i]
                                                                            : NULL;
}

const lsnn_neuron_model *lsnn_neuron_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof lsnn__models / sizeof lsnn__models[0]; i++)
        if (strcmp(lsnn__models[i]->name, name) == 0)
            return lsnn__models[i];
    return NULL;
}
