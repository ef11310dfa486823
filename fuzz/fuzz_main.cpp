// The libFuzzer entry point of one harness; EBM_FUZZ_HARNESS names the body (see harnesses.h).
// One executable per harness, so each has its own corpus, coverage and crash artifacts.
#include "fuzz/harnesses.h"

#ifndef EBM_FUZZ_HARNESS
#error "define EBM_FUZZ_HARNESS to a harness function of fuzz/harnesses.h"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ebm::fuzz::EBM_FUZZ_HARNESS(data, size);
  return 0;
}
