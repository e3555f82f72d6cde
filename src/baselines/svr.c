#include "baselines/svr.h"

#include <svm.h>

static void svm_silent(const char *s)
{
    (void)s;
}

void prle__svr_global_init(void)
{
    svm_set_print_string_function(svm_silent);
}
