// `ebm bench`: sampling throughput of the engine (image-steps per second) by model, batch size,
// number of composed terms and device. Models get fresh random weights (throughput does not depend
// on the weights); each term is its own network, as in a real composition of concepts.
#include "app/cli/commands.h"
#include "engine/energy/network_model.h"
#include "engine/sampler.h"
#include "models/registry.h"

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace ebm::cli {

namespace {

struct BenchArgs {
  bool json = false;
  std::string models = "cubesnet";
  std::string batches = "16";
  std::string terms = "1,2";
  int64_t steps = 5;
  int64_t warmup = 2;
  std::string device = "cpu";
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int64_t> split_ints(const std::string& s, const std::string& flag, int64_t lo, int64_t hi) {
  std::vector<int64_t> out;
  for (const auto& item : split(s)) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < lo || v > hi)
      throw std::invalid_argument(flag + ": '" + item + "' is not an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument(flag + ": give at least one value, e.g. 16,64");
  return out;
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

struct Result {
  std::string model;
  int64_t batch, terms, steps;
  double ms_per_step, img_steps_per_s;
};

Result bench_one(Arch arch, int64_t batch, int64_t terms, const BenchArgs& a, const torch::Device& dev) {
  ModelSet models;
  std::vector<Node> children;
  for (int64_t t = 0; t < terms; ++t) {
    torch::manual_seed(static_cast<uint64_t>(t));
    auto net = make_network(ModelConfig::defaults_for(arch));
    const std::string name = "m" + std::to_string(t);
    models[name] = std::make_shared<NetworkModel>(net);
    children.push_back(Node::term(name, name, net->config().cclass ? net->schema().default_label() : std::vector<float>{}));
  }
  Sampler s;
  s.set_models(models);
  s.set_composition(terms == 1 ? children.front() : Node::op(NodeKind::And, children));
  SamplerParams p;
  p.batch = batch;
  p.steps = a.warmup + a.steps;
  p.device = a.device;
  p.init = InitMode::Uniform;
  s.set_params(p);
  s.start();
  for (int64_t i = 0; i < a.warmup; ++i) s.step();
  sync(dev);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < a.steps; ++i) s.step();
  sync(dev);
  (void)s.state().x.sum().item<float>();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {to_string(arch), batch, terms, a.steps, 1000.0 * sec / a.steps, batch * a.steps / sec};
}

void run_bench(const BenchArgs& a) {
  const torch::Device dev = parse_device(a.device);
  if (dev.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("--device " + a.device + ": CUDA is not available in this build or on this machine");
  if (a.steps < 1 || a.steps > 100000 || a.warmup < 0 || a.warmup > 1000)
    throw std::invalid_argument("--steps must be in [1, 100000] and --warmup in [0, 1000]");
  std::vector<Arch> archs;
  for (const auto& m : split(a.models)) {
    Arch arch = arch_from_string(m);
    if (!ModelConfig::defaults_for(arch).is_energy())
      throw std::invalid_argument("--model " + m + " is not an energy model (use cubesnet or resnet128)");
    archs.push_back(arch);
  }
  const auto batches = split_ints(a.batches, "--batch", 1, kMaxBatch);
  const auto terms = split_ints(a.terms, "--terms", 1, 64);
  torch::NoGradGuard no_grad;
  nlohmann::json out = nlohmann::json::array();
  if (!a.json)
    std::printf("%-10s %-6s %6s %6s %6s %10s %12s\n", "model", "device", "batch", "terms", "steps", "ms/step",
                "img-steps/s");
  for (Arch arch : archs)
    for (int64_t b : batches)
      for (int64_t t : terms) {
        Result r = bench_one(arch, b, t, a, dev);
        if (a.json) {
          out.push_back({{"model", r.model}, {"device", a.device}, {"batch", r.batch}, {"terms", r.terms},
                         {"steps", r.steps}, {"ms_per_step", r.ms_per_step}, {"img_steps_per_s", r.img_steps_per_s},
                         {"threads", at::get_num_threads()}});
        } else {
          std::printf("%-10s %-6s %6lld %6lld %6lld %10.2f %12.1f\n", r.model.c_str(), a.device.c_str(),
                      static_cast<long long>(r.batch), static_cast<long long>(r.terms), static_cast<long long>(r.steps),
                      r.ms_per_step, r.img_steps_per_s);
          std::fflush(stdout);
        }
      }
  if (a.json) std::cout << out.dump(2) << "\n";
}

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* sub = app.add_subcommand("bench", "Measure sampling throughput (image-steps/s) by model, batch, terms, device");
  sub->add_flag("--json", args->json, "print JSON instead of a table");
  sub->add_option("--model", args->models, "cubesnet, resnet128 or a comma list")->capture_default_str();
  sub->add_option("--batch", args->batches, "batch sizes, comma list (e.g. 16,64)")->capture_default_str();
  sub->add_option("--terms", args->terms, "numbers of composed terms, comma list (e.g. 1,2,4)")->capture_default_str();
  sub->add_option("--steps", args->steps, "timed Langevin steps per configuration")->capture_default_str();
  sub->add_option("--warmup", args->warmup, "untimed steps first")->capture_default_str();
  sub->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  sub->callback([args] {
    try {
      run_bench(*args);
      set_exit_code(0);
    } catch (const std::invalid_argument& e) {
      std::cerr << "ebm bench: " << e.what() << "\n";
      set_exit_code(2);
    } catch (const std::exception& e) {
      std::cerr << "ebm bench: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace

EBM_CLI_COMMAND(810, register_bench);

}  // namespace ebm::cli
