#include "models/checkpoint/tf_import.h"

#include "models/checkpoint/name_map.h"
#include "models/registry.h"

#include <map>
#include <set>
#include <sstream>

namespace ebm {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << ']';
  return o.str();
}

// At most `n` names of a list, then "and K more" — errors stay readable for 80-variable models.
std::string list_some(const std::vector<std::string>& names, size_t n = 8) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < n; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > n) out += " and " + std::to_string(names.size() - n) + " more";
  return out;
}

}  // namespace

std::string tf_bookkeeping_reason(const tf::BundleEntry& e, const std::string& scope) {
  const std::string reader_reason = tf::BundleReader::skip_reason(e);
  if (!reader_reason.empty()) return reader_reason;
  const std::string& n = e.name;
  // tf.train.AdamOptimizer: two slots per variable and the bias-correction powers (spec §7).
  if (ends_with(n, "/Adam") || ends_with(n, "/Adam_1")) return "optimizer state (Adam slot)";
  if (n == "beta1_power" || n == "beta2_power" || ends_with(n, "/beta1_power") || ends_with(n, "/beta2_power"))
    return "optimizer state (Adam beta power)";
  if (n == "global_step" || ends_with(n, "/Momentum")) return "training bookkeeping";
  if (n.compare(0, scope.size() + 1, scope + "/") != 0) {
    const auto slash = n.find('/');
    return slash == std::string::npos ? "not a model variable"
                                      : "other scope '" + n.substr(0, slash) + "'";
  }
  return "";
}

std::string choose_tf_scope(const tf::BundleReader& reader, const std::string& requested) {
  std::vector<std::string> names;
  std::set<std::string> scopes;
  for (const auto& e : reader.entries()) {
    if (!tf::BundleReader::skip_reason(e).empty()) continue;
    names.push_back(e.name);
    const auto slash = e.name.find('/');
    if (slash != std::string::npos) scopes.insert(e.name.substr(0, slash));
  }
  std::string list;
  for (const auto& s : scopes) list += (list.empty() ? "" : ", ") + s;
  if (!requested.empty()) {
    if (!scopes.count(requested))
      throw TfImportError(reader.index_path() + ": has no variables under scope '" + requested + "' (scopes: " +
                          (list.empty() ? "none" : list) + "); pass one of them with --scope");
    return requested;
  }
  try {
    const std::string detected = detect_tf_scope(names);
    return detected.empty() ? "context_0" : detected;
  } catch (const std::invalid_argument& e) {
    throw TfImportError(reader.index_path() + ": " + e.what());
  }
}

TfImportReport load_tf_checkpoint(NetworkImpl& net, const std::string& path, const std::string& scope) {
  const tf::BundleReader reader(path);
  return load_tf_checkpoint(net, reader, scope);
}

