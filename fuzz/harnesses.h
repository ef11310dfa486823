// The fuzz harness bodies: one function per parser of outside input. Each feeds `data` to the
// parser the way the product does and returns normally when the parser accepts it or rejects it
// with its documented error type. Anything else — a crash, a sanitizer report, an undocumented
// exception escaping, a broken round-trip invariant (std::abort) — is a bug.
//
// They are plain functions (no libFuzzer types, no Torch in this header) so that the same code runs
// under libFuzzer (fuzz_main.cpp, clang, ASan+UBSan) and under GoogleTest, which replays the
// committed corpus and every crash ever found (tests/reliability/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ebm::fuzz {

using Harness = void (*)(const std::uint8_t* data, std::size_t size);

void safetensors_input(const std::uint8_t* data, std::size_t size);  // parse_safetensors + round trip
void torch_pt_input(const std::uint8_t* data, std::size_t size);     // read_torch_state_dict (.pt zip)
void tf_bundle_input(const std::uint8_t* data, std::size_t size);    // BundleReader: index + data shard
void png_image_input(const std::uint8_t* data, std::size_t size);    // load_png
void recipe_json_input(const std::uint8_t* data, std::size_t size);  // recipe_from_string + round trip
void png_recipe_input(const std::uint8_t* data, std::size_t size);   // read_png_recipe + round trip

struct HarnessInfo {
  const char* name;  // also the directory name under fuzz/corpus/ and fuzz/regressions/
  Harness fn;
};
// Every harness, in the order CI runs them.
const std::vector<HarnessInfo>& all_harnesses();

}  // namespace ebm::fuzz
