#include "models/checkpoint/safetensors.h"

#include "models/checkpoint/atomic_file.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

// The format is little-endian and we copy bytes straight into tensors.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace ebm {

namespace {

struct DTypeEntry {
  const char* name;
  torch::ScalarType type;
  std::size_t size;
};

const DTypeEntry kDTypes[] = {
    {"F64", torch::kFloat64, 8}, {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},       {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

// A dimension larger than this is corruption: 2^40 elements would be terabytes for any dtype.
constexpr std::int64_t kMaxDim = std::int64_t{1} << 40;
constexpr std::size_t kMaxRank = 32;

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw SafetensorsError("invalid safetensors file '" + source + "': " + what);
}

std::string range_text(const TensorInfo& t) {
  return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + ")";
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t checked_uint(const nlohmann::json& j, const std::string& source, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  bad(source, what + " must be a non-negative integer, got " + j.dump());
}

TensorInfo parse_entry(const std::string& name, const nlohmann::json& e, std::uint64_t data_size,
                       const std::string& source) {
  const std::string where = "tensor '" + name + "'";
  if (name.empty()) bad(source, "a tensor has an empty name");
  if (!e.is_object()) bad(source, where + ": entry must be an object, got " + e.dump());
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!e.contains(key)) bad(source, where + ": missing \"" + key + "\"");
  TensorInfo t;
  t.name = name;
  if (!e["dtype"].is_string()) bad(source, where + ": dtype must be a string");
  t.dtype = e["dtype"].get<std::string>();
  std::size_t elem = 0;
  try {
    elem = safetensors_dtype_size(t.dtype);
  } catch (const SafetensorsError& err) {
    bad(source, where + ": " + err.what());
  }
  const auto& shape = e["shape"];
  if (!shape.is_array()) bad(source, where + ": shape must be an array");
  if (shape.size() > kMaxRank) bad(source, where + ": rank " + std::to_string(shape.size()) + " is absurd");
  std::uint64_t numel = 1;
  for (const auto& d : shape) {
    const std::uint64_t v = checked_uint(d, source, where + ": shape dimension");
    if (v > static_cast<std::uint64_t>(kMaxDim)) bad(source, where + ": shape dimension " + std::to_string(v) + " is absurd");
    if (__builtin_mul_overflow(numel, v, &numel)) bad(source, where + ": shape " + shape.dump() + " overflows");
    t.shape.push_back(static_cast<std::int64_t>(v));
  }
  const auto& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2) bad(source, where + ": data_offsets must be [begin, end]");
  t.begin = checked_uint(off[0], source, where + ": data_offsets begin");
  t.end = checked_uint(off[1], source, where + ": data_offsets end");
  if (t.begin > t.end) bad(source, where + ": data_offsets " + range_text(t) + " has begin after end");
  if (t.end > data_size)
    bad(source, where + ": data_offsets " + range_text(t) + " run past the end of the data section (" +
                    std::to_string(data_size) + " bytes; the file is truncated or the header is wrong)");
  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<std::uint64_t>(elem), &nbytes))
    bad(source, where + ": shape " + shape.dump() + " overflows");
  if (nbytes != t.end - t.begin)
    bad(source, where + ": shape " + shape.dump() + " of " + t.dtype + " needs " + std::to_string(nbytes) +
                    " bytes but data_offsets " + range_text(t) + " hold " + std::to_string(t.end - t.begin));
  return t;
}

