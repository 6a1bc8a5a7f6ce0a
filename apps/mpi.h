// MPI for the ulrseg program (apps/mpi.cpp): one MpiSession for the life of main().
#pragma once

namespace ulr::cli {

// Under mpirun (and in a build with MPI): MPI_Init, the MPI collectives installed for the
// trainer, MPI_Finalize at the end. Otherwise nothing: one process.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool active_ = false;
};

bool built_with_mpi();

}  // namespace ulr::cli
