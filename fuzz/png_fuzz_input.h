// The input layout of the PNG recipe harness, shared by the harness and the seed generator.
//
// Every PNG chunk carries a CRC; libpng rejects a critical chunk whose CRC is wrong and silently
// drops an ancillary one (the iTXt holding the recipe is ancillary), so raw byte mutations would
// almost never get a changed recipe chunk past the checksum. The first input byte picks the mode:
//   even: raw    — the rest is the file as it is (exercises libpng's own checks of a damaged file).
//   odd:  fixed  — the rest is a PNG whose chunk CRCs the harness recomputes before the file is
//                  written, so mutations of chunk lengths, the iTXt header, its compression flag,
//                  the deflated text and the recipe itself reach the reader.
// Any byte string is a valid input (a chunk running past the end is left as it is).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ebm::fuzz {

inline std::uint32_t png_crc32(const unsigned char* p, std::size_t n) {
  static const auto table = [] {
    struct T {
      std::uint32_t v[256];
    } t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t.v[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) c = table.v[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// Rewrites the CRC of every complete chunk after the 8-byte signature.
inline void fix_png_crcs(std::string* png) {
  auto* b = reinterpret_cast<unsigned char*>(png->data());
  std::size_t pos = 8;
  while (pos + 12 <= png->size()) {
    const std::uint64_t len = (std::uint64_t{b[pos]} << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8) | b[pos + 3];
    if (len > png->size() - pos - 12) break;
    const std::uint32_t crc = png_crc32(b + pos + 4, static_cast<std::size_t>(len) + 4);
    unsigned char* out = b + pos + 8 + len;
    out[0] = static_cast<unsigned char>(crc >> 24);
    out[1] = static_cast<unsigned char>(crc >> 16);
    out[2] = static_cast<unsigned char>(crc >> 8);
    out[3] = static_cast<unsigned char>(crc);
    pos += 12 + static_cast<std::size_t>(len);
  }
}

// The PNG file a fuzz input stands for.
inline std::string decode_png_fuzz_input(std::string_view in) {
  if (in.empty()) return {};
  const bool fixed = (static_cast<unsigned char>(in[0]) & 1) != 0;
  std::string png(in.substr(1));
  if (fixed) fix_png_crcs(&png);
  return png;
}

inline std::string encode_png_fuzz_input(std::string_view png, bool fixed) {
  return std::string(1, fixed ? '\x01' : '\x00') + std::string(png);
}

}  // namespace ebm::fuzz