// Parses and validates a header against the size of the data section that follows it.
SafetensorsHeader parse_header(const std::string& json_text, std::uint64_t data_size, const std::string& source) {
  // Duplicate names would silently shadow each other in a JSON object; reject them.
  std::set<std::string> seen;
  std::string duplicate;
  nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    if (depth == 1 && ev == nlohmann::json::parse_event_t::key && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second && duplicate.empty()) duplicate = parsed.get<std::string>();
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text, cb);
  } catch (const nlohmann::json::exception& e) {
    bad(source, std::string("header is not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) bad(source, "tensor name '" + duplicate + "' appears twice in the header");
  if (!j.is_object()) bad(source, "header must be a JSON object");

  SafetensorsHeader h;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) bad(source, "__metadata__ must be an object of strings");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) bad(source, "__metadata__ value of '" + m.key() + "' must be a string, got " + m->dump());
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(it.key(), *it, data_size, source));
  }
  // The data section must be exactly the tensors back to back: no overlap (two tensors sharing
  // bytes), no gaps, no trailing garbage. This is what the reference implementation enforces.
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t pos = 0;
  const TensorInfo* prev = nullptr;
  for (const auto& t : h.tensors) {
    if (t.begin < pos)
      bad(source, "tensor '" + t.name + "' " + range_text(t) + " overlaps tensor '" + prev->name + "' " + range_text(*prev));
    if (t.begin > pos)
      bad(source, "gap of " + std::to_string(t.begin - pos) + " bytes before tensor '" + t.name + "' " + range_text(t));
    pos = t.end;
    prev = &t;
  }
  if (pos != data_size)
    bad(source, "data section has " + std::to_string(data_size) + " bytes but the tensors cover " + std::to_string(pos) +
                    " (trailing data or a wrong header)");
  return h;
}

void check_prefix(std::uint64_t n, std::uint64_t file_size, const std::string& source) {
  if (n > kMaxSafetensorsHeader)
    bad(source, "header length " + std::to_string(n) + " exceeds the " + std::to_string(kMaxSafetensorsHeader) +
                    "-byte limit (corrupt file, or not a safetensors file)");
  if (n < 2) bad(source, "header length " + std::to_string(n) + " is too small to hold a JSON object");
  if (8 + n > file_size)
    bad(source, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(file_size) +
                    " bytes; truncated?)");
}

void check_bool_bytes(const torch::Tensor& t, const std::string& name, const std::string& source) {
  const auto* p = static_cast<const unsigned char*>(t.data_ptr());
  const auto n = static_cast<std::size_t>(t.numel());
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] > 1) bad(source, "BOOL tensor '" + name + "' holds byte value " + std::to_string(p[i]) + " (only 0 and 1 are valid)");
}

torch::Tensor empty_for(const TensorInfo& t) {
  return torch::empty(t.shape, torch::TensorOptions().dtype(safetensors_dtype(t.dtype)));
}

std::uint64_t file_size_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw FileError("cannot read '" + path + "': it is a directory, not a file");
  return static_cast<std::uint64_t>(st.st_size);
}

SafetensorsHeader read_header_stream(std::ifstream& in, std::uint64_t size, const std::string& path) {
  if (size < 8) bad(path, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  unsigned char prefix[8];
  if (!in.read(reinterpret_cast<char*>(prefix), 8)) throw FileError("cannot read '" + path + "': read error");
  const std::uint64_t n = read_u64_le(prefix);
  check_prefix(n, size, path);
  std::string text(n, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(n))) throw FileError("cannot read '" + path + "': read error");
  SafetensorsHeader h = parse_header(text, size - 8 - n, path);
  h.data_start = 8 + n;
  return h;
}

}  // namespace

