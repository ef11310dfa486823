// SHA-256 (FIPS 180-4) of files and byte strings: recipes name their models by path *and* content
// hash, so a recipe replayed against a different file is caught. Written here (about 100 lines)
// rather than pulling a crypto library into every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ebm {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // 64 lowercase hex digits; the object is finished afterwards

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
// Streams the file; throws std::runtime_error naming the path when it cannot be read.
std::string sha256_file(const std::string& path);
// Of the files' bytes one after another (a model stored as several files, e.g. a TF bundle's index
// and shards); throws as sha256_file does.
std::string sha256_files(const std::vector<std::string>& paths);

}  // namespace ebm
