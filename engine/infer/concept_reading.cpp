#include "engine/infer/concept_reading.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace ebm {

namespace {

constexpr int64_t kMaxGridPoints = 512;   // beyond this, random points of the range instead of a grid
constexpr double kRunnerUpDistance = 0.25;  // a runner-up lies this far (range units) from the winner

// What the model reads for every image: the images, the noise draws and their levels.
struct Reader {
  EnergyModel& model;
  bool denoise;          // score by the denoising error instead of the energy
  torch::Tensor images;  // [N,C,H,W]
  torch::Tensor eps;     // [D,N,C,H,W] unit noise draws, or undefined (read the image itself)
  std::vector<torch::Tensor> sigmas;  // D noise levels, 0-dim on the images' device
  int64_t chunk;

  int64_t draws() const { return eps.defined() ? eps.size(0) : 1; }

  // The score of each row of one chunk (images x, labels lab, their indices idx) at noise draw d.
  // With `keep_graph` it stays differentiable w.r.t. the labels.
  torch::Tensor score(const torch::Tensor& x, const torch::Tensor& lab, const torch::Tensor& idx, int64_t d,
                      bool keep_graph) const {
    const torch::Tensor sigma = sigmas.empty() ? torch::zeros({}, x.options()) : sigmas[static_cast<size_t>(d)];
    const torch::Tensor e_d = eps.defined() ? eps[d].index_select(0, idx) : torch::Tensor();
    torch::Tensor out;
    if (!denoise) {
      const auto xd = e_d.defined() ? x + sigma * e_d : x;
      out = model.energy_at(xd, lab, torch::Tensor(), sigma).reshape({-1});
    } else {
      torch::AutoGradMode grad_on(true);
      const auto xd = (x + sigma * e_d).detach().requires_grad_(true);
      const auto e = model.energy_at(xd, lab, torch::Tensor(), sigma).reshape({-1});
      const auto g = torch::autograd::grad({e.sum()}, {xd}, {}, /*retain_graph=*/keep_graph,
                                           /*create_graph=*/keep_graph)[0];
      out = (sigma * g - e_d).square().flatten(1).mean(1);
    }
    return keep_graph ? out : out.detach();
  }

  // Scores [R] of rows (image index, label), averaged over the draws, without gradient.
  torch::Tensor rows(const torch::Tensor& image_index, const torch::Tensor& labels) const {
    std::vector<torch::Tensor> out;
    for (int64_t s = 0; s < image_index.size(0); s += chunk) {
      const int64_t n = std::min(chunk, image_index.size(0) - s);
      const auto idx = image_index.narrow(0, s, n);
      const auto lab = labels.narrow(0, s, n);
      const auto x = images.index_select(0, idx);
      torch::Tensor total;
      for (int64_t d = 0; d < draws(); ++d) {
        const auto sc = score(x, lab, idx, d, false);
        total = total.defined() ? total + sc : sc;
      }
      out.push_back(total / static_cast<double>(draws()));
    }
    return torch::cat(out);
  }

  // The gradient of rows(image_index, labels).sum() into the leaves `labels` is computed from,
  // accumulated one chunk and draw at a time: each one's graph (the network's activations, and for
  // denoising models the input gradient's) is freed before the next is built. With the whole read's
  // graph at once, `ebm infer` on 64 renders held 98 GB of an H200 and failed (2026-12-06, seventh
  // sitting); the memory now stays that of one chunk whatever the number of images.
  void backward_rows(const torch::Tensor& image_index, const torch::Tensor& labels) const {
    for (int64_t s = 0; s < image_index.size(0); s += chunk) {
      const int64_t n = std::min(chunk, image_index.size(0) - s);
      const auto idx = image_index.narrow(0, s, n);
      const auto x = images.index_select(0, idx);
      for (int64_t d = 0; d < draws(); ++d) {
        // labels' own graph (label = lo + u·span) is shared by every chunk: retain it.
        (score(x, labels.narrow(0, s, n), idx, d, true).sum() / static_cast<double>(draws()))
            .backward({}, /*retain_graph=*/true);
      }
    }
  }
};

int grid_points(const ReadOptions& opt, int slots) {
  if (opt.grid > 0) return opt.grid;
  return slots == 1 ? 17 : slots == 2 ? 9 : 4;
}

// Candidate points in u ∈ [0,1]^L (the range mapped to the unit cube): a grid, or random points
// when the grid would be too large.
torch::Tensor candidate_points(int slots, int per_slot, uint64_t seed) {
  const double total = std::pow(static_cast<double>(per_slot), slots);
  if (total > kMaxGridPoints) {
    auto gen = at::detail::createCPUGenerator(seed ^ 0x9e3779b97f4a7c15ULL);
    return torch::rand({kMaxGridPoints, slots}, gen, torch::kFloat);
  }
  auto axis = torch::linspace(0.0, 1.0, per_slot);
  std::vector<torch::Tensor> axes(static_cast<size_t>(slots), axis);
  auto mesh = torch::meshgrid(axes, "ij");
  std::vector<torch::Tensor> cols;
  for (auto& m : mesh) cols.push_back(m.reshape({-1}));
  return torch::stack(cols, 1);
}

ConceptReading one_hot_reading(const torch::Tensor& scores_row) {
  ConceptReading r;
  const auto e = scores_row.to(torch::kDouble).cpu().contiguous();
  r.class_scores.assign(e.data_ptr<double>(), e.data_ptr<double>() + e.size(0));
  const auto order = torch::argsort(e);
  const int64_t best = order[0].item<int64_t>();
  r.label.assign(static_cast<size_t>(e.size(0)), 0.f);
  r.label[static_cast<size_t>(best)] = 1.f;
  r.score = r.class_scores[static_cast<size_t>(best)];
  r.margin = e.size(0) > 1 ? r.class_scores[static_cast<size_t>(order[1].item<int64_t>())] - r.score
                           : std::numeric_limits<double>::quiet_NaN();
  return r;
}

}  // namespace

