// A minimal reader of the protobuf wire format, enough to decode TensorFlow's small checkpoint
// messages (BundleHeaderProto, BundleEntryProto) without generated code or the .proto files.
// Every read is bounds-checked; malformed input throws ProtoError, never reads past the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ebm::proto {

struct ProtoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

// One decoded field. Only the member matching `type` is meaningful.
struct Field {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t varint = 0;         // Varint (int32/int64/enum/bool are all varints on the wire)
  uint32_t fixed32 = 0;        // Fixed32
  uint64_t fixed64 = 0;        // Fixed64
  std::string_view bytes;      // Bytes: strings and embedded messages (points into the buffer)

  // Varint as a signed 64-bit value (int64/int32 negative numbers are 10-byte two's complement).
  int64_t as_int64() const { return static_cast<int64_t>(varint); }
};

// Walks the fields of one message in wire order. Unknown fields are returned like known ones, so
// callers just ignore numbers they do not use; the reader has already skipped their payload.
class WireReader {
 public:
  explicit WireReader(std::string_view message) : data_(message) {}

  bool done() const { return pos_ >= data_.size(); }
  // Decodes the next field. Throws ProtoError (with the byte offset) on truncation, on a varint
  // longer than 10 bytes, on field number 0, or on the deprecated group wire types.
  Field next();

 private:
  uint64_t read_varint();
  std::string_view take(size_t n, const char* what);

  std::string_view data_;
  size_t pos_ = 0;
};

// Decodes one varint from the front of `in` and consumes it; throws ProtoError when truncated.
uint64_t decode_varint(std::string_view& in);

}  // namespace ebm::proto
