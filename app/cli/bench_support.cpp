#include "app/cli/bench_support.h"

#include "engine/energy/network_model.h"

#include <cmath>
#include <string>
#include <vector>

namespace ebm::cli {

BenchComposition make_bench_composition(Arch arch, std::int64_t terms) {
  BenchComposition c;
  std::vector<Node> children;
  for (std::int64_t t = 0; t < terms; ++t) {
    torch::manual_seed(static_cast<std::uint64_t>(t));
    auto net = make_network(ModelConfig::defaults_for(arch));
    const std::string name = "m" + std::to_string(t);
    c.models[name] = std::make_shared<NetworkModel>(net);
    children.push_back(Node::term(name, name, net->config().cclass ? net->schema().default_label() : std::vector<float>{}));
  }
  c.root = terms == 1 ? children.front() : Node::op(NodeKind::And, children);
  return c;
}

gpu::AtlasLayout atlas_for(std::int64_t batch, std::int64_t size) {
  gpu::AtlasLayout l;
  l.count = static_cast<int>(batch);
  l.cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(batch))));
  l.rows = static_cast<int>((batch + l.cols - 1) / l.cols);
  l.cell_w = l.cell_h = static_cast<int>(size);
  return l;
}

}  // namespace ebm::cli
