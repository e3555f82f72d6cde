/* prle embed's ranks under mpirun (cli/mpi.c). */
#ifndef PRLE_CLI_MPI_H
#define PRLE_CLI_MPI_H

#include <stdbool.h>
#include <stdio.h>

#include "prle/prle.h"

/**
 * Starts MPI when Open MPI's mpirun launched this process and fills `out` (rank, size and the
 * collective functions); returns false, with `out` a one-rank comm, otherwise.
 */
bool cli_mpi_start(prle_embed_comm *out);

/** MPI_Finalize, if cli_mpi_start started MPI. */
void cli_mpi_finish(void);

#endif
