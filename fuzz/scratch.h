// A private scratch directory for harnesses whose parser takes a path, not bytes (the .pt reader,
// the TF bundle reader, the PNG loader): the input is written to a file there and read back by the
// product code path. On /dev/shm when it exists, so the extra write costs microseconds, not a disk
// write per execution; removed when the process exits.
#pragma once

#include <string>
#include <string_view>

namespace ebm::fuzz {

// The directory (created on first use; one per process, so parallel fuzzers never collide).
const std::string& scratch_dir();
// Writes `bytes` to scratch_dir()/name (plain write: the file is ours and short-lived) and returns
// the path. Aborts if the write fails: a harness that cannot set up its input tests nothing.
std::string write_scratch(const std::string& name, std::string_view bytes);

}  // namespace ebm::fuzz
