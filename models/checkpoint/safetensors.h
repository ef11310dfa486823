// safetensors: the weights format of this project (https://github.com/huggingface/safetensors).
// Layout: u64 little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
// then the raw little-endian tensor bytes, offsets relative to the end of the header. Reading
// validates the whole header against the file size before allocating anything, so a truncated or
// hostile file gives an error naming the file and the problem instead of a crash or a huge allocation.
// The API is generic (named tensors + string metadata): models, optimizer state, replay buffers and
// RNG state all use it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm {

// Any problem with a safetensors file's content (I/O problems throw FileError).
class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

// The largest header we accept; the reference implementation uses the same bound. Real headers are
// a few KiB; anything bigger is corruption or an attempt to make us allocate.
constexpr std::uint64_t kMaxSafetensorsHeader = 100ull << 20;

// dtype names of the format ↔ torch scalar types. Supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
std::string safetensors_dtype_name(torch::ScalarType t);      // throws SafetensorsError if unsupported
torch::ScalarType safetensors_dtype(const std::string& name);  // throws SafetensorsError if unknown
std::size_t safetensors_dtype_size(const std::string& name);

// One entry of a header, as described (no data).
struct TensorInfo {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte range relative to the data section
  std::int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // in data order (ascending offsets)
  Metadata metadata;
  std::uint64_t data_start = 0;     // absolute file offset of the data section (8 + N)
};

struct SafetensorsFile {
  TensorMap tensors;
  Metadata metadata;
};

// Reads and validates the header only (cheap: `ebm info` uses it for a parameter table).
SafetensorsHeader read_safetensors_header(const std::string& path);
// Reads a whole file into CPU tensors. Throws SafetensorsError / FileError naming `path`.
SafetensorsFile read_safetensors(const std::string& path);
// Parses an in-memory file; `source` names it in error messages.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source = "<memory>");

// Writes atomically (temp file + rename). Tensors may live on any device and have any layout; they
// are copied to contiguous CPU memory. Empty names, the reserved name "__metadata__" and unsupported
// dtypes throw SafetensorsError before anything is written.
void write_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata = {});
// The exact bytes write_safetensors would write (tests, hashing).
std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata = {});

// True when the file starts like a safetensors file (plausible header length and '{'); used to
// tell it apart from a PyTorch .pt zip without relying on the extension.
bool looks_like_safetensors(const std::string& path);

}  // namespace ebm
