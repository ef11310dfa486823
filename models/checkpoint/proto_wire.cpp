#include "models/checkpoint/proto_wire.h"

#include <string>

namespace ebm::proto {

namespace {
// A varint carries 7 bits per byte, so 64 bits need at most 10 bytes.
constexpr int kMaxVarintBytes = 10;
}  // namespace

uint64_t decode_varint(std::string_view& in) {
  uint64_t v = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (in.empty()) throw ProtoError("truncated varint");
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7fu) << (7 * i);
    if ((b & 0x80u) == 0) return v;
  }
  throw ProtoError("varint longer than 10 bytes");
}

uint64_t WireReader::read_varint() {
  std::string_view rest = data_.substr(pos_);
  const size_t before = rest.size();
  try {
    const uint64_t v = decode_varint(rest);
    pos_ += before - rest.size();
    return v;
  } catch (const ProtoError& e) {
    throw ProtoError(std::string(e.what()) + " at byte " + std::to_string(pos_));
  }
}

std::string_view WireReader::take(size_t n, const char* what) {
  if (n > data_.size() - pos_)
    throw ProtoError(std::string("truncated ") + what + " at byte " + std::to_string(pos_) + " (needs " +
                     std::to_string(n) + " bytes, " + std::to_string(data_.size() - pos_) + " left)");
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

Field WireReader::next() {
  const size_t start = pos_;
  const uint64_t tag = read_varint();
  Field f;
  const uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffffu)
    throw ProtoError("invalid field number " + std::to_string(number) + " at byte " + std::to_string(start));
  f.number = static_cast<uint32_t>(number);
  switch (tag & 7u) {
    case 0:
      f.type = WireType::Varint;
      f.varint = read_varint();
      break;
    case 1: {
      f.type = WireType::Fixed64;
      const std::string_view b = take(8, "fixed64");
      for (int i = 7; i >= 0; --i) f.fixed64 = (f.fixed64 << 8) | static_cast<unsigned char>(b[i]);
      break;
    }
    case 2: {
      f.type = WireType::Bytes;
      const uint64_t len = read_varint();
      if (len > data_.size()) throw ProtoError("length-delimited field longer than its message at byte " +
                                               std::to_string(start));
      f.bytes = take(static_cast<size_t>(len), "length-delimited field");
      break;
    }
    case 5: {
      f.type = WireType::Fixed32;
      const std::string_view b = take(4, "fixed32");
      for (int i = 3; i >= 0; --i) f.fixed32 = (f.fixed32 << 8) | static_cast<unsigned char>(b[i]);
      break;
    }
    default:
      // 3/4 are proto2 groups, which no TensorFlow checkpoint message uses; 6/7 do not exist.
      throw ProtoError("unsupported wire type " + std::to_string(tag & 7u) + " at byte " + std::to_string(start));
  }
  return f;
}

}  // namespace ebm::proto