ReadCriterion read_criterion_from_string(const std::string& s) {
  if (s == "auto") return ReadCriterion::Auto;
  if (s == "energy") return ReadCriterion::Energy;
  if (s == "denoise") return ReadCriterion::Denoise;
  throw std::invalid_argument("unknown reading criterion '" + s + "' (expected auto, energy or denoise)");
}

void ReadOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument(m);
  };
  req(std::isfinite(sigma_min) && std::isfinite(sigma_max) && sigma_min > 0 && sigma_min <= sigma_max && sigma_max <= 10,
      "--sigmas must be LO,HI with 0 < LO <= HI <= 10");
  req(levels >= 1 && levels <= 64, "--levels must be 1 … 64");
  req(noise_draws >= 1 && noise_draws <= 64, "--noise-draws must be 1 … 64");
  req(grid == 0 || (grid >= 2 && grid <= 64), "--grid must be 0 (automatic) or 2 … 64");
  req(starts >= 1 && starts <= 64, "--starts must be 1 … 64");
  req(steps >= 0 && steps <= 10000, "--steps must be 0 … 10000");
  req(std::isfinite(lr) && lr > 0 && lr < 1, "--lr must be in (0, 1)");
  req(chunk >= 1, "chunk must be >= 1");
}

std::string ConceptReading::describe(const LabelSchema& schema) const { return describe_label(label, schema); }

std::string describe_label(const std::vector<float>& label, const LabelSchema& schema) {
  if (schema.one_hot()) {
    const auto it = std::max_element(label.begin(), label.end());
    const size_t k = static_cast<size_t>(it - label.begin());
    return k < schema.slots.size() ? schema.slots[k].name : "class " + std::to_string(k);
  }
  std::string s = label.size() > 1 ? "(" : "";
  for (size_t i = 0; i < label.size(); ++i) {
    char b[32];
    std::snprintf(b, sizeof b, "%s%.3f", i ? ", " : "", label[i]);
    s += b;
  }
  return s + (label.size() > 1 ? ")" : "");
}

void to_json(nlohmann::json& j, const ConceptReading& r) {
  j = nlohmann::json{{"label", r.label},
                     {"score", r.score},
                     {"margin", std::isfinite(r.margin) ? nlohmann::json(r.margin) : nlohmann::json(nullptr)}};
  if (!r.class_scores.empty()) j["class_scores"] = r.class_scores;
}

torch::Tensor fit_images(const torch::Tensor& images, const ModelInfo& info) {
  if (!images.defined() || images.dim() != 4)
    throw std::invalid_argument("images must be a [N,C,H,W] batch");
  if (images.size(1) != info.channels)
    throw std::invalid_argument("the model reads " + std::to_string(info.channels) + "-channel images, got " +
                                std::to_string(images.size(1)));
  const int64_t s = info.image_size;
  if (images.size(2) == s && images.size(3) == s) return images;
  if (images.size(2) < s || images.size(3) < s)
    throw std::invalid_argument("the model reads " + std::to_string(s) + "×" + std::to_string(s) + " images; an image of " +
                                std::to_string(images.size(3)) + "×" + std::to_string(images.size(2)) +
                                " is smaller (upscaling would invent detail)");
  // Area averaging is the antialiased downscale for these sizes.
  return torch::nn::functional::interpolate(
      images, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kArea));
}

