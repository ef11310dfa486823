// `ebm inspect PREFIX`: lists a TensorFlow checkpoint's variables (dtype, shape), like TF's
// inspect_checkpoint tool but without TensorFlow; `--values NAME` prints a tensor, `--verify`
// reads every tensor and checks its CRC32C.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "models/checkpoint/tf_bundle.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace ebm::cli {

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? "," : "") << shape[i];
  s << ']';
  return s.str();
}

// One value as text: floats with enough digits to round-trip a float32 (%.9g), ints exactly.
std::string value_str(const torch::Tensor& flat, int64_t i) {
  char buf[40];
  if (flat.scalar_type() == torch::kBool) return flat[i].item<bool>() ? "true" : "false";
  if (flat.is_floating_point()) {
    std::snprintf(buf, sizeof buf, "%.9g", flat[i].item<double>());
    return buf;
  }
  return std::to_string(flat[i].item<int64_t>());
}

// Prints rows of the last dimension, each prefixed by its leading index ("[2,0,:]"), so large
// tensors stay readable and greppable. At most `limit` values (0 = all).
void print_values(const tf::BundleEntry& e, const torch::Tensor& t, int64_t limit) {
  std::cout << e.name << "  " << tf::dtype_name(e.dtype) << "  " << shape_str(e.shape) << "\n";
  const torch::Tensor flat = t.reshape({-1});
  const int64_t n = flat.numel();
  const int64_t shown = limit > 0 ? std::min(limit, n) : n;
  if (t.dim() == 0) {
    std::cout << value_str(flat, 0) << "\n";
    return;
  }
  const int64_t row = std::max<int64_t>(t.size(-1), 1);
  for (int64_t start = 0; start < shown; start += row) {
    std::cout << '[';
    // Leading index of row number start/row in row-major order over dims [0, D-1).
    std::vector<int64_t> idx(t.dim() - 1);
    int64_t r = start / row;
    for (int64_t d = t.dim() - 2; d >= 0; --d) {
      idx[d] = r % t.size(d);
      r /= t.size(d);
    }
    for (size_t d = 0; d < idx.size(); ++d) std::cout << idx[d] << ',';
    std::cout << ":]";
    for (int64_t i = start; i < std::min(start + row, shown); ++i) std::cout << ' ' << value_str(flat, i);
    std::cout << "\n";
  }
  if (shown < n) std::cout << "... (" << n - shown << " more values; --limit 0 prints all)\n";
}

nlohmann::json values_json(const torch::Tensor& t) {
  const torch::Tensor flat = t.reshape({-1});
  nlohmann::json arr = nlohmann::json::array();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (flat.scalar_type() == torch::kBool) arr.push_back(flat[i].item<bool>());
    else if (flat.is_floating_point()) arr.push_back(flat[i].item<double>());
    else arr.push_back(flat[i].item<int64_t>());
  }
  return arr;
}

struct InspectArgs {
  std::string path;
  bool json = false;
  bool verify = false;
  std::vector<std::string> values;
  int64_t limit = 1000;
};

void run_inspect(const InspectArgs& a) {
  const tf::BundleReader reader(a.path);
  const auto& entries = reader.entries();
  int64_t total_bytes = 0;
  for (const auto& e : entries) total_bytes += e.size;

  if (a.verify)
    for (const auto& e : entries)
      if (tf::BundleReader::skip_reason(e).empty()) (void)reader.read(e);  // throws on a CRC mismatch

  if (a.json) {
    nlohmann::json j;
    j["prefix"] = reader.prefix();
    j["num_shards"] = reader.header().num_shards;
    j["data_bytes"] = total_bytes;
    if (a.verify) j["verified"] = true;
    auto& vars = j["variables"] = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json v{{"name", e.name}, {"dtype", tf::dtype_name(e.dtype)}, {"shape", e.shape},
                       {"shard", e.shard_id}, {"offset", e.offset}, {"bytes", e.size}};
      const std::string skip = tf::BundleReader::skip_reason(e);
      if (!skip.empty()) v["skipped"] = skip;
      vars.push_back(v);
    }
    if (!a.values.empty()) {
      auto& vals = j["values"] = nlohmann::json::object();
      for (const auto& name : a.values) vals[name] = values_json(reader.read(name));
    }
    std::cout << j.dump(2) << "\n";
    return;
  }

  if (!a.values.empty()) {
    for (const auto& name : a.values) {
      const tf::BundleEntry* e = reader.find(name);
      print_values(e ? *e : tf::BundleEntry{}, reader.read(name), a.limit);  // read() throws when absent
    }
    if (a.verify) std::cout << "all tensors read, every CRC32C matches\n";
    return;
  }
  size_t width = 0;
  for (const auto& e : entries) width = std::max(width, e.name.size());
  int skipped = 0;
  std::cout << "checkpoint " << reader.prefix() << ": " << entries.size() << " entries, "
            << reader.header().num_shards << " data shard(s), " << total_bytes << " bytes\n";
  for (const auto& e : entries) {
    const std::string skip = tf::BundleReader::skip_reason(e);
    std::cout << std::left << std::setw(static_cast<int>(width)) << e.name << "  " << std::setw(9)
              << tf::dtype_name(e.dtype) << ' ' << shape_str(e.shape);
    if (!skip.empty()) {
      std::cout << "  (skipped: " << skip << ")";
      ++skipped;
    }
    std::cout << "\n";
  }
  if (skipped) std::cout << skipped << " entr" << (skipped == 1 ? "y" : "ies") << " will not be loaded (see notes)\n";
  if (a.verify) std::cout << "all tensors read, every CRC32C matches\n";
}

void register_inspect(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  auto* sub = app.add_subcommand("inspect", "List the variables of a TensorFlow checkpoint (no TensorFlow needed)");
  sub->add_option("checkpoint", args->path,
                  "Checkpoint prefix (model_30000), its .index file, or the directory with the `checkpoint` file")
      ->required();
  sub->add_flag("--json", args->json, "Print JSON instead of a table");
  sub->add_option("--values", args->values, "Print the values of this variable (repeatable)");
  sub->add_option("--limit", args->limit, "At most this many values per variable in the table output (0 = all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--verify", args->verify, "Read every tensor and check its CRC32C");
  sub->callback([args] { run_command("inspect", [&] { run_inspect(*args); }, ArgumentErrors::Input); });
}

}  // namespace

EBM_CLI_COMMAND(300, register_inspect);

}  // namespace ebm::cli
