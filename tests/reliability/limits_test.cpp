// Limits before allocation: an input that claims an absurd size is refused with a clear error, and
// the refusal happens before the claimed memory is asked for (each check runs under an address-space
// cap of current + 256 MiB; the claims are 1 GiB and up). RELIABILITY.md lists every limit.
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/pickle_check.h"
#include "models/checkpoint/safetensors.h"
#include "models/checkpoint/torch_pickle.h"
#include "tests/checkpoint/test_util.h"
#include "tests/reliability/memory_limit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

using namespace ebm;
using ebm::test::error_under_memory_cap;
using ebm::test::TempDir;

namespace {

std::string le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string safetensors_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::uint32_t crc32_png(const std::string& s) {  // PNG chunk CRC (zlib's polynomial), for a valid IHDR
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A PNG whose IHDR claims width x height (8-bit RGB) followed by a tiny IDAT: a few dozen bytes
// that would decode to width*height*3 bytes.
std::string png_claiming(std::uint32_t width, std::uint32_t height) {
  std::string ihdr = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += be32(13) + ihdr + be32(crc32_png(ihdr));
  const std::string idat = std::string("IDAT") + std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
  png += be32(8) + idat + be32(crc32_png(idat));
  const std::string iend = "IEND";
  png += be32(0) + iend + be32(crc32_png(iend));
  return png;
}

TEST(Limits, SafetensorsHeaderLengthBeyondLimit) {
  const std::string file = le64(std::uint64_t{1} << 62) + "{}";
  const std::string msg = error_under_memory_cap([&] { parse_safetensors(file, "huge-header"); });
  EXPECT_NE(msg.find("exceeds the"), std::string::npos) << msg;
}

TEST(Limits, SafetensorsTensorLargerThanTheFile) {
  // 2^28 floats = 1 GiB claimed by a ~100-byte file.
  const std::string file = safetensors_file(R"({"w":{"dtype":"F32","shape":[268435456],"data_offsets":[0,1073741824]}})", "");
  const std::string msg = error_under_memory_cap([&] { parse_safetensors(file, "huge-tensor"); });
  EXPECT_NE(msg.find("run past the end of the data section"), std::string::npos) << msg;
}

TEST(Limits, SafetensorsShapeOverflow) {
  const std::string file =
      safetensors_file(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}})", "");
  const std::string msg = error_under_memory_cap([&] { parse_safetensors(file, "overflow"); });
  EXPECT_NE(msg.find("overflows"), std::string::npos) << msg;
}

TEST(Limits, TorchPtPickleStringClaimingGigabytes) {
  // A 1 KiB torch.save archive whose pickle has a BINUNICODE claiming ~4 GB (found by the fuzzer):
  // LibTorch alone reserves and zeroes that much; the pickle check refuses it first.
  const std::string path = std::string(EBM_SOURCE_DIR) + "/fuzz/regressions/torch_pt/oom-unpickler-string-length";
  const std::string msg = error_under_memory_cap([&] { read_torch_state_dict(path); });
  EXPECT_NE(msg.find("bytes but"), std::string::npos) << msg;
  // The same lie at 2^40 bytes, as BINBYTES8.
  const std::string prog = std::string("\x80\x02\x8e", 3) + le64(std::uint64_t{1} << 40) + ".";
  EXPECT_NE(check_pickle_program(prog).find("claims 1099511627776 bytes"), std::string::npos);
}

TEST(Limits, PngDimensionsBeyondLimitRefusedBeforeDecoding) {
  TempDir d;
  // 20000 x 20000 x 3 bytes = 1.2 GB decoded, from a 60-byte file.
  ebm::test::write_raw(d.file("huge.png"), png_claiming(20000, 20000));
  const std::string msg = error_under_memory_cap([&] { load_png(d.file("huge.png")); });
  EXPECT_NE(msg.find("is too large"), std::string::npos) << msg;
}

TEST(Limits, PngTooSmallForItsDeclaredSizeRefusedBeforeDecoding) {
  TempDir d;
  // 4096 x 4096 is within the pixel limit, but 60 bytes cannot inflate to 48 MiB (deflate expands at
  // most ~1032:1): refused before stb allocates the image (found by the png_image fuzzer: such
  // inputs made every decode allocate and poison hundreds of MiB).
  ebm::test::write_raw(d.file("short.png"), png_claiming(4096, 4096));
  const std::string msg = error_under_memory_cap([&] { load_png(d.file("short.png")); });
  EXPECT_NE(msg.find("too small to hold the 4096x4096 image"), std::string::npos) << msg;
  // A real image of that size still loads.
  const torch::Tensor big = torch::rand({3, 1024, 1024});
  ebm::write_file_atomic(d.file("real.png"), encode_png(big));
  EXPECT_EQ(load_png(d.file("real.png")).sizes(), (std::vector<int64_t>{1, 3, 1024, 1024}));
}

TEST(Limits, PngChunkLongerThanTheFileRefusedBeforeDecoding) {
  // Found by the png_image fuzzer: an IDAT declaring ~2 GiB in a 136-byte file made stb grow its
  // buffer to that size before reading (seconds per file under ASan).
  const std::string path = std::string(EBM_SOURCE_DIR) + "/fuzz/regressions/png_image/slow-idat-length-2gib";
  const std::string msg = error_under_memory_cap([&] { load_png(path); });
  EXPECT_NE(msg.find("bytes but only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated or damaged"), std::string::npos) << msg;
}

TEST(Limits, PngRecipeFileTooSmallForItsImageRefusedBeforeDecoding) {
  // A "recipe PNG" (`ebm sample --recipe x.png`, the studio's open-recipe) claiming 16384 x 16384,
  // within libpng's side limit: 48 bytes cannot inflate to 768 MiB, so it is refused before the
  // pixel buffer is allocated (found by fuzz/harness_png_recipe).
  TempDir d;
  ebm::test::write_raw(d.file("huge.png"), png_claiming(16384, 16384));
  // The recipe reader reads text chunks without the pixel buffer: the missing data is found row by row.
  std::string msg = error_under_memory_cap([&] { read_png_recipe(d.file("huge.png"), nullptr); });
  EXPECT_NE(msg.find("cannot decode PNG"), std::string::npos) << msg;
  // png_decode (embedded masks and init images) refuses it from the header, before allocating.
  msg = error_under_memory_cap([&] { png_decode(png_claiming(16384, 16384)); });
  EXPECT_NE(msg.find("too small to hold the 16384x16384 image"), std::string::npos) << msg;
}

}  // namespace
