/* lsnn/checkpoint.h - models and training state as safetensors files.
 *
 * A checkpoint holds every tensor of the network (weights, delays, masks, neuron parameters), the
 * optimizer moments, and in "__metadata__": "format" ("lsnn-1"), "config" (the full config as
 * JSON), "iteration" and "optim_step". It loads in NumPy/PyTorch with the safetensors package.
 * Files are written atomically (temp file + fsync + rename).
 *
 * Tensors: "w_in", "w_rec" (source-major, F32), "<proj>.delay" (U8) when delays are on,
 * "w_in.mask", "w_rec.mask", "w_out.mask" (U8, 1 = the synapse exists) when the network is
 * sparse, "input_sign" (I8, 1 excitatory / -1 inhibitory) when the inputs are signed,
 * "neuron.sign" (I8, 1 / -1 / 0 unsigned) when any neuron is signed, "w_out", "b_out",
 * "noise_std", "neuron.tau_m", "neuron.tau_a", "neuron.beta", "neuron.b0",
 * "neuron.refractory" (I32), "optim.m", "optim.v". Masks and DEEP R's state are the same thing,
 * so a DEEP R run resumes exactly. */
#ifndef LSNN_CHECKPOINT_H
#define LSNN_CHECKPOINT_H

#include "lsnn/ann.h"
#include "lsnn/config.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/safetensors.h"

/* Saves the network, optimizer state (opt may be NULL) and iteration count. */
lsnn_status lsnn_checkpoint_save(const char *path, const lsnn_config *cfg, const lsnn_net *net,
                                 const lsnn_optim *opt, long iteration);

/* The tensors of net that a checkpoint holds, in file order (before the optimizer moments),
 * pointing into the network: fills at most cap entries of t and returns how many there are
 * (t NULL and cap 0 count them). */
int lsnn_checkpoint_net_tensors(const lsnn_net *net, lsnn_st_tensor *t, int cap);

/* The same for the non-spiking baselines (tensors w_x, w_h, b, w_out, b_out). */
lsnn_status lsnn_checkpoint_save_ann(const char *path, const lsnn_config *cfg, const lsnn_ann *ann,
                                     const lsnn_optim *opt, long iteration);
lsnn_status lsnn_checkpoint_load_ann(const char *path, lsnn_ann *ann, lsnn_optim *opt,
                                     long *iteration);

/* Reads only the config stored in a checkpoint (defaults first, then the stored JSON). */
lsnn_status lsnn_checkpoint_read_config(const char *path, lsnn_config *cfg);

/* Loads tensors into a network built with the same shapes (and the optimizer moments into opt
 * when opt is non-NULL). Every tensor's dtype and size is checked first; on error nothing useful
 * can be assumed about net and the caller should discard it. Masks and input signs are read when
 * the network (built from the config) has them, and must then be present; "neuron.sign", when
 * present, must match the network's; every weight must respect its mask and its source's sign. */
lsnn_status lsnn_checkpoint_load(const char *path, lsnn_net *net, lsnn_optim *opt,
                                 long *iteration);

#endif
