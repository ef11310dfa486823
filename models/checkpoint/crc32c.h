// CRC32C (Castagnoli) as TensorFlow and LevelDB use it, plus their "masked" form. No Debian
// library exports it (LevelDB keeps its copy internal), so this is a small table-driven version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ebm::crc32c {

// CRC32C of data[0, n) continuing from `crc` (the CRC of the bytes before); Extend(0, ...) starts.
uint32_t extend(uint32_t crc, const void* data, size_t n);
inline uint32_t value(const void* data, size_t n) { return extend(0, data, n); }

// TF/LevelDB store CRCs "masked": a CRC of bytes that themselves contain CRCs is weak, so the
// stored value is rotated right by 15 bits and offset by a constant.
constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace ebm::crc32c
