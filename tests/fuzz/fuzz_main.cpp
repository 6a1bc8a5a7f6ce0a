// The libFuzzer entry point of one target of targets.h, chosen when compiling with
// -DULRSEG_FUZZ_TARGET=fuzz_NAME: CMakeLists.txt builds fuzz_NAME for every tests/fuzz/corpus/NAME.
#include "engine/parallel.h"
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ulr::set_num_threads(1);  // one fuzzer, one core: several run side by side (make fuzz FUZZ_JOBS=N)
  ulr::fuzz::ULRSEG_FUZZ_TARGET(data, size);
  return 0;
}
