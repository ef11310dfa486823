#include "tests/tf/bundle_writer.h"

#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/tf_bundle.h"

#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace ebm::tftest {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_tag(std::string& out, int field, int wire) { put_varint(out, (static_cast<uint64_t>(field) << 3) | wire); }
void put_varint_field(std::string& out, int field, uint64_t v) {
  put_tag(out, field, 0);
  put_varint(out, v);
}
void put_bytes_field(std::string& out, int field, const std::string& bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}

}  // namespace

int tf_dtype_of(torch::ScalarType t) {
  using tf::DataType;
  switch (t) {
    case torch::kFloat: return static_cast<int>(DataType::Float);
    case torch::kDouble: return static_cast<int>(DataType::Double);
    case torch::kHalf: return static_cast<int>(DataType::Half);
    case torch::kBFloat16: return static_cast<int>(DataType::BFloat16);
    case torch::kInt: return static_cast<int>(DataType::Int32);
    case torch::kLong: return static_cast<int>(DataType::Int64);
    case torch::kShort: return static_cast<int>(DataType::Int16);
    case torch::kChar: return static_cast<int>(DataType::Int8);
    case torch::kByte: return static_cast<int>(DataType::UInt8);
    case torch::kBool: return static_cast<int>(DataType::Bool);
    default: throw std::runtime_error("bundle writer: unsupported torch dtype");
  }
}

std::string encode_entry(const tf::BundleEntry& e) {
  std::string out;
  // proto3 leaves default values out, as TF's serializer does.
  if (e.dtype) put_varint_field(out, 1, static_cast<uint64_t>(static_cast<int64_t>(e.dtype)));
  std::string shape;
  for (int64_t d : e.shape) {
    std::string dim;
    if (d) put_varint_field(dim, 1, static_cast<uint64_t>(d));
    put_bytes_field(shape, 2, dim);
  }
  if (e.unknown_rank) put_varint_field(shape, 3, 1);
  put_bytes_field(out, 2, shape);
  if (e.shard_id) put_varint_field(out, 3, static_cast<uint64_t>(static_cast<int64_t>(e.shard_id)));
  if (e.offset) put_varint_field(out, 4, static_cast<uint64_t>(e.offset));
  if (e.size) put_varint_field(out, 5, static_cast<uint64_t>(e.size));
  put_tag(out, 6, 5);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((e.masked_crc32c >> (8 * i)) & 0xff);
  for (int i = 0; i < e.num_slices; ++i) put_bytes_field(out, 7, std::string());
  return out;
}

std::string encode_header(int num_shards, int endianness, int min_consumer) {
  std::string out, version;
  if (num_shards) put_varint_field(out, 1, static_cast<uint64_t>(static_cast<int64_t>(num_shards)));
  if (endianness) put_varint_field(out, 2, static_cast<uint64_t>(endianness));
  put_varint_field(version, 1, 1);  // producer = kTensorBundleVersion
  if (min_consumer) put_varint_field(version, 2, static_cast<uint64_t>(min_consumer));
  put_bytes_field(out, 3, version);
  return out;
}

BundleWriter::BundleWriter(std::string prefix, WriterOptions opt) : prefix_(std::move(prefix)), opt_(opt) {}

void BundleWriter::add(const std::string& name, const torch::Tensor& t, int shard) {
  const torch::Tensor c = t.contiguous().cpu();
  tf::BundleEntry e;
  e.name = name;
  e.dtype = tf_dtype_of(c.scalar_type());
  e.shape = c.sizes().vec();
  e.shard_id = shard >= 0 ? shard : (next_shard_++ % opt_.num_shards);
  const torch::Tensor raw = c.scalar_type() == torch::kBool ? c.to(torch::kByte) : c;
  std::string bytes(static_cast<const char*>(raw.data_ptr()), raw.numel() * raw.element_size());
  items_.push_back({e, std::move(bytes), false, {}});
}

void BundleWriter::add_raw(const tf::BundleEntry& e, const std::string& bytes, bool keep_layout) {
  items_.push_back({e, bytes, keep_layout, {}});
}

void BundleWriter::add_raw_value(const std::string& name, const std::string& value) {
  tf::BundleEntry e;
  e.name = name;
  items_.push_back({e, {}, true, value});
}

void BundleWriter::finish() {
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.entry.name < b.entry.name; });
  std::vector<std::string> shards(opt_.num_shards);
  for (Item& it : items_) {
    std::string& shard = shards.at(it.entry.shard_id >= 0 && it.entry.shard_id < opt_.num_shards ? it.entry.shard_id : 0);
    if (!it.keep_layout) {
      it.entry.offset = static_cast<int64_t>(shard.size());
      it.entry.size = static_cast<int64_t>(it.bytes.size());
      it.entry.masked_crc32c = crc32c::mask(crc32c::value(it.bytes.data(), it.bytes.size()));
    }
    shard += it.bytes;
  }
  for (int i = 0; i < opt_.num_shards; ++i) {
    std::ofstream out(tf::shard_path(prefix_, i, opt_.num_shards), std::ios::binary | std::ios::trunc);
    out.write(shards[i].data(), static_cast<std::streamsize>(shards[i].size()));
    if (!out) throw std::runtime_error("bundle writer: cannot write shard " + std::to_string(i));
  }

  leveldb::Options options;
  options.block_size = opt_.block_size;
  options.compression = opt_.snappy ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  leveldb::WritableFile* raw_file = nullptr;
  leveldb::Status s = leveldb::Env::Default()->NewWritableFile(prefix_ + ".index", &raw_file);
  if (!s.ok()) throw std::runtime_error("bundle writer: " + s.ToString());
  std::unique_ptr<leveldb::WritableFile> file(raw_file);
  leveldb::TableBuilder builder(options, file.get());
  if (opt_.write_header) {
    const int n = opt_.header_num_shards >= 0 ? opt_.header_num_shards : opt_.num_shards;
    builder.Add("", encode_header(n, opt_.endianness, opt_.min_consumer));
  }
  for (const Item& it : items_)
    builder.Add(it.entry.name, it.raw_value.empty() ? encode_entry(it.entry) : it.raw_value);
  s = builder.Finish();
  if (s.ok()) s = file->Close();
  if (!s.ok()) throw std::runtime_error("bundle writer: " + s.ToString());
}

}  // namespace ebm::tftest
