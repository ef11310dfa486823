#include "engine/image/png_codec.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

namespace ebm {

namespace {

constexpr std::size_t kCompressTextAbove = 1024;

struct ReadCursor {
  const std::uint8_t* data;
  std::size_t size, pos;
};

void read_fn(png_structp png, png_bytep out, png_size_t n) {
  auto* c = static_cast<ReadCursor*>(png_get_io_ptr(png));
  if (c->pos + n > c->size) png_error(png, "truncated PNG data");
  std::memcpy(out, c->data + c->pos, n);
  c->pos += n;
}

void write_fn(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void flush_fn(png_structp) {}

// libpng reports errors by longjmp; the message is copied here before the jump.
struct ErrorSink {
  char message[256] = {0};
};
void error_fn(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof(sink->message), "%s", msg);
  png_longjmp(png, 1);
}
void warning_fn(png_structp, png_const_charp) {}

// libpng allocates a buffer of a chunk's declared length before reading the chunk (512 MiB for a
// 900-byte file; found by fuzz/harness_png_recipe): every chunk must fit in what is left of the file.
// Throws PngError naming the chunk.
void check_chunk_lengths(std::string_view bytes) {
  auto be32 = [&bytes](std::size_t at) {
    unsigned long long v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  for (std::size_t pos = 8; pos + 8 <= bytes.size();) {
    const unsigned long long len = be32(pos);
    const std::string type(bytes.substr(pos + 4, 4));
    if (len > bytes.size() - pos - 8)
      throw PngError("chunk '" + type + "' declares " + std::to_string(len) + " bytes but only " +
                     std::to_string(bytes.size() - pos - 8) + " remain; the file is truncated or damaged");
    if (type == "IEND") break;
    pos += 12 + static_cast<std::size_t>(len);
  }
}

void collect_text(png_structp png, png_infop info, png_infop end, PngImage* out) {
  for (png_infop i : {info, end}) {
    png_textp text = nullptr;
    int n = 0;
    png_get_text(png, i, &text, &n);
    for (int k = 0; k < n; ++k)
      out->text.emplace_back(text[k].key, std::string(text[k].text, text[k].itxt_length ? text[k].itxt_length : text[k].text_length));
  }
}

// Only trivially destructible locals live in these frames: longjmp must not skip destructors.
// Locals assigned after setjmp and read in its error branch are volatile: without it their value
// there is indeterminate (C11 7.13.2.1), and at -O2 the error branch freed nullptr and leaked the
// row array on every damaged PNG (found by fuzz/harness_png_recipe, LeakSanitizer).
bool decode_impl(ReadCursor* cur, int max_side, PngImage* out, ErrorSink* sink) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, sink, error_fn, warning_fn);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  png_infop end = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;
  if (!info || !end || setjmp(png_jmpbuf(png))) {
    std::free(rows);
    png_destroy_read_struct(&png, &info, &end);
    return false;
  }
  png_set_read_fn(png, cur, read_fn);
  png_set_user_limits(png, static_cast<png_uint_32>(max_side), static_cast<png_uint_32>(max_side));
  png_read_info(png, info);
  {
    // Deflate inflates at most ~1032:1, so a file smaller than its declared raw image / 1032 is
    // truncated or damaged: refused before the pixel buffer (up to 1 GiB at kMaxPngSide) is
    // allocated (found by fuzz/harness_png_recipe: 100-byte files allocated and zeroed ~1 GiB).
    constexpr unsigned long long kMaxDeflateRatio = 1032;
    const unsigned long long raw_bytes = static_cast<unsigned long long>(png_get_image_width(png, info)) *
                                         png_get_image_height(png, info) * png_get_channels(png, info) *
                                         png_get_bit_depth(png, info) / 8;
    if (raw_bytes / kMaxDeflateRatio > cur->size) {
      char msg[200];
      std::snprintf(msg, sizeof(msg), "the file (%zu bytes) is too small to hold the %ux%u image its header declares; it is truncated or damaged",
                    cur->size, static_cast<unsigned>(png_get_image_width(png, info)),
                    static_cast<unsigned>(png_get_image_height(png, info)));
      png_error(png, msg);
    }
  }
  png_set_expand(png);
  png_set_strip_16(png);
  const int color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_strip_alpha(png);
  png_read_update_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  const int ch = png_get_channels(png, info);
  if (ch != 1 && ch != 3 && ch != 4) png_error(png, "unsupported channel layout");
  out->width = static_cast<int>(w);
  out->height = static_cast<int>(h);
  out->channels = ch;
  out->pixels.resize(static_cast<std::size_t>(w) * h * ch);
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * h));
  if (!rows) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = out->pixels.data() + static_cast<std::size_t>(y) * w * ch;
  png_read_image(png, rows);
  png_read_end(png, end);
  collect_text(png, info, end, out);
  std::free(rows);
  png_destroy_read_struct(&png, &info, &end);
  return true;
}

