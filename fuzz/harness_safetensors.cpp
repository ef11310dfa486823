// safetensors: the in-memory parser (the file reader shares its header validation and differs only
// in where the bytes come from). Invariant checked on every accepted input: writing the result back
// and parsing that again gives the same tensors, bit for bit, and the same metadata.
#include "fuzz/harnesses.h"
#include "models/checkpoint/safetensors.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ebm::fuzz {

namespace {

bool same_bytes(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const auto n = static_cast<std::size_t>(a.numel()) * a.element_size();
  return n == 0 || std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), n) == 0;
}

[[noreturn]] void invariant_broken(const std::string& what) {
  std::fprintf(stderr, "safetensors round trip broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace

void safetensors_input(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  SafetensorsFile f;
  try {
    f = parse_safetensors(bytes, "fuzz");
  } catch (const SafetensorsError&) {
    return;  // a clean rejection
  }
  const SafetensorsFile again = parse_safetensors(serialize_safetensors(f.tensors, f.metadata), "round trip");
  if (again.metadata != f.metadata) invariant_broken("metadata differs");
  if (again.tensors.size() != f.tensors.size()) invariant_broken("tensor count differs");
  for (const auto& [name, t] : f.tensors) {
    auto it = again.tensors.find(name);
    if (it == again.tensors.end()) invariant_broken("tensor '" + name + "' lost");
    if (!same_bytes(t, it->second)) invariant_broken("tensor '" + name + "' changed");
  }
}

}  // namespace ebm::fuzz
