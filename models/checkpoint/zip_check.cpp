#include "models/checkpoint/zip_check.h"

#include <algorithm>

namespace ebm {

namespace {

// Record signatures and fixed sizes (PKWARE APPNOTE 6.3, sections 4.3.7–4.3.16).
constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kZip64EndSize = 56, kZip64LocatorSize = 20;
constexpr std::size_t kMaxComment = 0xffff;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint16_t kStored = 0, kDeflated = 8;
constexpr std::uint16_t kFlagEncrypted = 1;

// Little-endian reads; callers have checked that [pos, pos + n) lies inside `b`.
std::uint64_t le(std::string_view b, std::uint64_t pos, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[pos + i]);
  return v;
}

bool fits(std::string_view b, std::uint64_t pos, std::uint64_t n) { return pos <= b.size() && n <= b.size() - pos; }

struct Directory {
  std::uint64_t entries = 0, offset = 0, size = 0;
};

// The end of central directory record: like miniz, the signature nearest the end of the file; unlike
// miniz, its comment length must then reach exactly to the end (else it is a stray signature).
std::string find_end(std::string_view b, std::uint64_t* end_pos) {
  if (b.size() < kEndSize) return "the file is too short to be a zip archive (" + std::to_string(b.size()) + " bytes)";
  const std::uint64_t lowest = b.size() > kEndSize + kMaxComment ? b.size() - kEndSize - kMaxComment : 0;
  for (std::uint64_t p = b.size() - kEndSize + 1; p-- > lowest;) {
    if (le(b, p, 4) != kEndSig) continue;
    if (p + kEndSize + le(b, p + 20, 2) != b.size())
      return "the zip end-of-directory record does not match the file's length (truncated or damaged archive)";
    *end_pos = p;
    return "";
  }
  return "no zip end-of-directory record at the end of the file (truncated download, or not a .pt zip)";
}

std::string read_directory(std::string_view b, std::uint64_t end_pos, Directory* d) {
  if (le(b, end_pos + 4, 2) != 0 || le(b, end_pos + 6, 2) != 0)
    return "the archive spans several disks (split zip); join it into one file";
  d->entries = le(b, end_pos + 10, 2);
  d->size = le(b, end_pos + 12, 4);
  d->offset = le(b, end_pos + 16, 4);
  std::uint64_t dir_end = end_pos;  // the directory must end where the end records begin
  const bool needs64 = d->entries == 0xffff || d->size == 0xffffffff || d->offset == 0xffffffff;
  const bool has_locator = end_pos >= kZip64LocatorSize && le(b, end_pos - kZip64LocatorSize, 4) == kZip64LocatorSig;
  if (has_locator) {
    const std::uint64_t loc = end_pos - kZip64LocatorSize;
    const std::uint64_t rec = le(b, loc + 8, 8);
    if (le(b, loc + 4, 4) != 0 || le(b, loc + 16, 4) > 1) return "the zip64 locator names another disk (split zip)";
    if (!fits(b, rec, kZip64EndSize) || rec + kZip64EndSize > loc)
      return "the zip64 end record lies outside the file (truncated or damaged archive)";
    if (le(b, rec, 4) != kZip64EndSig) return "the zip64 end record has a bad signature (damaged archive)";
    if (le(b, rec + 16, 4) != 0 || le(b, rec + 20, 4) != 0) return "the archive spans several disks (split zip)";
    d->entries = le(b, rec + 32, 8);
    d->size = le(b, rec + 40, 8);
    d->offset = le(b, rec + 48, 8);
    dir_end = rec;
  } else if (needs64) {
    return "the end record points to a zip64 record that is missing (truncated or damaged archive)";
  }
  if (d->entries > kMaxZipEntries) return "the archive claims " + std::to_string(d->entries) + " entries";
  if (d->offset > dir_end || d->size != dir_end - d->offset)
    return "the central directory [" + std::to_string(d->offset) + ", +" + std::to_string(d->size) +
           ") does not end where the end record begins (" + std::to_string(dir_end) +
           "); the file is truncated, has bytes appended, or is damaged";
  if (d->entries * kCentralSize > d->size) return "the central directory is too small for its " + std::to_string(d->entries) + " entries";
  return "";
}

struct Entry {
  std::uint16_t flags = 0, method = 0;
  std::uint64_t comp = 0, uncomp = 0, local = 0;
  std::string name;
};

// Reads the entry at `pos` of the central directory ending at `dir_end`; advances `pos`.
std::string read_entry(std::string_view b, std::uint64_t& pos, std::uint64_t dir_end, Entry* e) {
  if (pos + kCentralSize > dir_end) return "the central directory ends in the middle of an entry";
  if (le(b, pos, 4) != kCentralSig) return "a central directory entry has a bad signature";
  e->flags = static_cast<std::uint16_t>(le(b, pos + 8, 2));
  e->method = static_cast<std::uint16_t>(le(b, pos + 10, 2));
  e->comp = le(b, pos + 20, 4);
  e->uncomp = le(b, pos + 24, 4);
  const std::uint64_t name_len = le(b, pos + 28, 2), extra_len = le(b, pos + 30, 2), comment_len = le(b, pos + 32, 2);
  const std::uint64_t disk = le(b, pos + 34, 2);
  e->local = le(b, pos + 42, 4);
  const std::uint64_t total = kCentralSize + name_len + extra_len + comment_len;
  if (total > dir_end - pos) return "a central directory entry runs past the directory";
  e->name.assign(b.substr(pos + kCentralSize, name_len));
  // The zip64 extra field replaces, in this order, each 32-bit field that is all ones.
  std::uint64_t x = pos + kCentralSize + name_len;
  const std::uint64_t x_end = x + extra_len;
  while (x + 4 <= x_end) {
    const std::uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
    if (len > x_end - x - 4) return "entry '" + e->name + "' has an extra field running past its header";
    if (id == kZip64ExtraId) {
      std::uint64_t f = x + 4;
      for (std::uint64_t* field : {&e->uncomp, &e->comp, &e->local}) {
        if (*field != 0xffffffff) continue;
        if (f + 8 > x + 4 + len) return "entry '" + e->name + "' has a short zip64 extra field";
        *field = le(b, f, 8);
        f += 8;
      }
    }
    x += 4 + len;
  }
  if (disk != 0 && disk != 0xffff) return "entry '" + e->name + "' lives on another disk (split zip)";
  pos += total;
  return "";
}

std::string check_entry(std::string_view b, const Entry& e, std::uint64_t data_limit, std::uint64_t* data_offset) {
  const std::string what = "entry '" + e.name + "'";
  if (e.flags & kFlagEncrypted) return what + " is encrypted";
  if (e.method == kStored) {
    if (e.comp != e.uncomp)
      return what + " is stored uncompressed but claims " + std::to_string(e.uncomp) + " bytes in " + std::to_string(e.comp);
  } else if (e.method == kDeflated) {
    if (e.uncomp / kMaxDeflateRatio > e.comp + 1)
      return what + " claims " + std::to_string(e.uncomp) + " bytes from " + std::to_string(e.comp) +
             " compressed, more than deflate can produce";
  } else {
    return what + " uses compression method " + std::to_string(e.method) + " (only stored and deflate are read)";
  }
  if (!fits(b, e.local, kLocalSize) || e.local + kLocalSize > data_limit)
    return what + " starts outside the archive's data (offset " + std::to_string(e.local) + ")";
  if (le(b, e.local, 4) != kLocalSig) return what + " has no local header where the directory says";
  const std::uint64_t data = e.local + kLocalSize + le(b, e.local + 26, 2) + le(b, e.local + 28, 2);
  if (data > data_limit || e.comp > data_limit - data)
    return what + " (" + std::to_string(e.comp) + " bytes at " + std::to_string(data) +
           ") runs past the end of the archive's data; the file is truncated or damaged";
  *data_offset = data;
  return "";
}

}  // namespace

std::string check_zip_archive(std::string_view b, std::vector<ZipEntry>* entries) {
  std::uint64_t end_pos = 0;
  if (auto p = find_end(b, &end_pos); !p.empty()) return p;
  Directory d;
  if (auto p = read_directory(b, end_pos, &d); !p.empty()) return p;
  if (entries) entries->clear();
  std::uint64_t pos = d.offset, total_uncomp = 0;
  const std::uint64_t dir_end = d.offset + d.size;
  for (std::uint64_t i = 0; i < d.entries; ++i) {
    Entry e;
    if (auto p = read_entry(b, pos, dir_end, &e); !p.empty()) return p;
    std::uint64_t data_offset = 0;
    if (auto p = check_entry(b, e, d.offset, &data_offset); !p.empty()) return p;
    if (e.uncomp > kMaxZipUncompressed - total_uncomp)
      return "the entries claim more than " + std::to_string(kMaxZipUncompressed >> 30) + " GiB uncompressed";
    total_uncomp += e.uncomp;
    if (entries) entries->push_back({std::move(e.name), e.method, data_offset, e.comp, e.uncomp});
  }
  if (pos != dir_end) return "the central directory holds more data than its entry count says";
  return "";
}

}  // namespace ebm
