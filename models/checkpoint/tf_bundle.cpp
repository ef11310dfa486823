#include "models/checkpoint/tf_bundle.h"

#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/proto_wire.h"
#include "models/checkpoint/table_layout.h"

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace ebm::tf {

namespace fs = std::filesystem;

namespace {

// An index is ~100 bytes per variable; anything past this is not a checkpoint index.
constexpr uint64_t kMaxIndexBytes = uint64_t{1} << 30;
// BundleHeaderProto::LITTLE; the only layout we read (and the only one x86/ARM hosts write).
constexpr int kLittleEndian = 0;
// TF's kTensorBundleVersion: readers of version 1 accept bundles whose min_consumer is <= 1.
constexpr int kBundleVersion = 1;

// The index file held in memory, served to LevelDB's table reader.
class MemoryFile final : public leveldb::RandomAccessFile {
 public:
  explicit MemoryFile(std::string data) : data_(std::move(data)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* /*scratch*/) const override {
    if (offset > data_.size()) {
      *result = leveldb::Slice();
      return leveldb::Status::IOError("read at offset " + std::to_string(offset) + " past the end of the file");
    }
    *result = leveldb::Slice(data_.data() + offset, std::min<uint64_t>(n, data_.size() - offset));
    return leveldb::Status::OK();
  }
  uint64_t size() const { return data_.size(); }
  std::string_view data() const { return data_; }

 private:
  std::string data_;
};

std::string read_file(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw TfBundleError(path + ": cannot be read (" + ec.message() + ")");
  if (size > kMaxIndexBytes)
    throw TfBundleError(path + ": is " + std::to_string(size) + " bytes, far more than any checkpoint index; "
                        "is this the .data file? Give the prefix or the .index file");
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in || !in.read(data.data(), static_cast<std::streamsize>(size)))
    throw TfBundleError(path + ": cannot be read; check that it exists and is readable");
  return data;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool host_is_little_endian() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

std::optional<torch::ScalarType> torch_dtype_for(int tf_dtype) {
  switch (static_cast<DataType>(tf_dtype)) {
    case DataType::Float: return torch::kFloat;
    case DataType::Double: return torch::kDouble;
    case DataType::Half: return torch::kHalf;
    case DataType::BFloat16: return torch::kBFloat16;
    case DataType::Int32: return torch::kInt;
    case DataType::Int64: return torch::kLong;
    case DataType::Int16: return torch::kShort;
    case DataType::Int8: return torch::kChar;
    case DataType::UInt8: return torch::kByte;
    case DataType::Bool: return torch::kBool;
    default: return std::nullopt;
  }
}

BundleReader::BundleReader(const std::string& path) : prefix_(resolve_checkpoint_prefix(path)) {
  const std::string index = index_path();
  if (!host_is_little_endian())
    throw TfBundleError(index + ": this build reads checkpoints on little-endian hosts only");
  auto file = std::make_unique<MemoryFile>(read_file(index));
  const std::string layout_problem = check_table_layout(file->data());
  if (!layout_problem.empty())
    throw TfBundleError(index + ": is not a readable TensorFlow checkpoint index (" + layout_problem +
                        "); the file is damaged, truncated or not a V2 checkpoint .index — copy it again "
                        "from where the model was trained");

  leveldb::Options options;
  options.paranoid_checks = true;  // makes Table::Open verify the index block's CRC too
  leveldb::Table* raw_table = nullptr;
  const leveldb::Status open = leveldb::Table::Open(options, file.get(), file->size(), &raw_table);
  if (!open.ok())
    throw TfBundleError(index + ": is not a readable TensorFlow checkpoint index (" + open.ToString() +
                        "); the file is damaged, truncated or not a V2 checkpoint .index — copy it again "
                        "from where the model was trained");
  std::unique_ptr<leveldb::Table> table(raw_table);

  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
  bool have_header = false;
  std::string last_key;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    const std::string_view value(it->value().data(), it->value().size());
    if (have_header && key <= last_key)
      throw TfBundleError(index + ": keys are out of order at '" + key + "'; the index is corrupt");
    try {
      if (key.empty()) {
        header_ = parse_bundle_header(value);
        have_header = true;
      } else {
        if (!have_header)
          throw TfBundleError(index + ": has no bundle header (the empty key must come first); this is not a "
                              "TensorFlow V2 checkpoint index");
        entries_.push_back(parse_bundle_entry(key, value));
      }
    } catch (const proto::ProtoError& e) {
      throw TfBundleError(index + ": entry '" + key + "' is not a valid protobuf message (" + e.what() +
                          "); the index is corrupt");
    } catch (const TfBundleError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw TfBundleError(index + ": entry '" + key + "': " + e.what() + "; the index is corrupt");
    }
    last_key = key;
  }
  if (!it->status().ok())
    throw TfBundleError(index + ": " + it->status().ToString() + " while reading its entries; the file is "
                        "damaged — copy it again from where the model was trained");
  if (!have_header)
    throw TfBundleError(index + ": has no bundle header entry; this is not a TensorFlow V2 checkpoint index");

  if (header_.num_shards < 1 || header_.num_shards > kMaxShards)
    throw TfBundleError(index + ": header claims " + std::to_string(header_.num_shards) +
                        " data shards (expected 1.." + std::to_string(kMaxShards) + "); the index is corrupt");
  if (header_.endianness != kLittleEndian)
    throw TfBundleError(index + ": was written on a big-endian machine (header endianness " +
                        std::to_string(header_.endianness) + "); ebm reads little-endian checkpoints only — "
                        "re-save it with TensorFlow on an x86 or ARM machine");
  if (header_.min_consumer > kBundleVersion)
    throw TfBundleError(index + ": needs a bundle reader of version >= " + std::to_string(header_.min_consumer) +
                        " (this one is version " + std::to_string(kBundleVersion) + "); re-save it with TF 1.x/2.x's "
                        "tf.train.Saver");
  for (const BundleEntry& e : entries_) {
    const std::string problem = check_entry(e, header_.num_shards);
    if (!problem.empty())
      throw TfBundleError(index + ": entry '" + e.name + "': " + problem + "; the index is corrupt");
  }
}

const BundleEntry* BundleReader::find(const std::string& name) const {
  // entries_ is sorted by name (checked while reading), so a binary search suffices.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const BundleEntry& e, const std::string& n) { return e.name < n; });
  return (it != entries_.end() && it->name == name) ? &*it : nullptr;
}

std::string BundleReader::skip_reason(const BundleEntry& e) {
  if (e.name == kObjectGraphKey) return "TF2 object graph (bookkeeping, not a weight)";
  if (e.num_slices > 0)
    return "partitioned variable (" + std::to_string(e.num_slices) + " slices); not supported — re-save it "
           "unpartitioned";
  if (e.dtype == static_cast<int>(DataType::String)) return "string tensor";
  if (!torch_dtype_for(e.dtype)) return dtype_name(e.dtype) + " has no torch equivalent";
  return "";
}

std::vector<std::string> BundleReader::tensor_names() const {
  std::vector<std::string> out;
  for (const BundleEntry& e : entries_)
    if (skip_reason(e).empty()) out.push_back(e.name);
  return out;
}

torch::Tensor BundleReader::read(const std::string& name) const {
  const BundleEntry* e = find(name);
  if (!e) {
    throw TfBundleError(index_path() + ": has no variable '" + name + "'; `ebm inspect " + prefix_ +
                        "` lists the variables it holds");
  }
  return read(*e);
}

torch::Tensor BundleReader::read(const BundleEntry& e) const {
  const std::string reason = skip_reason(e);
  if (!reason.empty()) throw TfBundleError(index_path() + ": variable '" + e.name + "' cannot be loaded: " + reason);
  const std::string shard = shard_path(prefix_, e.shard_id, header_.num_shards);
  std::error_code ec;
  const auto shard_size = fs::file_size(shard, ec);
  if (ec)
    throw TfBundleError(shard + ": data shard of variable '" + e.name + "' is missing or unreadable (" +
                        ec.message() + "); copy every " + fs::path(prefix_).filename().string() +
                        ".data-* file next to the .index file");
  if (static_cast<uint64_t>(e.offset) > shard_size || static_cast<uint64_t>(e.size) > shard_size - e.offset)
    throw TfBundleError(shard + ": variable '" + e.name + "' needs bytes [" + std::to_string(e.offset) + ", " +
                        std::to_string(e.offset + e.size) + ") but the file has only " + std::to_string(shard_size) +
                        " bytes; the shard is truncated or belongs to another checkpoint");

  // Sizes were checked against shape x dtype and against the shard: allocation is bounded by the file.
  const torch::ScalarType st = *torch_dtype_for(e.dtype);
  const torch::ScalarType raw_type = st == torch::kBool ? torch::kByte : st;  // TF bools are 1 byte each
  torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(raw_type));
  auto* dst = static_cast<char*>(t.data_ptr());
  std::ifstream in(shard, std::ios::binary);
  if (!in || !in.seekg(e.offset) || !in.read(dst, static_cast<std::streamsize>(e.size)))
    throw TfBundleError(shard + ": reading variable '" + e.name + "' failed; check the file is readable");

  const uint32_t actual = crc32c::value(dst, static_cast<size_t>(e.size));
  const uint32_t expected = crc32c::unmask(e.masked_crc32c);
  if (actual != expected)
    throw TfBundleError(shard + ": variable '" + e.name + "' fails its CRC32C check (index says " + hex32(expected) +
                        ", data gives " + hex32(actual) + "); the data file is corrupt or from another "
                        "checkpoint — copy it again");
  if (st == torch::kBool) t = t.ne(0);  // any nonzero byte is true, as in TF
  return t;
}

}  // namespace ebm::tf
