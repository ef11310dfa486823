#include "models/checkpoint/table_layout.h"

#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/proto_wire.h"

#include <snappy.h>

#include <cstdint>

namespace ebm::tf {

namespace {

// LevelDB table format constants (table/format.h): 2 handles of up to 20 bytes padded to 40, plus
// the 8-byte magic; every block is followed by a 1-byte compression type and a 4-byte masked CRC.
constexpr size_t kFooterSize = 48;
constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr size_t kBlockTrailerSize = 5;
constexpr unsigned char kNoCompression = 0, kSnappyCompression = 1;

struct Handle {
  uint64_t offset = 0, size = 0;
};

uint32_t fixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Decodes a handle from the front of `in`; false when malformed.
bool decode_handle(std::string_view& in, Handle& h) {
  try {
    h.offset = proto::decode_varint(in);
    h.size = proto::decode_varint(in);
    return true;
  } catch (const proto::ProtoError&) {
    return false;
  }
}

std::string check_handle(const Handle& h, uint64_t limit, const std::string& what) {
  if (h.offset > limit || h.size > limit - h.offset || kBlockTrailerSize > limit - h.offset - h.size)
    return what + " block [" + std::to_string(h.offset) + ", +" + std::to_string(h.size) +
           ") lies outside the file (truncated block or corrupt footer)";
  return "";
}

}  // namespace

std::string check_table_layout(std::string_view file) {
  if (file.size() < kFooterSize) return "file is too short to be an sstable (" + std::to_string(file.size()) + " bytes)";
  const char* footer = file.data() + file.size() - kFooterSize;
  const uint64_t magic = fixed32(footer + 40) | (static_cast<uint64_t>(fixed32(footer + 44)) << 32);
  if (magic != kTableMagic) return "not an sstable (bad magic number)";
  std::string_view f(footer, kFooterSize - 8);
  Handle meta, index;
  if (!decode_handle(f, meta) || !decode_handle(f, index)) return "bad block handle in the footer";
  const uint64_t body = file.size() - kFooterSize;
  if (auto p = check_handle(meta, body, "metaindex"); !p.empty()) return p;
  if (auto p = check_handle(index, body, "index"); !p.empty()) return p;

  // The index block: its CRC first (LevelDB would reject it anyway), then every handle in it.
  const char* blk = file.data() + index.offset;
  const auto n = static_cast<size_t>(index.size);
  if (crc32c::unmask(fixed32(blk + n + 1)) != crc32c::value(blk, n + 1)) return "index block checksum mismatch";
  std::string plain;
  std::string_view contents(blk, n);
  if (static_cast<unsigned char>(blk[n]) == kSnappyCompression) {
    size_t len = 0;
    if (!snappy::GetUncompressedLength(blk, n, &len) || len > (size_t{64} << 20) ||
        !snappy::Uncompress(blk, n, &plain))
      return "index block is not valid snappy data";
    contents = plain;
  } else if (static_cast<unsigned char>(blk[n]) != kNoCompression) {
    return "index block has unknown compression type " + std::to_string(static_cast<unsigned char>(blk[n]));
  }
  // Block layout: entries, then uint32 restart offsets, then their count.
  if (contents.size() < 4) return "index block is too short";
  const uint32_t restarts = fixed32(contents.data() + contents.size() - 4);
  if (restarts > (contents.size() - 4) / 4) return "index block has a bad restart count";
  std::string_view entries = contents.substr(0, contents.size() - 4 - 4 * size_t{restarts});
  try {
    while (!entries.empty()) {
      const uint64_t shared = proto::decode_varint(entries);
      const uint64_t unshared = proto::decode_varint(entries);
      const uint64_t value_len = proto::decode_varint(entries);
      (void)shared;
      if (unshared > entries.size() || value_len > entries.size() - unshared) return "index block entry overruns the block";
      std::string_view value = entries.substr(unshared, value_len);
      entries.remove_prefix(unshared + value_len);
      Handle data;
      if (!decode_handle(value, data)) return "bad data block handle in the index block";
      if (auto p = check_handle(data, body, "data"); !p.empty()) return p;
    }
  } catch (const proto::ProtoError& e) {
    return std::string("index block entry is malformed (") + e.what() + ")";
  }
  return "";
}

}  // namespace ebm::tf
