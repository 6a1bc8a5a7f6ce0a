// The libFuzzer entry point of one target of targets.h, chosen when compiling with
// -DULRSEG_FUZZ_TARGET=fuzz_NAME: CMakeLists.txt builds fuzz_NAME for every tests/fuzz/corpus/NAME.
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ulr::fuzz::ULRSEG_FUZZ_TARGET(data, size);
  return 0;
}
