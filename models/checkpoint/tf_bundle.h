// Reader of TensorFlow's V2 checkpoint bundles (what tf.train.Saver writes since TF 1.x):
//   PREFIX.index                      a LevelDB-format sorted table: name -> BundleEntryProto,
//                                     empty name -> BundleHeaderProto
//   PREFIX.data-00000-of-0000N        raw little-endian tensor bytes, one file per shard
// No TensorFlow needed: the table is read with Debian's libleveldb (block CRCs verified, snappy
// blocks decompressed by it), the protos are decoded by hand, and every tensor's masked CRC32C is
// checked before it is returned. Every failure throws TfBundleError naming the file, the problem
// and what to do; nothing is allocated for an entry before its shape, size and offset are checked.
#pragma once

#include "models/checkpoint/tf_bundle_entry.h"

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm::tf {

struct TfBundleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// TF2's object-graph entry: a serialized proto stored as a string tensor, not a weight.
inline constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

// Turns what a user may type into a checkpoint prefix: "dir/model_30000", "dir/model_30000.index",
// a ".data-…" or ".meta" file of it, or a directory holding a `checkpoint` state file (its
// model_checkpoint_path is used) or exactly one *.index file. Throws TfBundleError when nothing fits.
std::string resolve_checkpoint_prefix(const std::string& path);

// True when `path` names a TF checkpoint in one of the ways resolve_checkpoint_prefix accepts (so a
// loader can send it here instead of to the safetensors/.pt readers). Never throws.
bool looks_like_tf_checkpoint(const std::string& path);

// "PREFIX.data-00003-of-00008".
std::string shard_path(const std::string& prefix, int shard, int num_shards);

// The torch dtype a TF dtype loads as; nullopt when it has none (strings, resources, unsigned >8 bit).
std::optional<torch::ScalarType> torch_dtype_for(int tf_dtype);

class BundleReader {
 public:
  // Reads and checks the whole index (header, every entry's shape/size/shard) — the index is small;
  // tensor bytes are read only on demand. Throws TfBundleError.
  explicit BundleReader(const std::string& path);

  const std::string& prefix() const { return prefix_; }
  std::string index_path() const { return prefix_ + ".index"; }
  const BundleHeader& header() const { return header_; }
  // Every entry but the header, sorted by name (the table's order).
  const std::vector<BundleEntry>& entries() const { return entries_; }
  const BundleEntry* find(const std::string& name) const;

  // "" when read() loads `e` as a tensor; otherwise why it is skipped (string tensor, TF2 object
  // graph, partitioned variable, dtype without a torch equivalent).
  static std::string skip_reason(const BundleEntry& e);
  // Names of the entries read() accepts, in table order.
  std::vector<std::string> tensor_names() const;

  // The tensor as a contiguous CPU tensor of torch_dtype_for(dtype), CRC verified. Throws
  // TfBundleError for unknown names, skipped entries, a missing or short shard, a CRC mismatch.
  torch::Tensor read(const std::string& name) const;
  torch::Tensor read(const BundleEntry& e) const;

 private:
  std::string prefix_;
  BundleHeader header_;
  std::vector<BundleEntry> entries_;
};

}  // namespace ebm::tf
