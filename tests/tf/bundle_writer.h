// Test-only writer of TensorFlow V2 checkpoint bundles, so the reader can be tested on bundles
// larger and stranger than the TF-written fixture: many index blocks, several shards, every dtype,
// and deliberately broken headers/entries. The index is written with LevelDB's own TableBuilder
// (the format TF's table writer produces); protos are encoded by hand like TF's would be.
#pragma once

#include "models/checkpoint/tf_bundle_entry.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ebm::tftest {

struct WriterOptions {
  int num_shards = 1;
  size_t block_size = 4096;  // LevelDB's default; small values force many index blocks
  bool snappy = true;        // compress index blocks as TF does by default
  int header_num_shards = -1;  // -1: num_shards; otherwise written as is (to test bad headers)
  int endianness = 0;
  int min_consumer = 0;
  bool write_header = true;
};

class BundleWriter {
 public:
  BundleWriter(std::string prefix, WriterOptions opt = {});

  // A tensor as TF stores it: dtype from the torch dtype, raw little-endian bytes. shard < 0 spreads
  // tensors round-robin over the shards.
  void add(const std::string& name, const torch::Tensor& t, int shard = -1);
  // An entry written exactly as given (offset/size/crc too, when keep_layout) with `bytes` appended
  // to its shard — for string tensors, slices and corrupt entries.
  void add_raw(const tf::BundleEntry& e, const std::string& bytes, bool keep_layout = false);
  // An entry whose value is these bytes verbatim (not a valid BundleEntryProto, for corrupt tests).
  void add_raw_value(const std::string& name, const std::string& value);

  // Writes PREFIX.index and every PREFIX.data-* shard. Throws std::runtime_error on I/O failure.
  void finish();

 private:
  struct Item {
    tf::BundleEntry entry;
    std::string bytes;
    bool keep_layout = false;
    std::string raw_value;  // non-empty: written instead of an encoded entry
  };
  std::string prefix_;
  WriterOptions opt_;
  std::vector<Item> items_;
  int next_shard_ = 0;
};

int tf_dtype_of(torch::ScalarType t);
std::string encode_entry(const tf::BundleEntry& e);
std::string encode_header(int num_shards, int endianness, int min_consumer);

}  // namespace ebm::tftest
