// The processes of one training (data parallel): how many there are, which one this is, and the
// one collective the trainer needs. The library holds no MPI: a program that runs under mpirun
// installs its own implementation (the ulrseg program's is apps/mpi.cpp); without one, the
// process is rank 0 of 1 and every call is local.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ulr {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank's `bytes` bytes, gathered on every rank in rank order into `out` (size() * bytes).
  // Every rank must call it, with the same `bytes`. A failure ends the whole job.
  virtual void allgather(const void* in, size_t bytes, void* out) = 0;
  // Block j of `in` (each `bytes` long) goes to rank j; `out` receives every rank's block for
  // this rank, in rank order (size() * bytes both). Every rank calls it with the same `bytes`.
  virtual void alltoall(const void* in, size_t bytes, void* out) = 0;
};

// The collectives in use: the ones installed, or the single-process ones.
Collectives& collectives();
// Installs `c` (not owned; null puts the single-process ones back).
void set_collectives(Collectives* c);

// Traffic of the collectives since the process began (what `allgather` received, and the time
// spent in it), for the trainer's report.
struct CollectiveTraffic {
  int64_t calls = 0, bytes = 0;
  double seconds = 0;
};
CollectiveTraffic collective_traffic();

// Typed helpers over allgather. Every rank's `values`, concatenated in rank order.
std::vector<double> gather_all(const std::vector<double>& values);
std::vector<float> gather_all(const std::vector<float>& values);
// Whether `flag` is true on any rank.
bool any_rank(bool flag);

// The sum of K = size() * parts_per_rank vectors of `length` floats, added in part order (part 0,
// then + part 1, ...), on every rank. This rank holds parts [rank * parts_per_rank, (rank + 1) *
// parts_per_rank), one after another in `mine`. Each rank sums one shard of the elements
// (exchanged with alltoall) and the shards are then gathered: about 2 x length floats received
// per rank for any number of ranks, and the same sums, bit for bit, as one process adding all
// K parts in order.
std::vector<float> sum_in_part_order(const std::vector<float>& mine, int parts_per_rank, size_t length);

}  // namespace ulr
