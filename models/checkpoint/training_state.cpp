#include "models/checkpoint/training_state.h"

#include <ATen/CPUGeneratorImpl.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <type_traits>

namespace ebm {

namespace {

constexpr const char* kKind = "training_state";

// The optimizer's state map is keyed by a string of the TensorImpl pointer in LibTorch 1.x and by
// the pointer itself in 2.x; build whichever this LibTorch uses.
template <typename Map>
typename Map::key_type state_key(const torch::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    // LibTorch 1.x formats the pointer with operator<< (c10::guts::to_string, gone in 2.x).
    std::ostringstream os;
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

using StateMap = std::decay_t<decltype(std::declval<torch::optim::Adam&>().state())>;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw TrainingStateError("training state '" + path + "': " + what);
}

// Module parameter names by TensorImpl, to name the optimizer's parameters.
std::map<const void*, std::string> names_by_impl(const torch::nn::Module& module) {
  std::map<const void*, std::string> out;
  for (const auto& kv : module.named_parameters(/*recurse=*/true)) out[kv.value().unsafeGetTensorImpl()] = kv.key();
  return out;
}

std::string shape_text(c10::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

void save_training_state(const std::string& path, const torch::optim::Adam& optimizer,
                         const torch::nn::Module& module, const TrainingExtras& extras) {
  const auto names = names_by_impl(module);
  TensorMap tensors;
  nlohmann::json groups = nlohmann::json::array();
  nlohmann::json steps = nlohmann::json::object();
  for (const auto& group : optimizer.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    nlohmann::json g = {{"lr", o.lr()},
                        {"betas", {std::get<0>(o.betas()), std::get<1>(o.betas())}},
                        {"eps", o.eps()},
                        {"weight_decay", o.weight_decay()},
                        {"amsgrad", o.amsgrad()},
                        {"params", nlohmann::json::array()}};
    for (const auto& p : group.params()) {
      auto it = names.find(p.unsafeGetTensorImpl());
      if (it == names.end())
        throw TrainingStateError("cannot save training state '" + path + "': the optimizer holds a parameter of shape " +
                                 shape_text(p.sizes()) + " that the given module does not have");
      const std::string& name = it->second;
      g["params"].push_back(name);
      auto st = optimizer.state().find(state_key<StateMap>(p));
      if (st == optimizer.state().end()) continue;  // no step taken for it yet
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*st->second);
      steps[name] = static_cast<std::int64_t>(s.step());
      tensors["adam." + name + ".exp_avg"] = s.exp_avg();
      tensors["adam." + name + ".exp_avg_sq"] = s.exp_avg_sq();
      if (s.max_exp_avg_sq().defined()) tensors["adam." + name + ".max_exp_avg_sq"] = s.max_exp_avg_sq();
    }
    groups.push_back(g);
  }
  for (const auto& [k, t] : extras.tensors) tensors["extra." + k] = t;
  const Metadata meta{{"ebm.format_version", "1"},
                      {"ebm.kind", kKind},
                      {"ebm.optimizer", nlohmann::json{{"type", "adam"}, {"groups", groups}, {"steps", steps}}.dump()},
                      {"ebm.training", extras.info.dump()}};
  write_safetensors(path, tensors, meta);
}

TrainingExtras load_training_state(const std::string& path, torch::optim::Adam& optimizer,
                                   const torch::nn::Module& module) {
  SafetensorsFile f = read_safetensors(path);
  auto kind = f.metadata.find("ebm.kind");
  if (kind == f.metadata.end() || kind->second != kKind)
    bad(path, "not a training state file (metadata ebm.kind is not 'training_state'); was a model file given?");
  nlohmann::json opt, info;
  try {
    opt = nlohmann::json::parse(f.metadata.at("ebm.optimizer"));
    info = nlohmann::json::parse(f.metadata.count("ebm.training") ? f.metadata.at("ebm.training") : "{}");
  } catch (const std::exception& e) {
    bad(path, std::string("its optimizer/training metadata is not valid JSON: ") + e.what());
  }
  if (opt.value("type", "") != "adam") bad(path, "it holds optimizer '" + opt.value("type", "?") + "', expected adam");

  const auto names = names_by_impl(module);
  auto& groups = optimizer.param_groups();
  const auto& fgroups = opt["groups"];
  if (!fgroups.is_array() || fgroups.size() != groups.size())
    bad(path, "it has " + std::to_string(fgroups.is_array() ? fgroups.size() : 0) + " parameter groups, the optimizer " +
                  std::to_string(groups.size()));

  // Build the complete new state first; only then swap it in (all or nothing).
  struct Pending {
    std::size_t group;
    torch::optim::AdamOptions options;
    std::vector<std::pair<torch::Tensor, std::unique_ptr<torch::optim::AdamParamState>>> states;
  };
  std::vector<Pending> pending;
  std::set<std::string> used;
  try {
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      const auto& fg = fgroups[gi];
      const auto& params = groups[gi].params();
      if (fg["params"].size() != params.size())
        bad(path, "group " + std::to_string(gi) + " has " + std::to_string(fg["params"].size()) + " parameters in the file, " +
                      std::to_string(params.size()) + " in the optimizer");
      Pending pg{gi, torch::optim::AdamOptions(fg.at("lr").get<double>()), {}};
      pg.options.betas({fg.at("betas")[0].get<double>(), fg.at("betas")[1].get<double>()})
          .eps(fg.at("eps").get<double>())
          .weight_decay(fg.at("weight_decay").get<double>())
          .amsgrad(fg.at("amsgrad").get<bool>());
      for (std::size_t pi = 0; pi < params.size(); ++pi) {
        const auto& p = params[pi];
        auto nit = names.find(p.unsafeGetTensorImpl());
        if (nit == names.end()) bad(path, "the optimizer holds a parameter that the given module does not have");
        const std::string& name = nit->second;
        const std::string stored = fg["params"][pi].get<std::string>();
        if (stored != name) bad(path, "parameter " + std::to_string(pi) + " of group " + std::to_string(gi) + " is '" + stored + "' in the file but '" + name + "' here");
        if (!opt["steps"].contains(name)) continue;
        auto st = std::make_unique<torch::optim::AdamParamState>();
        st->step(opt["steps"][name].get<std::int64_t>());
        for (const char* slot : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
          const std::string key = "adam." + name + "." + slot;
          auto it = f.tensors.find(key);
          if (it == f.tensors.end()) {
            if (std::string(slot) == "max_exp_avg_sq") continue;
            bad(path, "missing tensor '" + key + "'");
          }
          if (it->second.sizes() != p.sizes())
            bad(path, "tensor '" + key + "' has shape " + shape_text(it->second.sizes()) + " but parameter '" + name + "' is " + shape_text(p.sizes()));
          used.insert(key);
          torch::Tensor t = it->second.to(p.options());
          if (std::string(slot) == "exp_avg") st->exp_avg(t);
          else if (std::string(slot) == "exp_avg_sq") st->exp_avg_sq(t);
          else st->max_exp_avg_sq(t);
        }
        pg.states.emplace_back(p, std::move(st));
      }
      pending.push_back(std::move(pg));
    }
  } catch (const nlohmann::json::exception& e) {
    bad(path, std::string("its optimizer metadata is malformed: ") + e.what());
  }
  for (const auto& [k, t] : f.tensors)
    if (k.rfind("adam.", 0) == 0 && !used.count(k)) bad(path, "tensor '" + k + "' belongs to no parameter of the optimizer");

  for (auto& pg : pending) {
    static_cast<torch::optim::AdamOptions&>(groups[pg.group].options()) = pg.options;
    for (const auto& p : groups[pg.group].params()) optimizer.state().erase(state_key<StateMap>(p));
    for (auto& [p, st] : pg.states) optimizer.state()[state_key<StateMap>(p)] = std::move(st);
  }
  TrainingExtras extras;
  extras.info = info;
  for (auto& [k, t] : f.tensors)
    if (k.rfind("extra.", 0) == 0) extras.tensors[k.substr(6)] = t;
  return extras;
}

torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace ebm