// The header and text chunks only: the image data is read (libpng finds text chunks after it only
// by reading through it) one row at a time into one row buffer and dropped, so memory stays at one
// row whatever the header claims (found by fuzz/harness_png_recipe: decoding whole images of
// small, damaged recipe PNGs allocated tens of MiB per file and grew the fuzzer to 2.5 GB).
bool text_impl(ReadCursor* cur, PngImage* out, ErrorSink* sink) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, sink, error_fn, warning_fn);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  png_infop end = png_create_info_struct(png);
  png_bytep volatile row = nullptr;
  if (!info || !end || setjmp(png_jmpbuf(png))) {
    std::free(row);
    png_destroy_read_struct(&png, &info, &end);
    return false;
  }
  png_set_read_fn(png, cur, read_fn);
  png_set_user_limits(png, static_cast<png_uint_32>(kMaxPngSide), static_cast<png_uint_32>(kMaxPngSide));
  png_read_info(png, info);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const png_uint_32 h = png_get_image_height(png, info);
  out->width = static_cast<int>(png_get_image_width(png, info));
  out->height = static_cast<int>(h);
  out->channels = png_get_channels(png, info);
  row = static_cast<png_bytep>(std::malloc(png_get_rowbytes(png, info)));
  if (!row) png_error(png, "out of memory");
  for (int pass = 0; pass < passes; ++pass)
    for (png_uint_32 y = 0; y < h; ++y) png_read_row(png, row, nullptr);
  png_read_end(png, end);
  collect_text(png, info, end, out);
  std::free(row);
  png_destroy_read_struct(&png, &info, &end);
  return true;
}

bool encode_impl(const PngImage* img, std::string* out, ErrorSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, error_fn, warning_fn);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;
  png_textp volatile texts = nullptr;
  if (!info || setjmp(png_jmpbuf(png))) {
    std::free(rows);
    std::free(texts);
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, write_fn, flush_fn);
  const int type = img->channels == 1 ? PNG_COLOR_TYPE_GRAY : img->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  png_set_IHDR(png, info, static_cast<png_uint_32>(img->width), static_cast<png_uint_32>(img->height), 8, type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!img->text.empty()) {
    texts = static_cast<png_textp>(std::calloc(img->text.size(), sizeof(::png_text)));
    if (!texts) png_error(png, "out of memory");
    for (std::size_t k = 0; k < img->text.size(); ++k) {
      const auto& kv = img->text[k];
      texts[k].compression = kv.second.size() > kCompressTextAbove ? PNG_ITXT_COMPRESSION_zTXt : PNG_ITXT_COMPRESSION_NONE;
      texts[k].key = const_cast<char*>(kv.first.c_str());
      texts[k].text = const_cast<char*>(kv.second.c_str());
      texts[k].itxt_length = kv.second.size();
      texts[k].lang = nullptr;
      texts[k].lang_key = nullptr;
    }
    png_set_text(png, info, texts, static_cast<int>(img->text.size()));
  }
  png_write_info(png, info);
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * static_cast<std::size_t>(img->height)));
  if (!rows) png_error(png, "out of memory");
  const std::size_t stride = static_cast<std::size_t>(img->width) * img->channels;
  for (int y = 0; y < img->height; ++y) rows[y] = const_cast<png_bytep>(img->pixels.data() + y * stride);
  png_write_image(png, rows);
  png_write_end(png, info);
  std::free(rows);
  std::free(texts);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

