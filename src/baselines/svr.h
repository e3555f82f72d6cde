/* SVR through libsvm: src/baselines/svr.c is the only file that includes svm.h. */
#ifndef PRLE_BASELINES_SVR_H
#define PRLE_BASELINES_SVR_H

/** Silences libsvm's process-wide printer (called by prle_init only). */
void prle__svr_global_init(void);

#endif
