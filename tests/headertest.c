/* The umbrella header compiles as strict C11 (-std=c11 -Wpedantic -Werror); so does every
 * public header alone (the generated headertest/<name>.c files). */
#include <prle/prle.h>

int main(void)
{
    return prle_version()[0] == '\0';
}
