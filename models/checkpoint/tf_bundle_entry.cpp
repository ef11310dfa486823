#include "models/checkpoint/tf_bundle_entry.h"

#include "models/checkpoint/proto_wire.h"

#include <limits>
#include <stdexcept>

namespace ebm::tf {

std::string dtype_name(int dtype) {
  switch (static_cast<DataType>(dtype)) {
    case DataType::Float: return "float32";
    case DataType::Double: return "float64";
    case DataType::Int32: return "int32";
    case DataType::UInt8: return "uint8";
    case DataType::Int16: return "int16";
    case DataType::Int8: return "int8";
    case DataType::String: return "string";
    case DataType::Complex64: return "complex64";
    case DataType::Int64: return "int64";
    case DataType::Bool: return "bool";
    case DataType::QInt8: return "qint8";
    case DataType::QUInt8: return "quint8";
    case DataType::QInt32: return "qint32";
    case DataType::BFloat16: return "bfloat16";
    case DataType::QInt16: return "qint16";
    case DataType::QUInt16: return "quint16";
    case DataType::UInt16: return "uint16";
    case DataType::Complex128: return "complex128";
    case DataType::Half: return "float16";
    case DataType::Resource: return "resource";
    case DataType::Variant: return "variant";
    case DataType::UInt32: return "uint32";
    case DataType::UInt64: return "uint64";
    case DataType::Invalid: break;
  }
  return "dtype(" + std::to_string(dtype) + ")";
}

std::optional<int> dtype_element_size(int dtype) {
  switch (static_cast<DataType>(dtype)) {
    case DataType::Bool: case DataType::UInt8: case DataType::Int8: case DataType::QInt8:
    case DataType::QUInt8:
      return 1;
    case DataType::Int16: case DataType::UInt16: case DataType::QInt16: case DataType::QUInt16:
    case DataType::Half: case DataType::BFloat16:
      return 2;
    case DataType::Float: case DataType::Int32: case DataType::UInt32: case DataType::QInt32:
      return 4;
    case DataType::Double: case DataType::Int64: case DataType::UInt64: case DataType::Complex64:
      return 8;
    case DataType::Complex128:
      return 16;
    default:
      return std::nullopt;
  }
}

int64_t BundleEntry::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

int32_t to_int32(uint64_t varint, const char* field) {
  const auto v = static_cast<int64_t>(varint);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw std::runtime_error(std::string(field) + " " + std::to_string(v) + " does not fit an int32");
  return static_cast<int32_t>(v);
}

void parse_shape(std::string_view bytes, BundleEntry& e) {
  proto::WireReader r(bytes);
  while (!r.done()) {
    const proto::Field f = r.next();
    if (f.number == 2 && f.type == proto::WireType::Bytes) {
      int64_t size = 0;
      proto::WireReader dim(f.bytes);
      while (!dim.done()) {
        const proto::Field d = dim.next();
        if (d.number == 1 && d.type == proto::WireType::Varint) size = d.as_int64();
      }
      if (e.shape.size() >= static_cast<size_t>(kMaxRank))
        throw std::runtime_error("shape has more than " + std::to_string(kMaxRank) + " dimensions");
      e.shape.push_back(size);
    } else if (f.number == 3 && f.type == proto::WireType::Varint) {
      e.unknown_rank = f.varint != 0;
    }
  }
}

}  // namespace

BundleHeader parse_bundle_header(std::string_view bytes) {
  BundleHeader h;
  proto::WireReader r(bytes);
  while (!r.done()) {
    const proto::Field f = r.next();
    if (f.number == 1 && f.type == proto::WireType::Varint) {
      h.num_shards = to_int32(f.varint, "num_shards");
    } else if (f.number == 2 && f.type == proto::WireType::Varint) {
      h.endianness = to_int32(f.varint, "endianness");
    } else if (f.number == 3 && f.type == proto::WireType::Bytes) {
      proto::WireReader v(f.bytes);
      while (!v.done()) {
        const proto::Field g = v.next();
        if (g.type != proto::WireType::Varint) continue;
        if (g.number == 1) h.producer = to_int32(g.varint, "version.producer");
        if (g.number == 2) h.min_consumer = to_int32(g.varint, "version.min_consumer");
      }
    }
  }
  return h;
}

BundleEntry parse_bundle_entry(std::string name, std::string_view bytes) {
  BundleEntry e;
  e.name = std::move(name);
  proto::WireReader r(bytes);
  while (!r.done()) {
    const proto::Field f = r.next();
    switch (f.number) {
      case 1:
        if (f.type == proto::WireType::Varint) e.dtype = to_int32(f.varint, "dtype");
        break;
      case 2:
        if (f.type == proto::WireType::Bytes) parse_shape(f.bytes, e);
        break;
      case 3:
        if (f.type == proto::WireType::Varint) e.shard_id = to_int32(f.varint, "shard_id");
        break;
      case 4:
        if (f.type == proto::WireType::Varint) e.offset = f.as_int64();
        break;
      case 5:
        if (f.type == proto::WireType::Varint) e.size = f.as_int64();
        break;
      case 6:
        if (f.type == proto::WireType::Fixed32) {
          e.masked_crc32c = f.fixed32;
          e.has_crc32c = true;
        }
        break;
      case 7:
        if (f.type == proto::WireType::Bytes) ++e.num_slices;
        break;
      default:
        break;  // a newer TF may add fields; they do not change how the bytes are laid out
    }
  }
  return e;
}

std::string check_entry(const BundleEntry& e, int32_t num_shards) {
  if (e.unknown_rank) return "its shape has unknown rank";
  int64_t n = 1;
  for (size_t i = 0; i < e.shape.size(); ++i) {
    const int64_t d = e.shape[i];
    if (d < 0) return "dimension " + std::to_string(i) + " is negative (" + std::to_string(d) + ")";
    if (d > 0 && n > kMaxElements / d)
      return "its shape has more than 2^40 elements (dimension " + std::to_string(i) + " = " +
             std::to_string(d) + ")";
    n *= d;
  }
  if (e.shard_id < 0 || e.shard_id >= num_shards)
    return "shard id " + std::to_string(e.shard_id) + " is outside the header's " + std::to_string(num_shards) +
           " shard(s)";
  if (e.offset < 0) return "negative data offset " + std::to_string(e.offset);
  if (e.size < 0) return "negative byte size " + std::to_string(e.size);
  if (e.num_slices > 0) return "";  // a partitioned variable's full entry carries no bytes itself
  if (const auto es = dtype_element_size(e.dtype)) {
    const int64_t expect = n * *es;  // n <= 2^40 and es <= 16: no overflow
    if (e.size != expect)
      return "its byte size " + std::to_string(e.size) + " does not match " + std::to_string(n) + " " +
             dtype_name(e.dtype) + " elements (" + std::to_string(expect) + " bytes)";
  }
  return "";
}

}  // namespace ebm::tf
