#include "engine/data/image_folder.h"

#include "engine/image/image_io.h"
#include "models/checkpoint/sha256.h"
#include "models/checkpoint/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

namespace ebm::data {

namespace {

namespace fs = std::filesystem;

constexpr float kDefaultLo = -1.f, kDefaultHi = 1.f;  // LabelSchema::generic's range

// One CSV record: fields split at commas, double quotes around a field allow commas and "" inside.
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  for (auto& f : out) {  // surrounding blanks are not part of a value
    const auto a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
  }
  return out;
}

struct Row {
  int line = 0;               // 1-based line of labels.csv
  std::string file;
  std::vector<double> values;  // of the label columns, in order
};

struct Table {
  std::vector<Row> rows;
  std::string csv_bytes;
};

Table read_table(const ImageFolderOptions& opt, const std::string& csv_path) {
  Table t;
  try {
    t.csv_bytes = read_file(csv_path);
  } catch (const std::exception& e) {
    throw DatasetError(csv_path + ": cannot read it (" + e.what() + "); the folder needs a labels.csv "
                       "(header `file,<label columns>`, docs/training.md \"Training on your own images\")");
  }
  std::vector<std::string> lines;
  {
    size_t start = 0;
    while (start <= t.csv_bytes.size()) {
      size_t end = t.csv_bytes.find('\n', start);
      if (end == std::string::npos) end = t.csv_bytes.size();
      std::string l = t.csv_bytes.substr(start, end - start);
      if (!l.empty() && l.back() == '\r') l.pop_back();
      lines.push_back(l);
      start = end + 1;
    }
  }
  if (lines.empty() || lines[0].empty()) throw DatasetError(csv_path + ": empty; its first line must be the header");
  const auto header = split_csv(lines[0]);
  if (header[0] != "file")
    throw DatasetError(csv_path + " line 1: the header must start with the column `file`, got '" + header[0] + "'");
  std::vector<size_t> cols;
  for (const auto& name : opt.label_columns) {
    size_t k = 0;
    while (k < header.size() && header[k] != name) ++k;
    if (k == header.size()) {
      std::string have;
      for (size_t i = 1; i < header.size(); ++i) have += (i > 1 ? ", " : "") + header[i];
      throw DatasetError(csv_path + " line 1: no column '" + name + "' (its label columns: " + have + ")");
    }
    cols.push_back(k);
  }
  std::set<std::string> seen;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;  // blank lines (a final newline)
    const auto f = split_csv(lines[i]);
    const int line = static_cast<int>(i + 1);
    if (f.size() < header.size())
      throw DatasetError(csv_path + " line " + std::to_string(line) + ": " + std::to_string(f.size()) +
                         " columns, the header has " + std::to_string(header.size()));
    Row r{line, f[0], {}};
    if (r.file.empty()) throw DatasetError(csv_path + " line " + std::to_string(line) + ": the file name is empty");
    if (!seen.insert(r.file).second)
      throw DatasetError(csv_path + " line " + std::to_string(line) + ": '" + r.file +
                         "' is listed twice; every image may appear once");
    for (size_t c : cols) {
      const std::string& v = f[c];
      errno = 0;
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || errno == ERANGE || !std::isfinite(d))
        throw DatasetError(csv_path + " line " + std::to_string(line) + ", column '" + header[c] + "': '" + v +
                           "' is not a number");
      r.values.push_back(d);
    }
    t.rows.push_back(std::move(r));
  }
  if (t.rows.empty()) throw DatasetError(csv_path + ": lists no images (only a header)");
  return t;
}