std::string safetensors_dtype_name(torch::ScalarType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.name;
  throw SafetensorsError(std::string("dtype ") + c10::toString(t) +
                         " cannot be stored in safetensors here (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
}

torch::ScalarType safetensors_dtype(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return d.type;
  throw SafetensorsError("unsupported dtype '" + name + "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
}

std::size_t safetensors_dtype_size(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return d.size;
  throw SafetensorsError("unsupported dtype '" + name + "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
}

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
  const std::uint64_t size = file_size_of(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  return read_header_stream(in, size, path);
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::uint64_t size = file_size_of(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  SafetensorsHeader h = read_header_stream(in, size, path);
  // The header has been checked against the file size, so these allocations are bounded by it.
  SafetensorsFile f;
  f.metadata = std::move(h.metadata);
  for (const auto& t : h.tensors) {
    torch::Tensor x = empty_for(t);
    in.seekg(static_cast<std::streamoff>(h.data_start + t.begin));
    if (t.end > t.begin && !in.read(static_cast<char*>(x.data_ptr()), static_cast<std::streamsize>(t.end - t.begin)))
      throw FileError("cannot read '" + path + "': read error in tensor '" + t.name + "' (file changed while reading?)");
    if (t.dtype == "BOOL") check_bool_bytes(x, t.name, path);
    f.tensors.emplace(t.name, std::move(x));
  }
  return f;
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source) {
  const std::uint64_t size = bytes.size();
  if (size < 8) bad(source, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  const std::uint64_t n = read_u64_le(reinterpret_cast<const unsigned char*>(bytes.data()));
  check_prefix(n, size, source);
  SafetensorsHeader h = parse_header(bytes.substr(8, n), size - 8 - n, source);
  SafetensorsFile f;
  f.metadata = std::move(h.metadata);
  for (const auto& t : h.tensors) {
    torch::Tensor x = empty_for(t);
    if (t.end > t.begin) std::memcpy(x.data_ptr(), bytes.data() + 8 + n + t.begin, t.end - t.begin);
    if (t.dtype == "BOOL") check_bool_bytes(x, t.name, source);
    f.tensors.emplace(t.name, std::move(x));
  }
  return f;
}

namespace {

struct Prepared {
  std::string header;                 // length prefix + padded JSON
  std::vector<torch::Tensor> data;    // contiguous CPU tensors in data order
};

Prepared prepare(const TensorMap& tensors, const Metadata& metadata) {
  nlohmann::json j = nlohmann::json::object();
  if (!metadata.empty()) {
    nlohmann::json m = nlohmann::json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    j["__metadata__"] = m;
  }
  Prepared p;
  std::uint64_t pos = 0;
  for (const auto& [name, tensor] : tensors) {  // std::map: data in name order, like the header
    if (name.empty()) throw SafetensorsError("cannot save a tensor with an empty name");
    if (name == "__metadata__") throw SafetensorsError("'__metadata__' is reserved and cannot name a tensor");
    if (!tensor.defined()) throw SafetensorsError("cannot save tensor '" + name + "': it is undefined");
    if (tensor.layout() != torch::kStrided || tensor.is_quantized())
      throw SafetensorsError("cannot save tensor '" + name + "': only dense tensors can be stored");
    std::string dtype;
    try {
      dtype = safetensors_dtype_name(tensor.scalar_type());
    } catch (const SafetensorsError& e) {
      throw SafetensorsError("cannot save tensor '" + name + "': " + e.what());
    }
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const std::uint64_t nbytes = static_cast<std::uint64_t>(t.numel()) * t.element_size();
    j[name] = {{"dtype", dtype}, {"shape", t.sizes().vec()}, {"data_offsets", {pos, pos + nbytes}}};
    pos += nbytes;
    p.data.push_back(std::move(t));
  }
  std::string text = j.dump();
  // Pad with spaces so the data section starts 8-byte aligned (readers may mmap and cast).
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  p.header.resize(8);
  for (int i = 0; i < 8; ++i) p.header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  p.header += text;
  return p;
}

}  // namespace

void write_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  Prepared p = prepare(tensors, metadata);  // all validation before the file is touched
  AtomicFile f(path);
  f.write(p.header);
  for (const auto& t : p.data) f.write(t.data_ptr(), static_cast<std::size_t>(t.numel()) * t.element_size());
  f.commit();
}

std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata) {
  Prepared p = prepare(tensors, metadata);
  std::string out = std::move(p.header);
  for (const auto& t : p.data)
    out.append(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * t.element_size());
  return out;
}

bool looks_like_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char prefix[9];
  if (!in.read(reinterpret_cast<char*>(prefix), 9)) return false;
  const std::uint64_t n = read_u64_le(prefix);
  return n >= 2 && n <= kMaxSafetensorsHeader && prefix[8] == '{';
}

}  // namespace ebm
