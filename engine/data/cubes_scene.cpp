#include "engine/data/cubes_scene.h"

#include <cstdlib>
#include <stdexcept>

namespace ebm::data {

CubesConcept cubes_concept_from_string(const std::string& s) {
  if (s == "position" || s == "pos") return CubesConcept::Position;
  if (s == "size") return CubesConcept::Size;
  if (s == "shape") return CubesConcept::Shape;
  if (s == "color" || s == "colour") return CubesConcept::Color;
  throw std::invalid_argument("unknown cubes concept '" + s + "': expected position, size, shape or color");
}

std::string to_string(CubesConcept c) {
  switch (c) {
    case CubesConcept::Position: return "position";
    case CubesConcept::Size: return "size";
    case CubesConcept::Shape: return "shape";
    case CubesConcept::Color: return "color";
  }
  return "unknown";
}

int label_size(CubesConcept c) {
  switch (c) {
    case CubesConcept::Position: return 2;
    case CubesConcept::Size: return 1;
    case CubesConcept::Shape: return kNumShapes;
    case CubesConcept::Color: return kNumColors;
  }
  return 0;
}

LabelSchema cubes_schema(CubesConcept c) {
  switch (c) {
    case CubesConcept::Position: return LabelSchema::cubes_position();
    case CubesConcept::Size: return LabelSchema::cubes_size();
    case CubesConcept::Shape: return LabelSchema::cubes_shape();
    case CubesConcept::Color: return LabelSchema::cubes_color();
  }
  return LabelSchema::generic(0);
}

CubesObjects CubesObjects::to(const torch::Device& d) const {
  return {pos.to(d), size.to(d), shape.to(d), color.to(d)};
}

CubesObjects CubesObjects::index(const torch::Tensor& idx) const {
  auto i = idx.to(pos.device(), torch::kLong);
  return {pos.index_select(0, i), size.index_select(0, i), shape.index_select(0, i), color.index_select(0, i)};
}

void CubesObjects::validate() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("cubes scene: " + m); };
  if (!pos.defined() || pos.dim() != 2 || pos.size(1) != 2) fail("pos must be a [B,2] tensor");
  const int64_t b = pos.size(0);
  if (!size.defined() || size.dim() != 1 || size.size(0) != b) fail("size must be a [B] tensor matching pos");
  if (!shape.defined() || shape.dim() != 1 || shape.size(0) != b || shape.scalar_type() != torch::kLong)
    fail("shape must be a [B] int64 tensor matching pos");
  if (!color.defined() || color.dim() != 1 || color.size(0) != b || color.scalar_type() != torch::kLong)
    fail("color must be a [B] int64 tensor matching pos");
  if (b == 0) return;
  // One host sync; validation runs on labels typed by a user, not inside training loops.
  if (pos.abs().max().item<float>() > 1.0f + 1e-5f) fail("position values must be in [-1, 1]");
  if (size.min().item<float>() < kMinSize - 1e-5f || size.max().item<float>() > kMaxSize + 1e-5f)
    fail("size values must be in [0.3, 0.7]");
  if (shape.min().item<int64_t>() < 0 || shape.max().item<int64_t>() >= kNumShapes)
    fail("shape index must be 0 (box), 1 (sphere) or 2 (cylinder)");
  if (color.min().item<int64_t>() < 0 || color.max().item<int64_t>() >= kNumColors)
    fail("color index must be in [0, 20)");
}

CubesScenes CubesScenes::to(const torch::Device& d) const {
  CubesScenes s{first.to(d), std::nullopt};
  if (second) s.second = second->to(d);
  return s;
}

CubesScenes CubesScenes::index(const torch::Tensor& idx) const {
  CubesScenes s{first.index(idx), std::nullopt};
  if (second) s.second = second->index(idx);
  return s;
}

void CubesScenes::validate() const {
  first.validate();
  if (second) {
    second->validate();
    if (second->batch() != first.batch())
      throw std::invalid_argument("cubes scene: the second object's batch differs from the first's");
  }
}

