/* prle embed under mpirun: a prle_embed_comm on MPI_COMM_WORLD (the only file including
 * mpi.h). MPI starts only when Open MPI's launcher started this process (OMPI_COMM_WORLD_SIZE
 * in the environment), so the same binary run alone never touches MPI. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "cli_mpi.h"

static bool started;

static int mpi_status(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return 0;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fprintf(stderr, "prle: MPI %s: %s\n", what, msg);
    return PRLE_ERROR;
}

static int bcast_int(void *ud, int *value)
{
    (void)ud;
    return mpi_status(MPI_Bcast(value, 1, MPI_INT, 0, MPI_COMM_WORLD), "broadcast");
}

static int min_int(void *ud, int *value)
{
    (void)ud;
    return mpi_status(MPI_Allreduce(MPI_IN_PLACE, value, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD),
                      "allreduce");
}

static int sum_size(void *ud, size_t *value)
{
    (void)ud;
    unsigned long long v = *value;
    int rc = MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    *value = (size_t)v;
    return mpi_status(rc, "allreduce");
}

/* Rows go as one MPI type of `cols` floats, so counts stay in rows (int). */
static int gather_rows(void *ud, float *all, const float *mine, const size_t *rows, size_t cols)
{
    (void)ud;
    int size, rank, err = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (cols == 0 || cols > INT_MAX)
        return mpi_status(MPI_ERR_COUNT, "gather");
    int *counts = malloc((size_t)size * sizeof *counts),
        *displs = malloc((size_t)size * sizeof *displs);
    MPI_Datatype row;
    if (!counts || !displs) {
        free(counts), free(displs);
        return PRLE_ENOMEM;
    }
    size_t at = 0;
    for (int r = 0; r < size; r++) {
        if (rows[r] > INT_MAX || at > INT_MAX)
            err = PRLE_ERROR;
        counts[r] = (int)rows[r];
        displs[r] = (int)at;
        at += rows[r];
    }
    if (err == 0 &&
        (err = mpi_status(MPI_Type_contiguous((int)cols, MPI_FLOAT, &row), "type")) == 0) {
        MPI_Type_commit(&row);
        /* an empty share may come with a NULL buffer */
        static float none;
        err = mpi_status(MPI_Gatherv(mine ? mine : &none, counts[rank], row, all, counts, displs,
                                     row, 0, MPI_COMM_WORLD),
                         "gather");
        MPI_Type_free(&row);
    }
    free(counts), free(displs);
    return err;
}

bool cli_mpi_start(prle_embed_comm *out)
{
    *out = (prle_embed_comm){0, 1, NULL, NULL, NULL, NULL, NULL};
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n || !*n)
        return false;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return false;
    started = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &out->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &out->size);
    out->bcast_int = bcast_int;
    out->min_int = min_int;
    out->gather_rows = gather_rows;
    out->sum_size = sum_size;
    return true;
}

void cli_mpi_finish(void)
{
    if (started)
        MPI_Finalize();
    started = false;
}
