/* lsnn/lsnn.h - the whole public API in one include: every module header of include/lsnn/.
 * Programs may include the module headers they need instead. */
#ifndef LSNN_LSNN_H
#define LSNN_LSNN_H

#include "lsnn/ann.h"
#include "lsnn/audio.h"
#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/core.h"
#include "lsnn/csv.h"
#include "lsnn/deepr.h"
#include "lsnn/encode.h"
#include "lsnn/eprop.h"
#include "lsnn/idx.h"
#include "lsnn/l2l.h"
#include "lsnn/learn.h"
#include "lsnn/linalg.h"
#include "lsnn/mfcc.h"
#include "lsnn/net_stats.h"
#include "lsnn/network.h"
#include "lsnn/neuron.h"
#include "lsnn/neuron_alif.h"
#include "lsnn/plot.h"
#include "lsnn/report.h"
#include "lsnn/run.h"
#include "lsnn/runlog.h"
#include "lsnn/safetensors.h"
#include "lsnn/sha256.h"
#include "lsnn/sim.h"
#include "lsnn/sparse.h"
#include "lsnn/status.h"
#include "lsnn/synth.h"
#include "lsnn/task.h"
#include "lsnn/timit.h"
#include "lsnn/train.h"

#endif