std::string png_encode(const PngImage& img) {
  if (img.width < 1 || img.height < 1 || img.width > kMaxPngSide || img.height > kMaxPngSide)
    throw PngError("cannot encode a " + std::to_string(img.width) + "×" + std::to_string(img.height) +
                   " PNG (sides must be in 1.." + std::to_string(kMaxPngSide) + ")");
  if (img.channels != 1 && img.channels != 3 && img.channels != 4)
    throw PngError("cannot encode a PNG with " + std::to_string(img.channels) + " channels (1, 3 or 4)");
  if (img.pixels.size() != static_cast<std::size_t>(img.width) * img.height * img.channels)
    throw PngError("PNG pixel buffer size does not match width × height × channels");
  for (const auto& kv : img.text)
    if (kv.first.empty() || kv.first.size() > 79) throw PngError("PNG text keyword must have 1..79 characters");
  std::string out;
  ErrorSink sink;
  if (!encode_impl(&img, &out, &sink)) throw PngError(std::string("PNG encoding failed: ") + sink.message);
  return out;
}

PngImage png_decode(std::string_view bytes, int max_side) {
  if (bytes.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) != 0)
    throw PngError("not a PNG (missing PNG signature)");
  check_chunk_lengths(bytes);
  ReadCursor cur{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), 0};
  PngImage img;
  ErrorSink sink;
  if (!decode_impl(&cur, max_side, &img, &sink)) throw PngError(std::string("cannot decode PNG: ") + sink.message);
  return img;
}

PngImage png_decode_text(std::string_view bytes) {
  if (bytes.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) != 0)
    throw PngError("not a PNG (missing PNG signature)");
  check_chunk_lengths(bytes);
  ReadCursor cur{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), 0};
  PngImage img;
  ErrorSink sink;
  if (!text_impl(&cur, &img, &sink)) throw PngError(std::string("cannot decode PNG: ") + sink.message);
  return img;
}

PngImage png_from_tensor(const torch::Tensor& chw) {
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3 && chw.size(0) != 4))
    throw PngError("an image to encode must be [C,H,W] with C = 1, 3 or 4");
  auto t = torch::nan_to_num(chw.detach().to(torch::kCPU, torch::kFloat), 0.0, 1.0, 0.0)
               .clamp(0.0, 1.0)
               .mul(255.0)
               .round()
               .to(torch::kUInt8)
               .permute({1, 2, 0})
               .contiguous();
  PngImage img;
  img.channels = static_cast<int>(chw.size(0));
  img.height = static_cast<int>(chw.size(1));
  img.width = static_cast<int>(chw.size(2));
  img.pixels.assign(t.data_ptr<std::uint8_t>(), t.data_ptr<std::uint8_t>() + t.numel());
  return img;
}

torch::Tensor tensor_from_png(const PngImage& img) {
  auto t = torch::from_blob(const_cast<std::uint8_t*>(img.pixels.data()), {img.height, img.width, img.channels},
                            torch::kUInt8);
  return t.permute({2, 0, 1}).to(torch::kFloat).div(255.0).contiguous();
}

std::string png_text_value(const PngImage& img, const std::string& key) {
  for (const auto& kv : img.text)
    if (kv.first == key) return kv.second;
  return {};
}

}  // namespace ebm
