#include "models/cubes_classifier.h"

#include "models/checkpoint/safetensors.h"

#include <stdexcept>

namespace ebm {

namespace {
constexpr const char* kMetaConfig = kClassifierConfigKey;
constexpr const char* kMetaHeldout = "classifier.heldout";

torch::nn::Conv2dOptions down(int64_t in, int64_t out) {
  // conv4×4 stride 2, TF 'SAME' on even sizes = 1 pixel each side.
  return torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1);
}
constexpr int64_t kImageSize = 64;
constexpr int64_t kMapSide = kImageSize / 16;  // after four stride-2 convolutions
}  // namespace

std::string to_string(ClassifierLayout l) { return l == ClassifierLayout::Mean ? "mean" : "coord"; }

ClassifierLayout classifier_layout_from_string(const std::string& s) {
  if (s == "mean") return ClassifierLayout::Mean;
  if (s == "coord") return ClassifierLayout::Coord;
  throw std::invalid_argument("unknown classifier layout '" + s + "' (expected coord or mean)");
}

CubesClassifierImpl::CubesClassifierImpl(ClassifierConfig config) : config_(config) {
  const int64_t d = config_.num_filters;
  if (d < 4 || d > 512) throw std::invalid_argument("classifier num_filters must be in [4, 512]");
  const bool coord = config_.layout == ClassifierLayout::Coord;
  c1_pre = register_module("c1_pre", torch::nn::Conv2d(torch::nn::Conv2dOptions(coord ? 5 : 3, d, 1)));
  c1 = register_module("c1", torch::nn::Conv2d(down(d, d)));
  c2 = register_module("c2", torch::nn::Conv2d(down(d, 2 * d)));
  c3 = register_module("c3", torch::nn::Conv2d(down(2 * d, 4 * d)));
  c4 = register_module("c4", torch::nn::Conv2d(down(4 * d, 4 * d)));
  fc = register_module("fc", torch::nn::Linear(coord ? 4 * d * kMapSide * kMapSide : 4 * d, 4 * d));
  head_pos = register_module("head_pos", torch::nn::Linear(4 * d, 2));
  head_size = register_module("head_size", torch::nn::Linear(4 * d, 1));
  head_shape = register_module("head_shape", torch::nn::Linear(4 * d, kShapeClasses));
  head_color = register_module("head_color", torch::nn::Linear(4 * d, kColorClasses));
  if (coord) head_count = register_module("head_count", torch::nn::Linear(4 * d, kCountClasses));
}

torch::Tensor CubesClassifierImpl::coords(const torch::Tensor& x) const {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  auto opt = x.options();
  // Pixel centres: x grows to the right, y upwards (image rows run from far to near).
  auto xs = (torch::arange(w, opt) + 0.5) / static_cast<double>(w) * 2.0 - 1.0;
  auto ys = 1.0 - (torch::arange(h, opt) + 0.5) / static_cast<double>(h) * 2.0;
  auto gx = xs.view({1, 1, 1, w}).expand({b, 1, h, w});
  auto gy = ys.view({1, 1, h, 1}).expand({b, 1, h, w});
  return torch::cat({gx, gy}, 1);
}

CubesPrediction CubesClassifierImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != kImageSize || x.size(3) != kImageSize)
    throw std::invalid_argument("classifier expects images [B,3,64,64]");
  auto act = [](const torch::Tensor& t) { return t * torch::sigmoid(t); };  // swish, as the original drivers
  const bool coord = config_.layout == ClassifierLayout::Coord;
  auto h = act(c1_pre->forward(coord ? torch::cat({x - 0.5, coords(x)}, 1) : x - 0.5));
  h = act(c1->forward(h));
  h = act(c2->forward(h));
  h = act(c3->forward(h));
  h = act(c4->forward(h));
  h = coord ? h.flatten(1) : h.mean({2, 3});
  h = act(fc->forward(h));
  CubesPrediction p{head_pos->forward(h), head_size->forward(h).squeeze(1), head_shape->forward(h),
                    head_color->forward(h), {}};
  if (coord) p.count_logits = head_count->forward(h);
  return p;
}

void save_classifier(const std::string& path, const CubesClassifierImpl& c, const nlohmann::json& heldout) {
  TensorMap t;
  for (const auto& kv : c.named_parameters()) t[kv.key()] = kv.value().detach().cpu().contiguous();
  Metadata md{{kMetaConfig,
               nlohmann::json{{"num_filters", c.config().num_filters}, {"layout", to_string(c.config().layout)}}.dump()}};
  if (!heldout.is_null()) md[kMetaHeldout] = heldout.dump();
  write_safetensors(path, t, md);
}

CubesClassifier load_classifier(const std::string& path, nlohmann::json* heldout) {
  SafetensorsFile f = read_safetensors(path);
  auto it = f.metadata.find(kMetaConfig);
  if (it == f.metadata.end())
    throw std::runtime_error(path + " is not a cubes classifier (no classifier.config metadata); train one with "
                             "`ebm train-classifier`");
  ClassifierConfig cfg;
  try {
    const auto j = nlohmann::json::parse(it->second);
    cfg.num_filters = j.at("num_filters").get<int>();
    // Files of the first grader carry no layout: theirs is the spatial mean.
    cfg.layout = classifier_layout_from_string(j.value("layout", std::string("mean")));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad classifier.config metadata: " + e.what());
  }
  CubesClassifier c(cfg);
  torch::NoGradGuard no_grad;
  for (auto& kv : c->named_parameters()) {
    auto t = f.tensors.find(kv.key());
    if (t == f.tensors.end()) throw std::runtime_error(path + " lacks the classifier tensor '" + kv.key() + "'");
    if (t->second.sizes() != kv.value().sizes())
      throw std::runtime_error(path + ": classifier tensor '" + kv.key() + "' has the wrong shape");
    kv.value().copy_(t->second.to(torch::kFloat));
  }
  if (heldout) {
    auto h = f.metadata.find(kMetaHeldout);
    *heldout = h == f.metadata.end() ? nlohmann::json() : nlohmann::json::parse(h->second, nullptr, false);
  }
  c->eval();
  return c;
}

}  // namespace ebm