TfImportReport load_tf_checkpoint(NetworkImpl& net, const tf::BundleReader& reader, const std::string& scope_in) {
  TfImportReport rep;
  rep.prefix = reader.prefix();
  rep.scope = choose_tf_scope(reader, scope_in);
  const std::string& scope = rep.scope;
  const std::string where = reader.index_path();
  const NameMap map = name_map_for(net, scope);

  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : net.named_parameters(/*recurse=*/true)) targets[p.key()] = p.value();
  for (const auto& b : net.named_buffers(/*recurse=*/true)) targets[b.key()] = b.value();

  // Phase 1: read and check everything; the network is not touched until all of it fits.
  std::vector<std::string> missing, mismatched;
  std::vector<std::string> hints;
  std::map<std::string, torch::Tensor> staged;
  std::set<std::string> used;
  for (const NameMapEntry& m : map.entries()) {
    auto target = targets.find(m.module);
    if (target == targets.end())
      throw TfImportError("internal: the network's TF map names '" + m.module + "', which it does not have");
    const tf::BundleEntry* e = reader.find(m.tf);
    if (!e || !tf::BundleReader::skip_reason(*e).empty()) {
      missing.push_back(m.tf);
      continue;
    }
    used.insert(m.tf);
    // Shape check from the index alone, before the bytes are read.
    std::vector<int64_t> want = target->second.sizes().vec();
    if (m.layout == TfLayout::ConvHWIO && want.size() == 4) want = {want[2], want[3], want[1], want[0]};
    if (e->shape != want) {
      mismatched.push_back(m.tf + " is " + shape_str(e->shape) + ", the model expects " + shape_str(want));
      const bool gain = ends_with(m.tf, "/g") || ends_with(m.tf, "/gb");
      if (gain && e->shape.size() == 2 && want.size() == 2)
        hints.push_back("the checkpoint was trained with label size " + std::to_string(e->shape[0]) +
                        " (--label-size " + std::to_string(e->shape[0]) + ")");
      else if (gain && e->shape.size() == 1 && want.size() == 2)
        hints.push_back("the checkpoint was trained without label conditioning (--no-cclass)");
      else if (gain && e->shape.size() == 2 && want.size() == 1)
        hints.push_back("the checkpoint was trained with label conditioning (drop --no-cclass)");
      continue;
    }
    staged[m.module] = tf_to_module_layout(reader.read(*e), m.layout, m.tf);
  }

  // Entries of the scope this model does not use: spectral-norm vectors there mean the checkpoint was
  // trained with spectral norm while the model was built without (its weights would be used raw).
  std::vector<std::string> stray_u;
  for (const auto& e : reader.entries()) {
    if (used.count(e.name)) continue;
    std::string why = tf_bookkeeping_reason(e, scope);
    if (why.empty()) {
      why = "not used by " + to_string(net.config().arch) + " with this configuration";
      if (ends_with(e.name, "_u")) stray_u.push_back(e.name);
    }
    rep.skipped.emplace_back(e.name, why);
  }
  if (!stray_u.empty() && !net.config().spec_norm)
    hints.push_back("the checkpoint has spectral-norm vectors (" + list_some(stray_u, 2) +
                    "): drop --no-spec-norm");
  bool only_u_missing = !missing.empty();
  for (const auto& n : missing) only_u_missing = only_u_missing && ends_with(n, "_u");
  if (only_u_missing) hints.push_back("the checkpoint has no spectral-norm vectors: it was trained with --no-spec-norm");

  if (!missing.empty() || !mismatched.empty() || (!stray_u.empty() && !net.config().spec_norm)) {
    std::ostringstream msg;
    msg << where << ": does not fit a " << to_string(net.config().arch) << " (label size " << net.config().label_size
        << ", num_filters " << net.config().num_filters << ") under scope '" << scope << "'";
    if (!missing.empty()) msg << "; missing " << missing.size() << " variable(s): " << list_some(missing);
    if (!mismatched.empty()) msg << "; wrong shape: " << list_some(mismatched, 4);
    std::set<std::string> seen;
    for (const auto& h : hints)
      if (seen.insert(h).second) msg << "; " << h;
    msg << ". `ebm inspect " << reader.prefix() << "` lists what the checkpoint holds; check --arch, --label-size, "
        << "--num-filters and --scope";
    throw TfImportError(msg.str());
  }

  // Phase 2: copy. Values keep the network's dtype and device.
  torch::NoGradGuard no_grad;
  for (const NameMapEntry& m : map.entries()) {
    torch::Tensor& dst = targets.at(m.module);
    dst.copy_(staged.at(m.module).to(dst.scalar_type()));
    rep.loaded.emplace_back(m.module, m.tf);
  }
  // A cached W/sigma was computed from the old weights.
  if (net.spectral_cache_active()) net.clear_spectral_cache();
  return rep;
}

LoadedTfModel load_tf_network(const std::string& path, const ModelConfig& config, const std::string& scope,
                              std::optional<LabelSchema> schema) {
  const tf::BundleReader reader(path);  // a damaged index fails before a network is built
  LoadedTfModel out;
  out.network = make_network(config, std::move(schema));
  out.report = load_tf_checkpoint(*out.network, reader, scope);
  return out;
}

std::optional<int> tf_label_size(const tf::BundleReader& reader, const std::string& scope) {
  const std::string prefix = scope + "/";
  const std::string suffix = "_res_c1/gb";
  for (const auto& e : reader.entries()) {
    const std::string& n = e.name;
    if (n.compare(0, prefix.size(), prefix) != 0 || n.size() < suffix.size() ||
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    if (e.shape.size() == 2 && e.shape[0] > 0 && e.shape[0] <= 1 << 20) return static_cast<int>(e.shape[0]);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace ebm
