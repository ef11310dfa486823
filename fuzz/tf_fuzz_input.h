// The input layout of the TF bundle harness, shared by the harness and the seed generator.
//
// A bundle is two files (PREFIX.index, PREFIX.data-…) and the index is a LevelDB table whose blocks
// carry CRCs, so raw byte mutations almost never get past the checksum into the entry decoding.
// The harness therefore has two modes, chosen by the first byte:
//   even: raw      — u32 LE index length, the index bytes, then the data shard bytes. Exercises the
//                    table layout checks and LevelDB's own validation of a damaged file.
//   odd:  records  — (u8 key length, key, u16 LE value length, value)* ended by a key length of
//                    0xFF, then the data shard bytes. The harness builds a well-formed table (valid
//                    CRCs) from the records, so mutations reach the BundleHeaderProto /
//                    BundleEntryProto decoding, the entry checks and the shard reads.
//   Bit 1 of the first byte picks snappy compression of the table blocks in records mode.
// A truncated input is read as far as it goes (the rest is empty), so every byte string is valid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ebm::fuzz {

struct TfFuzzInput {
  bool records_mode = false;
  bool snappy = false;
  std::string index;                                         // raw mode
  std::vector<std::pair<std::string, std::string>> records;  // records mode, in input order
  std::string data;                                          // the shard
};

inline TfFuzzInput decode_tf_fuzz_input(std::string_view in) {
  TfFuzzInput out;
  if (in.empty()) return out;
  const auto mode = static_cast<unsigned char>(in[0]);
  in.remove_prefix(1);
  out.records_mode = (mode & 1) != 0;
  out.snappy = (mode & 2) != 0;
  auto take = [&in](std::size_t n) {
    n = std::min(n, in.size());
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  };
  auto le = [&take](int bytes) {
    std::uint32_t v = 0;
    std::string_view s = take(static_cast<std::size_t>(bytes));
    for (std::size_t i = 0; i < s.size(); ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return v;
  };
  if (!out.records_mode) {
    out.index = std::string(take(le(4)));
  } else {
    while (!in.empty()) {
      const auto klen = static_cast<unsigned char>(in[0]);
      in.remove_prefix(1);
      if (klen == 0xFF) break;
      std::string key(take(klen));
      std::string value(take(le(2)));
      out.records.emplace_back(std::move(key), std::move(value));
    }
  }
  out.data = std::string(in);
  return out;
}

inline std::string encode_tf_fuzz_input(const TfFuzzInput& x) {
  std::string out(1, static_cast<char>((x.records_mode ? 1 : 0) | (x.snappy ? 2 : 0)));
  auto put_le = [&out](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  if (!x.records_mode) {
    put_le(static_cast<std::uint32_t>(x.index.size()), 4);
    out += x.index;
  } else {
    for (const auto& [k, v] : x.records) {
      // Keys over 254 bytes and values over 64 KiB cannot be expressed; seeds never need them.
      out += static_cast<char>(k.size());
      out += k;
      put_le(static_cast<std::uint32_t>(v.size()), 2);
      out += v;
    }
    out += static_cast<char>(0xFF);
  }
  out += x.data;
  return out;
}

}  // namespace ebm::fuzz
