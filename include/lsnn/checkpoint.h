/* lsnn/checkpoint.h - models and training state as safetensors files.
 *
 * A checkpoint holds every tensor of the network (weights, delays, masks, neuron parameters), the
 * optimizer moments, and in "__metadata__": "format" ("lsnn-1"), "config" (the full config as
 * JSON), "iteration" and "optim_step". It loads in NumPy/PyTorch with the safetensors package.
 * Files are written atomically (temp file + fsync + rename). */
#ifndef LSNN_CHECKPOINT_H
#define LSNN_CHECKPOINT_H

#include "lsnn/ann.h"
#include "lsnn/config.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"

/* Saves the network, optimizer state (opt may be NULL) and iteration count. */
lsnn_status lsnn_checkpoint_save(const char *path, const lsnn_config *cfg, const lsnn_net *net,
                                 const lsnn_optim *opt, long iteration);

/* The same for the non-spiking baselines (tensors w_x, w_h, b, w_out, b_out). */
lsnn_status lsnn_checkpoint_save_ann(const char *path, const lsnn_config *cfg, const lsnn_ann *ann,
                                     const lsnn_optim *opt, long iteration);
lsnn_status lsnn_checkpoint_load_ann(const char *path, lsnn_ann *ann, lsnn_optim *opt,
                                     long *iteration);

/* Reads only the config stored in a checkpoint (defaults first, then the stored JSON). */
lsnn_status lsnn_checkpoint_read_config(const char *path, lsnn_config *cfg);

/* Loads tensors into a network built with the same shapes (and the optimizer moments into opt
 * when opt is non-NULL). Every tensor's dtype and size is checked first; on error nothing useful
 * can be assumed about net and the caller should discard it. */
lsnn_status lsnn_checkpoint_load(const char *path, lsnn_net *net, lsnn_optim *opt,
                                 long *iteration);

#endif
