/* The caller's text kept with a predictor and in its file (prle_predictor_set_user_text):
 * PRLERegressor keeps its constructor arguments and feature names there, so that
 * PRLERegressor.load gives back the estimator that was saved. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/predictor_int.h"

int prle_predictor_set_user_text(prle_predictor *p, const char *text)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    char *copy = NULL;
    if (text && *text && !(copy = strdup(text)))
        return prle__error_nomem("predictor text");
    free(p->user_text);
    p->user_text = copy;
    return 0;
}

const char *prle_predictor_user_text(const prle_predictor *p)
{
    return p ? p->user_text : NULL;
}
