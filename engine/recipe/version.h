#pragma once
namespace ebm {
// The project version, as set in the top-level CMakeLists.txt.
const char* version();
}  // namespace ebm
