/* End-to-end toolchain check: MPI, a BLACS grid with a PBLAS product, and a collective
 * parallel-HDF5 write read back — the three libraries hopscan stands on, linked as it links
 * them. Run with 2 ranks. */
#include "hopscan/scalapack.h"
#include "testutil.h"

#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  /* BLACS/PBLAS: C = A * A^T for A[i][k] = i + k on a size x 1 grid; check every local entry
   * against the closed form. */
  int ctxt = Csys2blacs_handle(MPI_COMM_WORLD), nprow, npcol, myrow, mycol;
  Cblacs_gridinit(&ctxt, "R", size, 1);
  Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
  T_EQ_I(nprow, size);
  const int n = 23, k = 5, nb = 4, zero = 0, one = 1;
  int mloc = numroc_(&n, &nb, &myrow, &zero, &nprow), lld = mloc > 1 ? mloc : 1, info;
  int descA[9], descC[9];
  descinit_(descA, &n, &k, &nb, &k, &zero, &zero, &ctxt, &lld, &info);
  T_EQ_I(info, 0);
  descinit_(descC, &n, &n, &nb, &nb, &zero, &zero, &ctxt, &lld, &info);
  T_EQ_I(info, 0);
  double *A = calloc((size_t)lld * k, sizeof(double)), *C = calloc((size_t)lld * n, sizeof(double));
  int *grow = malloc(sizeof(int) * (size_t)lld);
  for (int r = 0, blk = myrow; blk * nb < n; blk += nprow)
    for (int i = blk * nb; i < (blk + 1) * nb && i < n; i++, r++)
      grow[r] = i;
  for (int r = 0; r < mloc; r++)
    for (int c = 0; c < k; c++)
      A[r + c * lld] = grow[r] + c;
  const double alpha = 1.0, beta = 0.0;
  pdgemm_("N", "T", &n, &n, &k, &alpha, A, &one, &one, descA, A, &one, &one, descA, &beta, C, &one,
          &one, descC);
  long bad = 0;
  for (int r = 0; r < mloc; r++)
    for (int j = 0; j < n; j++) {
      double want = 0;
      for (int c = 0; c < k; c++)
        want += (double)(grow[r] + c) * (j + c);
      bad += C[r + j * lld] != want;
    }
  T_EQ_I(bad, 0);
  Cblacs_gridexit(ctxt);

  /* Parallel HDF5: every rank writes its row of a [size, 8] dataset collectively. */
  char path[256];
  snprintf(path, sizeof path, "toolchain-%d.h5", (int)getppid());
  MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  T_CHECK(f >= 0);
  hsize_t dims[2] = {(hsize_t)size, 8}, start[2] = {(hsize_t)rank, 0}, count[2] = {1, 8};
  hid_t space = H5Screate_simple(2, dims, NULL);
  hid_t dset = H5Dcreate2(f, "/x", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t mem = H5Screate_simple(2, count, NULL);
  int row[8];
  for (int i = 0; i < 8; i++)
    row[i] = 100 * rank + i;
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  T_CHECK(H5Dwrite(dset, H5T_NATIVE_INT, mem, space, dxpl, row) >= 0);
  uint32_t local_cause = 0, global_cause = 0;
  H5Pget_mpio_no_collective_cause(dxpl, &local_cause, &global_cause);
  T_EQ_I(global_cause, 0); /* the write really was collective */
  H5Pclose(dxpl);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(dset);
  H5Fclose(f);
  H5Pclose(fapl);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    hid_t rf = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t rd = H5Dopen2(rf, "/x", H5P_DEFAULT);
    int *all = malloc(sizeof(int) * 8 * (size_t)size);
    T_CHECK(H5Dread(rd, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0);
    for (int r = 0; r < size; r++)
      for (int i = 0; i < 8; i++)
        T_EQ_I(all[r * 8 + i], 100 * r + i);
    free(all);
    H5Dclose(rd);
    H5Fclose(rf);
    remove(path);
  }
  free(A);
  free(C);
  free(grow);
  int rc = test_finish_mpi("test_toolchain", MPI_COMM_WORLD);
  MPI_Finalize();
  return rc;
}
