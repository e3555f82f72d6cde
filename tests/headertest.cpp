// The public headers compile as C++17 (their extern "C" blocks are for C++ callers), warning-free
// under g++ -Wall -Wextra -Wpedantic -Werror: ctest compiles this file with -fsyntax-only.
#include <prle/prle.h>

int prle_headertest_cxx(const float *x);
int prle_headertest_cxx(const float *x)
{
    prle_matrix m = prle_matrix_view(x, 2, 3);
    return prle_matrix_row(&m, 1) == x + 3 && prle_version()[0] != '\0';
}
