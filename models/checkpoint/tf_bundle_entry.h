// The two messages of a TensorFlow V2 checkpoint index (tensorflow/core/protobuf/tensor_bundle.proto),
// decoded by hand from the wire format, plus TF's DataType numbering.
//
//   BundleHeaderProto { int32 num_shards = 1; Endianness endianness = 2; VersionDef version = 3; }
//   BundleEntryProto  { DataType dtype = 1; TensorShapeProto shape = 2; int32 shard_id = 3;
//                       int64 offset = 4; int64 size = 5; fixed32 crc32c = 6;
//                       repeated TensorSliceProto slices = 7; }
//   TensorShapeProto  { repeated Dim dim = 2 { int64 size = 1; string name = 2; }; bool unknown_rank = 3; }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebm::tf {

// types.proto numbering. *_REF variants (+100) never appear in a bundle, which stores values.
enum class DataType : int {
  Invalid = 0, Float = 1, Double = 2, Int32 = 3, UInt8 = 4, Int16 = 5, Int8 = 6, String = 7,
  Complex64 = 8, Int64 = 9, Bool = 10, QInt8 = 11, QUInt8 = 12, QInt32 = 13, BFloat16 = 14,
  QInt16 = 15, QUInt16 = 16, UInt16 = 17, Complex128 = 18, Half = 19, Resource = 20, Variant = 21,
  UInt32 = 22, UInt64 = 23,
};

// "float32", "bfloat16", "string" …; "dtype(N)" for numbers TF does not define.
std::string dtype_name(int dtype);
// Bytes per element of the dtypes whose tensors are stored as raw arrays; nullopt for strings,
// resources, variants and unknown numbers (their byte layout is not a plain array).
std::optional<int> dtype_element_size(int dtype);

struct BundleHeader {
  int32_t num_shards = 0;
  int endianness = 0;  // 0 little, 1 big
  int32_t producer = 0, min_consumer = 0;
};

struct BundleEntry {
  std::string name;
  int dtype = 0;
  std::vector<int64_t> shape;  // empty = scalar
  bool unknown_rank = false;
  int32_t shard_id = 0;
  int64_t offset = 0;
  int64_t size = 0;
  uint32_t masked_crc32c = 0;
  bool has_crc32c = false;
  int num_slices = 0;  // > 0: a partitioned variable whose pieces are stored under other keys

  int64_t num_elements() const;  // product of dims (1 for a scalar); valid after validation
};

// Decode one message; throw proto::ProtoError on malformed wire data, std::runtime_error when a
// field has an impossible value (negative dim, shard id out of int32 range …).
BundleHeader parse_bundle_header(std::string_view bytes);
BundleEntry parse_bundle_entry(std::string name, std::string_view bytes);

// Limits checked before anything is allocated for an entry.
constexpr int kMaxRank = 254;                      // TensorShape's own limit
constexpr int64_t kMaxElements = int64_t{1} << 40;  // ~1e12 elements: far past any real model
constexpr int32_t kMaxShards = 1 << 16;

// Why `e` cannot describe a readable tensor in a bundle of `num_shards` shards (negative or absurd
// dims, element count overflow, byte size that disagrees with shape x dtype, shard id out of range,
// negative offset), or "" when it is consistent. Dtypes without a raw layout are not judged here.
std::string check_entry(const BundleEntry& e, int32_t num_shards);

}  // namespace ebm::tf
