// MPI for `mpirun -np N ulrseg train ...`: the Collectives of engine/distributed.h over Open MPI,
// installed when the program was started by mpirun (and built with MPI; otherwise nothing).
#include "apps/mpi.h"

#include <cstdlib>

#include "engine/distributed.h"
#include "engine/error.h"

#ifdef ULRSEG_MPI
#include <mpi.h>
#endif

namespace ulr::cli {

#ifdef ULRSEG_MPI
namespace {

class MpiCollectives : public Collectives {
 public:
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allgather(const void* in, size_t bytes, void* out) override {
    if (bytes > size_t(1) << 31) throw Error("allgather: more than 2 GiB per rank");
    // MPI_ERRORS_ARE_FATAL (the default): a failed or dead rank ends the whole job.
    MPI_Allgather(in, int(bytes), MPI_BYTE, out, int(bytes), MPI_BYTE, MPI_COMM_WORLD);
  }
  void alltoall(const void* in, size_t bytes, void* out) override {
    if (bytes > size_t(1) << 31) throw Error("alltoall: more than 2 GiB per block");
    MPI_Alltoall(in, int(bytes), MPI_BYTE, out, int(bytes), MPI_BYTE, MPI_COMM_WORLD);
  }
  void start() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

 private:
  int rank_ = 0, size_ = 1;
};

MpiCollectives g_mpi;

}  // namespace

// Launched by mpirun: Open MPI (and PMIx) set these for every rank.
static bool under_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK"); }

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!under_mpirun()) return;
  MPI_Init(argc, argv);
  g_mpi.start();
  set_collectives(&g_mpi);
  active_ = true;
}

MpiSession::~MpiSession() {
  if (!active_) return;
  set_collectives(nullptr);
  MPI_Finalize();
}

bool built_with_mpi() { return true; }
#else
MpiSession::MpiSession(int*, char***) {}
MpiSession::~MpiSession() {}
bool built_with_mpi() { return false; }
#endif

}  // namespace ulr::cli