// Checks every column's values against its range (one-hot: integer classes below N) and builds the
// label tensor [N, L] with one-hot columns expanded.
torch::Tensor build_labels(const ImageFolderOptions& opt, const Table& t, const std::string& csv_path,
                           LabelSchema* schema) {
  schema->concept_name = "custom";
  schema->slots.clear();
  std::vector<int> widths;
  for (size_t k = 0; k < opt.label_columns.size(); ++k) {
    const std::string& name = opt.label_columns[k];
    double lo = 1e300, hi = -1e300;
    for (const auto& r : t.rows) lo = std::min(lo, r.values[k]), hi = std::max(hi, r.values[k]);
    if (auto oh = opt.one_hot.find(name); oh != opt.one_hot.end()) {
      for (const auto& r : t.rows) {
        const double v = r.values[k];
        if (v != std::floor(v) || v < 0 || v >= oh->second)
          throw DatasetError(csv_path + " line " + std::to_string(r.line) + ", column '" + name + "': " +
                             std::to_string(v) + " is not a class index 0 … " + std::to_string(oh->second - 1) +
                             " (--one-hot " + name + ":" + std::to_string(oh->second) + "; values seen " +
                             std::to_string(lo) + " … " + std::to_string(hi) + ")");
      }
      for (int c = 0; c < oh->second; ++c) schema->slots.push_back({name + "=" + std::to_string(c), SlotKind::OneHot, 0.f, 1.f, ""});
      widths.push_back(oh->second);
      continue;
    }
    float rlo = kDefaultLo, rhi = kDefaultHi;
    if (auto rg = opt.ranges.find(name); rg != opt.ranges.end()) rlo = rg->second.first, rhi = rg->second.second;
    if (lo < rlo || hi > rhi)
      throw DatasetError(csv_path + ", column '" + name + "': values in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "] seen, its range is [" + std::to_string(rlo) + ", " +
                         std::to_string(rhi) + "]; rescale the column or declare its range with --label-range " + name +
                         ":LO,HI");
    schema->slots.push_back({name, SlotKind::Continuous, rlo, rhi, ""});
    widths.push_back(0);
  }
  const int64_t n = static_cast<int64_t>(t.rows.size());
  auto labels = torch::zeros({n, schema->size()}, torch::kFloat);
  auto a = labels.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    int at = 0;
    for (size_t k = 0; k < widths.size(); ++k) {
      const double v = t.rows[static_cast<size_t>(i)].values[k];
      if (widths[k] > 0) {
        a[i][at + static_cast<int>(v)] = 1.f;
        at += widths[k];
      } else {
        a[i][at++] = static_cast<float>(v);
      }
    }
  }
  return labels;
}

std::string dataset_hash(const std::string& dir, const Table& t) {
  Sha256 h;
  h.update(t.csv_bytes);
  for (const auto& r : t.rows) {
    const std::string path = (fs::path(dir) / r.file).string();
    std::string bytes;
    try {
      bytes = read_file(path);
    } catch (const std::exception& e) {
      throw DatasetError("labels.csv line " + std::to_string(r.line) + ": cannot read " + path + " (" + e.what() + ")");
    }
    h.update(bytes);
  }
  return h.hex_digest();
}

// The cache's sidecar says which dataset and size it holds.
std::string meta_path(const std::string& cache) { return cache + ".json"; }

bool cache_matches(const std::string& cache, const std::string& hash, int64_t n, int size) {
  std::error_code ec;
  if (!fs::is_regular_file(cache, ec) || !fs::is_regular_file(meta_path(cache), ec)) return false;
  try {
    const auto j = nlohmann::json::parse(read_file(meta_path(cache)));
    return j.at("sha256") == hash && j.at("n") == n && j.at("size") == size &&
           fs::file_size(cache) == static_cast<uintmax_t>(n * 3 * size * size);
  } catch (const std::exception&) {
    return false;  // a damaged sidecar: decode again
  }
}

torch::Tensor decode_one(const std::string& dir, const Row& r, int size) {
  const std::string path = (fs::path(dir) / r.file).string();
  try {
    return crop_and_resize(load_image_file(path), size).mul(255.0).round_().to(torch::kUInt8);
  } catch (const std::exception& e) {
    throw DatasetError("labels.csv line " + std::to_string(r.line) + ": " + e.what());
  }
}

}  // namespace

