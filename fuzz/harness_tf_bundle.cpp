// TensorFlow V2 checkpoint bundles: the index (a LevelDB table of protos) and one data shard, laid
// out in the input as tf_fuzz_input.h describes. The reader is given the scratch prefix exactly as a
// user's path would be, every entry it accepts is read, and every read must either return a tensor
// of the entry's shape or throw TfBundleError.
#include "fuzz/harnesses.h"
#include "fuzz/scratch.h"
#include "fuzz/tf_fuzz_input.h"
#include "models/checkpoint/tf_bundle.h"

#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace ebm::fuzz {

namespace {

// LevelDB's table builder writes to a WritableFile; this one appends to a string.
class StringSink final : public leveldb::WritableFile {
 public:
  leveldb::Status Append(const leveldb::Slice& s) override {
    out.append(s.data(), s.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
  std::string out;
};

// A well-formed table holding the records (sorted and de-duplicated, as a table must be).
std::string build_table(std::vector<std::pair<std::string, std::string>> records, bool snappy) {
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  records.erase(std::unique(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                records.end());
  leveldb::Options opt;
  opt.compression = snappy ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  opt.block_size = 256;  // small blocks: several data blocks and index entries even for small inputs
  StringSink sink;
  leveldb::TableBuilder builder(opt, &sink);
  for (const auto& [k, v] : records) builder.Add(k, v);
  if (!builder.Finish().ok()) {
    std::fprintf(stderr, "tf harness: building the table failed\n");
    std::abort();
  }
  return std::move(sink.out);
}

void read_everything(const tf::BundleReader& reader) {
  for (const tf::BundleEntry& e : reader.entries()) {
    if (!tf::BundleReader::skip_reason(e).empty()) continue;
    try {
      const torch::Tensor t = reader.read(e);
      if (t.sizes().vec() != e.shape) {
        std::fprintf(stderr, "tf harness: '%s' read with shape %s, entry says otherwise\n", e.name.c_str(),
                     c10::str(t.sizes()).c_str());
        std::abort();
      }
    } catch (const tf::TfBundleError&) {
    }
  }
}

}  // namespace

void tf_bundle_input(const std::uint8_t* data, std::size_t size) {
  const TfFuzzInput in = decode_tf_fuzz_input(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string prefix = scratch_dir() + "/model";
  write_scratch("model.index", in.records_mode ? build_table(in.records, in.snappy) : in.index);
  std::string shard;
  try {
    const tf::BundleReader reader(prefix);
    (void)reader.tensor_names();
    // The shard is written where the header says shard 0 lives (its name encodes the shard count).
    shard = tf::shard_path(prefix, 0, reader.header().num_shards);
    write_scratch(std::filesystem::path(shard).filename().string(), in.data);
    read_everything(reader);
  } catch (const tf::TfBundleError&) {
  }
  if (!shard.empty()) std::filesystem::remove(shard);
}

}  // namespace ebm::fuzz
