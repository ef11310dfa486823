// Controller: edits that start from an image (issue #29) — the composition filled with the labels an
// image was read as, and chains started from the image noised to σ (the recipe's init {image, sigma}),
// so a changed label (a colour) is redrawn while what the noise leaves standing is kept.
#include "app/studio/controller.h"

#include <stdexcept>

namespace ebm::studio {

namespace {

// Depth-first terms with whether a Not lies above them.
void positive_terms(const Node& n, NodePath& at, bool under_not, std::vector<std::pair<NodePath, bool>>* out) {
  if (n.kind == NodeKind::Term) {
    out->emplace_back(at, under_not);
    return;
  }
  for (size_t i = 0; i < n.children.size(); ++i) {
    at.push_back(static_cast<int>(i));
    positive_terms(n.children[i], at, under_not || n.kind == NodeKind::Not, out);
    at.pop_back();
  }
}

// The paths of the terms no Not lies above: those an image's reading speaks for (a Not's term says
// what the image should not be).
std::vector<NodePath> terms_outside_not(const Node& root) {
  std::vector<std::pair<NodePath, bool>> terms;
  NodePath at;
  positive_terms(root, at, false, &terms);
  std::vector<NodePath> out;
  for (const auto& [path, under_not] : terms)
    if (!under_not) out.push_back(path);
  return out;
}

}  // namespace

std::vector<std::string> Controller::fill_labels(const std::vector<std::pair<std::string, std::vector<float>>>& by_model) {
  std::vector<std::string> filled;
  std::map<std::string, std::vector<float>> read;  // becomes read_labels_ once every label is set
  if (term_paths().empty()) {
    // Nothing composed yet: the image's concepts, And-ed.
    std::vector<Node> terms;
    for (const auto& [name, label] : by_model) {
      const ModelEntry* m = model(name);
      if (m == nullptr || m->state != ModelEntry::State::Ready) continue;
      m->schema.validate(label);
      terms.push_back(Node::term(unique_term_name(name), name, label));
      filled.push_back(terms.back().name);
      read[filled.back()] = label;
    }
    if (terms.empty()) return filled;
    set_composition(terms.size() == 1 ? terms.front() : Node::op(NodeKind::And, std::move(terms)), masks_);
    read_labels_ = std::move(read);
    return filled;
  }
  for (const NodePath& path : terms_outside_not(doc_)) {
    const Node& t = node_at(doc_, path);
    for (const auto& [name, label] : by_model)
      if (t.model == name) {
        set_label(path, label);
        filled.push_back(t.name);
        read[t.name] = label;
      }
  }
  read_labels_ = std::move(read);
  return filled;
}

void Controller::restart_with(SamplerParams next) {
  if (auto_schedule_) {
    next.schedule = {};
    apply_model_schedule(next, doc_, ready_models(), walk_for(doc_));
  } else {
    apply_denoising_schedule(next, {}, walk_for(doc_));  // a recipe's or the user's own ladder: cut at σ
  }
  // The cut ladder is still the models' own: sent as it is, not as a schedule of the user's. A bad
  // value throws here, changing nothing.
  send_sampler(CheckedSamplerParams::check(std::move(next)));
  restart(false);
}

std::vector<std::string> Controller::raise_changed_terms_guidance() {
  std::vector<std::string> raised;
  for (const NodePath& path : terms_outside_not(doc_)) {
    const Node& t = node_at(doc_, path);
    const auto read = read_labels_.find(t.name);
    const ModelEntry* m = model(t.model);
    if (read == read_labels_.end() || m == nullptr || m->state != ModelEntry::State::Ready) continue;
    if (!(m->info.denoising && m->info.label_size > 0)) continue;  // only denoising models are guided
    const double g = t.guidance.value_or(m->info.guidance);
    if (read->second == t.label || g >= kEditGuidance) continue;  // fill_labels stored the floats it set
    set_guidance(path, kEditGuidance);
    raised.push_back(t.name);
    log_.info("guidance of '" + t.name + "' raised from " + std::to_string(g).substr(0, 4) + " to " +
              std::to_string(kEditGuidance).substr(0, 3) +
              " for the edit: its changed label has to outweigh what the image still shows (Read panel: edit pull)");
  }
  return raised;
}

std::vector<std::string> Controller::edit_from_image(const torch::Tensor& image, double sigma, const torch::Tensor& region) {
  torch::Tensor img = image.dim() == 4 ? image.squeeze(0) : image;
  if (img.dim() != 3) throw std::invalid_argument("the image to edit from must be [C,H,W]");
  SamplerParams next = params_;
  next.init = InitMode::Image;
  next.init_image = img.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1).contiguous();
  next.init_sigma = sigma;
  next.init_region = region.defined() ? region.detach().to(torch::kCPU, torch::kFloat).contiguous() : torch::Tensor();
  next.validate();  // a bad σ throws here, before the pull changes any guidance
  // The pull is for what the noised image still shows; an edit in a box (σ 1 by default: the box redrawn
  // from noise) draws the new label at the files' guidance, and better (docs/recipe.md "An edit box").
  const bool pull = edit_pull_ && !next.init_region.defined();
  const std::vector<std::string> raised = pull ? raise_changed_terms_guidance() : std::vector<std::string>{};
  restart_with(std::move(next));
  log_.info("editing from the image: every chain starts from it noised to sigma " +
            std::to_string(init_noise_sigma(params_)) + ", " + std::to_string(params_.total_steps()) + " steps" +
            (params_.init_region.defined() ? "; outside the edit box the image is held" : ""));
  return raised;
}

void Controller::stop_image_edit() {
  if (!editing_image()) return;
  SamplerParams next = params_;
  next.init_image = torch::Tensor();
  next.init_region = torch::Tensor();
  next.init_sigma = 0;
  // The ladder's own start when there is one (restart_with rebuilds an automatic ladder whole).
  next.init = auto_schedule_ || next.schedule.annealed() ? InitMode::Noise : InitMode::GreyColour;
  restart_with(std::move(next));
  log_.info("back to sampling from noise");
}

}  // namespace ebm::studio