std::vector<ConceptReading> read_concept(EnergyModel& m, const torch::Tensor& images_in, const ReadOptions& opt) {
  opt.validate();
  const ModelInfo info = m.info();
  if (info.label_size < 1) throw std::invalid_argument("the model has no label: there is no concept to read");
  if (info.schema.size() != info.label_size)
    throw std::invalid_argument("the model's label schema does not describe its " + std::to_string(info.label_size) +
                                " label slots; reading needs to know each slot's kind and range");
  if (info.attention_masks > 0)
    throw std::invalid_argument("models with attention masks (comb_mask) cannot be read: their energy needs a mask chain");
  const torch::Tensor images = fit_images(images_in, info).to(torch::kFloat);
  const int64_t n = images.size(0);
  const auto dev = images.device();
  const auto fopt = torch::TensorOptions().dtype(torch::kFloat).device(dev);

  const bool denoise = opt.criterion == ReadCriterion::Denoise || (opt.criterion == ReadCriterion::Auto && info.denoising);
  if (denoise && !info.denoising)
    throw std::invalid_argument("the denoising criterion needs a denoising model (its energy depends on σ); use energy");
  Reader reader{m, denoise, images, {}, {}, opt.chunk};
  if (info.denoising) {
    // levels × draws, the same ε for every candidate label.
    auto gen = at::detail::createCPUGenerator(opt.seed);
    const int64_t d = static_cast<int64_t>(opt.levels) * opt.noise_draws;
    reader.eps = torch::randn({d, n, images.size(1), images.size(2), images.size(3)}, gen).to(dev);
    for (int l = 0; l < opt.levels; ++l) {
      const double t = opt.levels > 1 ? static_cast<double>(l) / (opt.levels - 1) : 0.5;
      const double sigma = opt.sigma_min * std::pow(opt.sigma_max / opt.sigma_min, t);
      for (int k = 0; k < opt.noise_draws; ++k) reader.sigmas.push_back(torch::full({}, sigma, fopt));
    }
  }
  m.begin_chain();
  std::vector<ConceptReading> out;
  const int L = info.label_size;

  if (info.schema.one_hot()) {
    torch::NoGradGuard no_grad;  // the denoising error turns gradients on for its own ∇ₓ
    const auto classes = torch::eye(L, fopt);                                  // [L,L]
    const auto idx = torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(dev)).repeat_interleave(L);
    const auto labels = classes.repeat({n, 1});                                // [N·L, L]
    const auto e = reader.rows(idx, labels).reshape({n, L});
    for (int64_t i = 0; i < n; ++i) out.push_back(one_hot_reading(e[i]));
    m.end_chain();
    return out;
  }

  // Continuous slots: u ∈ [0,1]^L ↔ label = lo + u·(hi − lo).
  std::vector<float> lo_v, hi_v;
  for (const auto& s : info.schema.slots) lo_v.push_back(s.min), hi_v.push_back(s.max);
  const auto lo = torch::tensor(lo_v).to(dev), span = torch::tensor(hi_v).to(dev) - lo;
  auto to_label = [&](const torch::Tensor& u) { return lo + u * span; };

  const auto grid = candidate_points(L, grid_points(opt, L), opt.seed).to(dev);  // [G,L]
  const int64_t g = grid.size(0);
  const auto long_opt = torch::TensorOptions().dtype(torch::kLong).device(dev);
  torch::Tensor grid_e;
  {
    torch::NoGradGuard no_grad;
    grid_e = reader.rows(torch::arange(n, long_opt).repeat_interleave(g), to_label(grid.repeat({n, 1})))
                 .reshape({n, g});
  }
  // The best grid points of each image start the descent.
  const int64_t s = std::min<int64_t>(opt.starts, g);
  const auto best = std::get<1>(grid_e.topk(s, 1, /*largest=*/false));        // [N,S]
  auto u = grid.index_select(0, best.reshape({-1})).clone().requires_grad_(true);  // [N·S, L]
  const auto start_idx = torch::arange(n, long_opt).repeat_interleave(s);
  torch::optim::Adam adam({u}, torch::optim::AdamOptions(opt.lr));
  for (int step = 0; step < opt.steps; ++step) {
    if (opt.cancel != nullptr && opt.cancel->load()) {
      m.end_chain();
      throw ReadCancelled();
    }
    adam.zero_grad();
    reader.backward_rows(start_idx, to_label(u));
    adam.step();
    torch::NoGradGuard no_grad;
    u.clamp_(0.0, 1.0);
  }
  torch::NoGradGuard no_grad;
  const auto final_u = u.detach();
  const auto final_e = reader.rows(start_idx, to_label(final_u)).reshape({n, s});
  const auto final_u3 = final_u.reshape({n, s, L});
  for (int64_t i = 0; i < n; ++i) {
    // Candidates: the refined starts and every grid point.
    const auto cand_u = torch::cat({final_u3[i], grid});
    const auto cand_e = torch::cat({final_e[i], grid_e[i]});
    const int64_t w = cand_e.argmin().item<int64_t>();
    ConceptReading r;
    const auto lab = to_label(cand_u[w]).cpu().contiguous();
    r.label.assign(lab.data_ptr<float>(), lab.data_ptr<float>() + L);
    r.score = cand_e[w].item<double>();
    const auto far = (cand_u - cand_u[w]).norm(2, 1).gt(kRunnerUpDistance);
    r.margin = far.any().item<bool>()
                   ? cand_e.masked_select(far).min().item<double>() - r.score
                   : std::numeric_limits<double>::quiet_NaN();
    out.push_back(std::move(r));
  }
  m.end_chain();
  return out;
}

ReadOptions quick_read_options() {
  ReadOptions o;
  o.starts = 2;
  o.steps = 15;
  o.noise_draws = 1;
  return o;
}

}  // namespace ebm
