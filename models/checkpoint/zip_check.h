// Structural check of a zip archive (what torch.save writes) before LibTorch opens it.
//
// Why: LibTorch 1.13's torch::pickle_load hands the bytes to its bundled miniz through a memory
// adapter that does no bounds checking, and miniz trusts the offsets and sizes in the archive's
// directories; a damaged or hostile .pt made it read past the buffer (found by fuzz/harness_torch_pt,
// reproducer in fuzz/regressions/torch_pt/). It also allocates each record's claimed uncompressed
// size before reading it. So every offset, size and signature that miniz will follow is checked
// here first, against the real file size, and the claimed sizes are bounded before anything is
// allocated. Accepts every archive torch.save / torch::pickle_save writes (stored entries, data
// descriptors, zip64 end records) and ordinary deflated re-zips.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ebm {

// Bound on the sum of the entries' uncompressed sizes (the .pt reader's own file-size limit).
constexpr std::uint64_t kMaxZipUncompressed = std::uint64_t{4} << 30;
// Deflate cannot expand data more than ~1032:1; a larger claimed ratio is a lie about the size.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
// Far more entries than any checkpoint (one per tensor storage plus a few).
constexpr std::uint64_t kMaxZipEntries = 1u << 20;

// One entry as the central directory describes it (after the checks below).
struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;       // 0 stored, 8 deflate
  std::uint64_t data_offset = 0;  // where its (compressed) bytes start in the archive
  std::uint64_t compressed = 0, uncompressed = 0;
};

// "" when `bytes` is a structurally sound single-disk zip archive whose every entry lies inside it
// (then `entries`, when given, lists them in directory order); otherwise what is wrong, in words
// ("the central directory runs past the end of the file", …).
std::string check_zip_archive(std::string_view bytes, std::vector<ZipEntry>* entries = nullptr);

}  // namespace ebm
