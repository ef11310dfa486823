#include "app/studio/view_resources.h"

#include "app/studio/controller.h"

#include "engine/session/snapshot.h"

#include <spdlog/spdlog.h>

namespace ebm::studio {

ViewResources::ViewResources()
    : renderer_(std::make_unique<gl::ViewRenderer>()),
      images_(gl::make_texture_stream(gl::TexFormat::RGBA8)),
      attention_(gl::make_texture_stream(gl::TexFormat::R32F)) {}

const gl::Texture2D* ViewResources::mask_texture(const std::string& term) const {
  auto it = masks_.find(term);
  return it == masks_.end() ? nullptr : &it->second;
}

const gl::Texture2D* ViewResources::grad_texture(const std::string& term) const {
  auto it = grads_.find(term);
  return it == grads_.end() ? nullptr : &it->second;
}

void ViewResources::update(Controller& ctl, bool snapshot_changed, const std::string& attention_term, int attention_k) {
  const auto& snap = ctl.snapshot();
  if (snapshot_changed && snap && snap->images.defined() && snap->images.dim() == 4) {
    try {
      const auto& x = snap->images;
      auto layout = GridLayout::make(static_cast<int>(x.size(0)), static_cast<int>(x.size(3)), static_cast<int>(x.size(2)), 2);
      images_->publish(x, layout);
      upload_ms_ = images_->last_publish_ms();
      ++uploads_;
    } catch (const std::exception& e) {
      spdlog::error("cannot show the samples: {}", e.what());
    }
  }

  if (ctl.draft_version() != masks_version_) {
    masks_version_ = ctl.draft_version();
    masks_.clear();
    for (const auto& [term, m] : ctl.masks()) {
      try {
        gl::Texture2D t(m.width, m.height, gl::TexFormat::R32F, gl::Filter::Linear);
        t.upload(m.values.data());
        masks_.emplace(term, std::move(t));
      } catch (const std::exception& e) {
        spdlog::error("cannot upload the mask of term '{}': {}", term, e.what());
      }
    }
  }

  // Per-term gradient magnitude of the selected sample: uploaded once per computed set of maps.
  const GradientMaps* gm = snap ? snap->gradient_maps.get() : nullptr;
  if (gm != grads_shown_) {
    grads_shown_ = gm;
    std::map<std::string, gl::Texture2D> keep;
    keep.swap(grads_);
    for (const auto& t : gm ? gm->terms : std::vector<GradientMaps::Term>{}) {
      if (!t.magnitude.defined() || t.magnitude.dim() != 2) continue;
      try {
        const auto field = t.magnitude.to(torch::kCPU, torch::kFloat).contiguous();
        const int w = static_cast<int>(field.size(1)), h = static_cast<int>(field.size(0));
        auto it = keep.find(t.name);
        gl::Texture2D tex = it != keep.end() && it->second.width() == w && it->second.height() == h
                                ? std::move(it->second)
                                : gl::Texture2D(w, h, gl::TexFormat::R32F, gl::Filter::Nearest);
        tex.upload(field.data_ptr<float>());
        grads_.emplace(t.name, std::move(tex));
      } catch (const std::exception& e) {
        spdlog::error("cannot show the gradient map of term '{}': {}", t.name, e.what());
      }
    }
  }

  // Learned attention masks ([B,K,H,W], softmax over K) of the chosen comb_mask term, map k.
  const bool want_new = snap.get() != attention_snapshot_ || attention_term != attention_shown_ || attention_k != attention_k_shown_;
  if (want_new && snap) {
    attention_snapshot_ = snap.get();
    attention_shown_ = attention_term;
    attention_k_shown_ = attention_k;
    attention_term_ready_ = false;
    for (const auto& [name, m] : snap->masks) {
      if (name != attention_term || !m.defined() || m.dim() != 4 || m.size(1) == 0) continue;
      try {
        const int k = std::min<int>(std::max(attention_k, 0), static_cast<int>(m.size(1)) - 1);
        auto field = m.select(1, k);  // [B,H,W]
        auto layout = GridLayout::make(static_cast<int>(field.size(0)), static_cast<int>(field.size(2)),
                                       static_cast<int>(field.size(1)), 2);
        attention_->publish(field, layout);
        attention_term_ready_ = true;
      } catch (const std::exception& e) {
        spdlog::error("cannot show the attention masks of '{}': {}", name, e.what());
      }
    }
  }
}

void ViewResources::update_read_image(const torch::Tensor& image, std::uint64_t version) {
  if (version == read_version_) return;
  read_version_ = version;
  try {
    // [C,H,W] in [0,1] → tightly packed RGBA8 rows (gray replicated, alpha opaque).
    auto rgb = image.to(torch::kCPU, torch::kFloat);
    if (rgb.size(0) == 1) rgb = rgb.expand({3, rgb.size(1), rgb.size(2)});
    rgb = rgb.slice(0, 0, 3);
    auto alpha = torch::ones({1, rgb.size(1), rgb.size(2)});
    const auto rgba = torch::cat({rgb, alpha}).mul(255).round().clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    const int w = static_cast<int>(rgba.size(1)), h = static_cast<int>(rgba.size(0));
    gl::Texture2D t(w, h, gl::TexFormat::RGBA8, gl::Filter::Nearest);
    t.upload(rgba.data_ptr<std::uint8_t>());
    read_image_ = std::move(t);
  } catch (const std::exception& e) {
    read_image_ = gl::Texture2D();
    spdlog::error("cannot show the image to read: {}", e.what());
  }
}

}  // namespace ebm::studio
