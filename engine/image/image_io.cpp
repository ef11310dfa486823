#include "engine/image/image_io.h"

#include "models/checkpoint/atomic_file.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <cstring>
#include <memory>
#include <string>

namespace ebm {

namespace {

constexpr unsigned char kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
// Decoded images larger than this many pixels are refused before decoding (a 16k x 16k PNG is a
// few KiB compressed and 1 GiB decoded); the models use 64x64 and 128x128.
constexpr long long kMaxPixels = 8192LL * 8192LL;

// The IHDR (always the first chunk, at byte 8) gives the image size and the raw data size (width x
// height x samples per pixel x bit depth); every chunk gives its length. "" when all are plausible,
// otherwise why not.
std::string png_header_problem(const std::string& bytes) {
  constexpr std::size_t kIhdrEnd = 8 + 8 + 13;
  constexpr unsigned long long kMaxDeflateRatio = 1032;
  if (bytes.size() < kIhdrEnd || bytes.compare(12, 4, "IHDR") != 0) return "";  // stb reports these itself
  auto be32 = [&bytes](std::size_t at) {
    unsigned long long v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  const unsigned long long w = be32(16), h = be32(20);
  const unsigned depth = static_cast<unsigned char>(bytes[24]), type = static_cast<unsigned char>(bytes[25]);
  const unsigned samples = type == 2 ? 3 : type == 4 ? 2 : type == 6 ? 4 : 1;  // RGB, gray+alpha, RGBA; gray, palette
  if (w != 0 && h > static_cast<unsigned long long>(kMaxPixels) / w)  // (w * h could overflow)
    return std::to_string(w) + "x" + std::to_string(h) + " is too large (at most " + std::to_string(kMaxPixels) +
           " pixels)";
  if (depth > 16) return "";  // stb refuses it with its own message
  const unsigned long long raw_bytes = w * h * samples * depth / 8;
  if (raw_bytes / kMaxDeflateRatio > bytes.size())
    return "the file (" + std::to_string(bytes.size()) + " bytes) is too small to hold the " + std::to_string(w) + "x" +
           std::to_string(h) + " image its header declares; it is truncated or damaged";
  // stb also grows its buffer to each IDAT chunk's declared length before reading it (up to 2 GiB
  // from a 100-byte file): every chunk must fit in what is left of the file.
  for (std::size_t pos = 8; pos + 8 <= bytes.size();) {
    const unsigned long long len = be32(pos);
    const std::string type = bytes.substr(pos + 4, 4);
    if (len > bytes.size() - pos - 8)
      return "chunk '" + type + "' declares " + std::to_string(len) + " bytes but only " +
             std::to_string(bytes.size() - pos - 8) + " remain; the file is truncated or damaged";
    if (type == "IEND") break;
    pos += 12 + static_cast<std::size_t>(len);
  }
  return "";
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

}  // namespace

namespace {

void check_channels(const std::string& path, int channels) {
  if (channels != 1 && channels != 3)
    throw ImageError("cannot load '" + path + "': asked for " + std::to_string(channels) + " channels (1 or 3)");
}

bool is_png(const std::string& bytes) { return bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0; }

// A PNG's or JPEG's bytes through stb: sizes checked before the decoded image is allocated, 16-bit
// PNGs kept at their precision. [1, channels, H, W] float in [0, 1].
torch::Tensor decode_with_stb(const std::string& path, const std::string& bytes, int channels) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, file_channels = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &file_channels))
    throw ImageError("cannot load '" + path + "': " + stbi_failure_reason());
  if (static_cast<long long>(w) * h > kMaxPixels)
    throw ImageError("cannot load '" + path + "': " + std::to_string(w) + "x" + std::to_string(h) + " is too large");

  torch::Tensor hwc;
  if (stbi_is_16_bit_from_memory(data, len)) {
    std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(data, len, &w, &h, &file_channels, channels));
    if (!px) throw ImageError("cannot load '" + path + "': " + stbi_failure_reason());
    // uint16 has no torch dtype in 1.13: widen through int32 before scaling.
    auto raw = torch::empty({h, w, channels}, torch::kInt32);
    auto* dst = raw.data_ptr<int32_t>();
    for (long long i = 0; i < static_cast<long long>(w) * h * channels; ++i) dst[i] = px.get()[i];
    hwc = raw.to(torch::kFloat32).div_(65535.0f);
  } else {
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &file_channels, channels));
    if (!px) throw ImageError("cannot load '" + path + "': " + stbi_failure_reason());
    hwc = torch::from_blob(px.get(), {h, w, channels}, torch::kUInt8).to(torch::kFloat32).div_(255.0f);
  }
  return hwc.permute({2, 0, 1}).unsqueeze(0).contiguous();
}

torch::Tensor decode_png_bytes(const std::string& path, const std::string& bytes, int channels) {
  // Sizes from the header first: stb's own refusal of a huge image says only "unknown image type",
  // and it allocates the decoded size before finding the data missing (found by
  // fuzz/harness_png_image), so a file too small to inflate to that size is refused here too.
  if (const std::string why = png_header_problem(bytes); !why.empty())
    throw ImageError("cannot load '" + path + "': " + why);
  return decode_with_stb(path, bytes, channels);
}

}  // namespace

torch::Tensor load_png(const std::string& path, int channels) {
  check_channels(path, channels);
  const std::string bytes = read_file(path);
  if (!is_png(bytes)) throw ImageError("cannot load '" + path + "': not a PNG file (wrong signature)");
  return decode_png_bytes(path, bytes, channels);
}

torch::Tensor load_image(const std::string& path, int channels) {
  check_channels(path, channels);
  const std::string bytes = read_file(path);
  if (is_png(bytes)) return decode_png_bytes(path, bytes, channels);
  const bool jpeg = bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
                    static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF;
  if (!jpeg) throw ImageError("cannot load '" + path + "': neither a PNG nor a JPEG file (wrong signature)");
  return decode_with_stb(path, bytes, channels);
}

std::string encode_png(const torch::Tensor& image) {
  torch::Tensor t = image.detach();
  if (t.dim() == 4 && t.size(0) == 1) t = t.squeeze(0);
  if (t.dim() != 3 || (t.size(0) != 1 && t.size(0) != 3 && t.size(0) != 4) || t.size(1) < 1 || t.size(2) < 1)
    throw ImageError("cannot encode a PNG from a tensor of shape " + c10::str(t.sizes()) +
                     ": expected [C,H,W] or [1,C,H,W] with C = 1, 3 or 4");
  const int c = static_cast<int>(t.size(0)), h = static_cast<int>(t.size(1)), w = static_cast<int>(t.size(2));
  torch::Tensor px = torch::nan_to_num(t.to(torch::kCPU, torch::kFloat32), 0.0, 1.0, 0.0)
                         .clamp(0.0, 1.0)
                         .mul(255.0f)
                         .round()
                         .to(torch::kUInt8)
                         .permute({1, 2, 0})
                         .contiguous();
  std::string out;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &out, w, h, c, px.data_ptr<uint8_t>(), w * c))
    throw ImageError("PNG encoding of a " + std::to_string(w) + "x" + std::to_string(h) + " image failed");
  return out;
}

void save_png(const std::string& path, const torch::Tensor& image) { write_file_atomic(path, encode_png(image)); }

}  // namespace ebm