void ImageFolderOptions::validate() const {
  if (dir.empty()) throw std::invalid_argument("--data DIR is required");
  if (label_columns.empty()) throw std::invalid_argument("--label-columns must name at least one column of labels.csv");
  if (size != 64 && size != 128) throw std::invalid_argument("--size must be 64 or 128");
  for (const auto& [col, n] : one_hot) {
    if (n < 2 || n > 4096) throw std::invalid_argument("--one-hot " + col + ": N must be 2 … 4096");
    if (std::find(label_columns.begin(), label_columns.end(), col) == label_columns.end())
      throw std::invalid_argument("--one-hot " + col + ": not one of --label-columns");
  }
  for (const auto& [col, r] : ranges)
    if (!(r.first < r.second)) throw std::invalid_argument("--label-range " + col + ": LO must be below HI");
}

torch::Tensor load_image_file(const std::string& path) { return load_image(path, 3); }

torch::Tensor crop_and_resize(const torch::Tensor& img, int size) {
  const int64_t h = img.size(2), w = img.size(3), side = std::min(h, w);
  auto sq = img.narrow(2, (h - side) / 2, side).narrow(3, (w - side) / 2, side);
  if (side == size) return sq.contiguous();
  namespace F = torch::nn::functional;
  return F::interpolate(sq, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{size, size})
                                .mode(torch::kBilinear)
                                .align_corners(false)
                                .antialias(side > size))  // a downscale averages what it drops
      .clamp(0.0, 1.0);
}

ImageFolderData load_image_folder(const ImageFolderOptions& opt) {
  opt.validate();
  std::error_code ec;
  if (!fs::is_directory(opt.dir, ec)) throw DatasetError("--data " + opt.dir + ": not a directory");
  if (fs::is_empty(opt.dir, ec)) throw DatasetError("--data " + opt.dir + ": the directory is empty");
  const std::string csv = (fs::path(opt.dir) / "labels.csv").string();
  const Table t = read_table(opt, csv);
  ImageFolderData out;
  out.labels = build_labels(opt, t, csv, &out.schema);
  for (const auto& r : t.rows) out.files.push_back(r.file);
  out.sha256 = dataset_hash(opt.dir, t);
  const int64_t n = static_cast<int64_t>(t.rows.size()), s = opt.size, per = 3 * s * s;

  if (!opt.cache.empty() && cache_matches(opt.cache, out.sha256, n, opt.size)) {
    out.images = torch::from_file(opt.cache, /*shared=*/false, n * per, torch::kUInt8).view({n, 3, s, s});
    out.from_cache = true;
    return out;
  }
  torch::NoGradGuard no_grad;
  if (opt.cache.empty()) {
    out.images = torch::empty({n, 3, s, s}, torch::kUInt8);
    for (int64_t i = 0; i < n; ++i) out.images[i].copy_(decode_one(opt.dir, t.rows[static_cast<size_t>(i)], opt.size)[0]);
    return out;
  }
  // Decoded straight into the cache file (never the whole set in memory), renamed into place when
  // complete; its sidecar last, so a cache without one is never trusted.
  const std::string tmp = opt.cache + ".tmp." + std::to_string(::getpid());
  try {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw DatasetError("cannot write the dataset cache " + tmp);
    for (int64_t i = 0; i < n; ++i) {
      const auto px = decode_one(opt.dir, t.rows[static_cast<size_t>(i)], opt.size).contiguous();
      f.write(reinterpret_cast<const char*>(px.data_ptr<uint8_t>()), per);
    }
    if (!f.flush()) throw DatasetError("cannot write the dataset cache " + tmp + " (disk full?)");
  } catch (...) {
    fs::remove(tmp, ec);  // nothing half-written stays behind
    throw;
  }
  fs::rename(tmp, opt.cache, ec);
  if (ec) throw DatasetError("cannot move the dataset cache into place at " + opt.cache + ": " + ec.message());
  write_file_atomic(meta_path(opt.cache),
                    nlohmann::json{{"sha256", out.sha256}, {"n", n}, {"size", opt.size}, {"dir", opt.dir}}.dump());
  out.images = torch::from_file(opt.cache, /*shared=*/false, n * per, torch::kUInt8).view({n, 3, s, s});
  return out;
}

}  // namespace ebm::data