namespace {

CubesObjects sample_objects(int64_t n, torch::Generator& gen) {
  auto f = torch::TensorOptions().dtype(torch::kFloat);
  auto l = torch::TensorOptions().dtype(torch::kLong);
  CubesObjects o;
  o.pos = torch::rand({n, 2}, gen, f) * 2 - 1;
  o.size = torch::rand({n}, gen, f) * (kMaxSize - kMinSize) + kMinSize;
  o.shape = torch::randint(0, kNumShapes, {n}, gen, l);
  o.color = torch::randint(0, kNumColors, {n}, gen, l);
  return o;
}

}  // namespace

CubesScenes sample_scenes(int64_t n, torch::Generator gen, const SceneSampling& opt) {
  if (n < 0) throw std::invalid_argument("sample_scenes: scene count must be >= 0");
  if (opt.num_objects != 1 && opt.num_objects != 2)
    throw std::invalid_argument("sample_scenes: num_objects must be 1 or 2, got " + std::to_string(opt.num_objects));
  if (gen.device().type() != torch::kCPU)
    throw std::invalid_argument("sample_scenes: pass a CPU generator so scenes do not depend on the device");
  CubesScenes s{sample_objects(n, gen), std::nullopt};
  if (opt.num_objects == 2) {
    CubesObjects b = sample_objects(n, gen);
    // Re-draw the second position a few times per scene and keep the try with the largest clearance
    // (distance between centres minus both bounding radii): vectorised, no per-scene loop.
    const auto radius = [](const torch::Tensor& size) { return size * 1.45f; };  // box corner ≈ √2·size
    auto best_pos = b.pos.clone();
    auto best_clear = (b.pos - s.first.pos).norm(2, 1) - radius(b.size) - radius(s.first.size);
    for (int t = 1; t < std::max(1, opt.placement_tries); ++t) {
      auto p = torch::rand({n, 2}, gen) * 2 - 1;
      auto c = (p - s.first.pos).norm(2, 1) - radius(b.size) - radius(s.first.size);
      auto better = (c > best_clear) & (best_clear < 0);
      best_pos = torch::where(better.unsqueeze(1), p, best_pos);
      best_clear = torch::where(better, c, best_clear);
    }
    b.pos = best_pos;
    s.second = b;
  }
  return s;
}

torch::Tensor concept_labels(const CubesObjects& o, CubesConcept c) {
  switch (c) {
    case CubesConcept::Position: return o.pos.to(torch::kFloat);
    case CubesConcept::Size: return o.size.to(torch::kFloat).unsqueeze(1);
    case CubesConcept::Shape: return torch::one_hot(o.shape, kNumShapes).to(torch::kFloat);
    case CubesConcept::Color: return torch::one_hot(o.color, kNumColors).to(torch::kFloat);
  }
  return {};
}

void apply_concept_labels(CubesObjects& o, CubesConcept c, const torch::Tensor& labels) {
  const int L = label_size(c);
  if (!labels.defined() || labels.dim() != 2 || labels.size(0) != o.batch() || labels.size(1) != L)
    throw std::invalid_argument("apply_concept_labels: " + to_string(c) + " labels must be [" +
                                std::to_string(o.batch()) + "," + std::to_string(L) + "]");
  auto lab = labels.to(o.pos.device(), torch::kFloat);
  switch (c) {
    case CubesConcept::Position: o.pos = lab.clamp(-1, 1); break;
    case CubesConcept::Size: o.size = lab.squeeze(1).clamp(kMinSize, kMaxSize); break;
    case CubesConcept::Shape: o.shape = lab.argmax(1); break;
    case CubesConcept::Color: o.color = lab.argmax(1); break;
  }
}

torch::Tensor cubes_palette() {
  const LabelSchema s = LabelSchema::cubes_color();
  auto pal = torch::empty({static_cast<int64_t>(s.slots.size()), 3});
  auto a = pal.accessor<float, 2>();
  for (size_t i = 0; i < s.slots.size(); ++i) {
    const std::string& hex = s.slots[i].rgb;  // "#rrggbb"
    if (hex.size() != 7 || hex[0] != '#') throw std::logic_error("cubes palette entry without a #rrggbb colour");
    for (int k = 0; k < 3; ++k)
      a[i][k] = static_cast<float>(std::strtol(hex.substr(1 + 2 * k, 2).c_str(), nullptr, 16)) / 255.0f;
  }
  return pal;
}

}  // namespace ebm::data
