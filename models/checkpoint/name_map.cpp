#include "models/checkpoint/name_map.h"

#include <set>
#include <stdexcept>
#include <unordered_map>

namespace ebm {

namespace {

std::string last_component(const std::string& s, char sep) {
  auto p = s.find_last_of(sep);
  return p == std::string::npos ? s : s.substr(p + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

NameMap NameMap::from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  NameMap m;
  std::set<std::string> modules, tfs;
  for (const auto& [module, tf] : pairs) {
    if (!modules.insert(module).second) throw std::invalid_argument("name map: module name '" + module + "' appears twice");
    if (!tfs.insert(tf).second) throw std::invalid_argument("name map: TF name '" + tf + "' appears twice");
    // Conv weights are the parameters named `c` (Conv::c in the reference port, attention q/k/v too).
    const TfLayout layout = last_component(module, '.') == "c" ? TfLayout::ConvHWIO : TfLayout::AsIs;
    m.entries_.push_back({module, tf, layout});
  }
  return m;
}

std::optional<std::string> NameMap::tf_name(const std::string& module) const {
  for (const auto& e : entries_)
    if (e.module == module) return e.tf;
  return std::nullopt;
}

std::optional<std::string> NameMap::module_name(const std::string& tf) const {
  for (const auto& e : entries_)
    if (e.tf == tf) return e.module;
  return std::nullopt;
}

torch::Tensor module_to_tf_layout(const torch::Tensor& t, TfLayout layout, const std::string& name) {
  if (layout == TfLayout::AsIs) return t;
  if (t.dim() != 4)
    throw std::invalid_argument("conv weight '" + name + "' must be 4-D [cout,cin,k,k], got " +
                                std::to_string(t.dim()) + "-D");
  return t.permute({2, 3, 1, 0}).contiguous();  // OIHW -> HWIO
}

torch::Tensor tf_to_module_layout(const torch::Tensor& t, TfLayout layout, const std::string& name) {
  if (layout == TfLayout::AsIs) return t;
  if (t.dim() != 4)
    throw std::invalid_argument("conv weight '" + name + "' must be 4-D [k,k,cin,cout] (HWIO), got " +
                                std::to_string(t.dim()) + "-D");
  return t.permute({3, 2, 0, 1}).contiguous();  // HWIO -> OIHW
}

namespace {

NameConversion convert(const std::vector<NameMapEntry>& entries, const TensorMap& src, bool to_tf) {
  NameConversion out;
  std::set<std::string> used;
  for (const auto& e : entries) {
    const std::string& from = to_tf ? e.module : e.tf;
    const std::string& to = to_tf ? e.tf : e.module;
    auto it = src.find(from);
    if (it == src.end()) {
      out.missing.push_back(to);
      continue;
    }
    used.insert(from);
    out.tensors[to] = to_tf ? module_to_tf_layout(it->second, e.layout, from) : tf_to_module_layout(it->second, e.layout, from);
  }
  for (const auto& [name, t] : src)
    if (!used.count(name)) out.unused.push_back(name);
  return out;
}

}  // namespace

NameConversion NameMap::to_tf(const TensorMap& module_state) const { return convert(entries_, module_state, true); }
NameConversion NameMap::to_module(const TensorMap& tf_state) const { return convert(entries_, tf_state, false); }

namespace {

// Optimizer slots and global counters of a TF checkpoint: never model variables.
bool is_tf_bookkeeping(const std::string& name) {
  return ends_with(name, "/Adam") || ends_with(name, "/Adam_1") || ends_with(name, "/Momentum") ||
         name.find('/') == std::string::npos;
}

}  // namespace

std::string detect_tf_scope(const std::vector<std::string>& names) {
  std::set<std::string> scopes;
  for (const auto& n : names) {
    if (is_tf_bookkeeping(n)) continue;
    const auto first = n.find('/');
    if (n.find('/', first + 1) == std::string::npos) continue;  // `scope/var`: not a layer variable
    scopes.insert(n.substr(0, first));
  }
  if (scopes.empty()) return {};
  if (scopes.size() > 1) {
    std::string list;
    for (const auto& s : scopes) list += (list.empty() ? "" : ", ") + s;
    throw std::invalid_argument("the file holds variables under several TF scopes (" + list +
                                "); pick one with --scope");
  }
  return *scopes.begin();
}

bool looks_tf_named(const std::vector<std::string>& names) {
  std::size_t slash = 0;
  for (const auto& n : names)
    if (n.find('/') != std::string::npos) ++slash;
  return slash > 0 && slash * 2 >= names.size();
}

}  // namespace ebm
