/* PRLE umbrella header: includes every public header. */
#ifndef PRLE_PRLE_H
#define PRLE_PRLE_H

#include "prle/analysis.h"
#include "prle/baselines.h"
#include "prle/common.h"
#include "prle/config.h"
#include "prle/conformal.h"
#include "prle/dataset.h"
#include "prle/embed.h"
#include "prle/encoder.h"
#include "prle/kernel.h"
#include "prle/matrix.h"
#include "prle/metrics.h"
#include "prle/model.h"
#include "prle/npy.h"
#include "prle/predictor.h"
#include "prle/prototypes.h"
#include "prle/report.h"
#include "prle/rng.h"
#include "prle/run.h"
#include "prle/router.h"
#include "prle/safetensors.h"
#include "prle/table.h"
#include "prle/tsne.h"
#include "prle/vectors.h"

#endif
