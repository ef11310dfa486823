// ViewResources: the GL side of the views — the texture streams fed from snapshots (sample grid,
// learned attention masks, per-term gradient magnitude), the terms' mask textures, the off-screen
// targets the panels draw into, and the renderer. GL thread only; refreshed once per frame.
#pragma once

#include "app/studio/gl/framebuffer.h"
#include "app/studio/gl/texture_stream.h"
#include "app/studio/gl/view_renderer.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ebm {
struct Snapshot;
}

namespace ebm::studio {

class Controller;

class ViewResources {
 public:
  ViewResources();  // compiles the shaders: throws std::runtime_error with the driver's log

  // Uploads what changed: the grid when the snapshot is new, masks when the draft's masks changed,
  // attention for the chosen term/k. Errors are logged, never thrown (a frame must always draw).
  void update(Controller& ctl, bool snapshot_changed, const std::string& attention_term, int attention_k);

  gl::ViewRenderer& renderer() { return *renderer_; }
  const gl::TextureStream& images() const { return *images_; }
  gl::TextureStream& images() { return *images_; }
  bool has_images() const { return images_->front().valid(); }
  const GridLayout& layout() const { return images_->layout(); }
  const gl::TextureStream& attention() const { return *attention_; }
  bool has_attention() const { return attention_->front().valid() && attention_term_ready_; }
  const std::string& attention_term() const { return attention_shown_; }
  const gl::Texture2D* mask_texture(const std::string& term) const;
  // The selected sample's gradient magnitude of one term (R32F, H×W) from the snapshot's
  // gradient_maps; null when it has none for that term.
  const gl::Texture2D* grad_texture(const std::string& term) const;

  // The Read panel's image ([C,H,W] in [0,1]), uploaded when `version` (ConceptReader::image_version)
  // changes; null before one arrives or after a failed upload (logged).
  void update_read_image(const torch::Tensor& image, std::uint64_t version);
  const gl::Texture2D* read_image() const { return read_image_.valid() ? &read_image_ : nullptr; }

  // Off-screen targets, one per view so each keeps its size between frames.
  gl::Framebuffer grid_fbo, canvas_fbo, attention_fbo;
  std::map<std::string, gl::Framebuffer> grad_fbos;

  double last_upload_ms() const { return upload_ms_; }
  std::string upload_path() const { return images_->path_name(); }
  std::uint64_t uploads() const { return uploads_; }

 private:
  std::unique_ptr<gl::ViewRenderer> renderer_;
  std::unique_ptr<gl::TextureStream> images_, attention_;
  std::map<std::string, gl::Texture2D> masks_;
  std::map<std::string, gl::Texture2D> grads_;
  const void* grads_shown_ = nullptr;  // the GradientMaps the textures hold
  std::uint64_t masks_version_ = UINT64_MAX;
  std::string attention_shown_;
  int attention_k_shown_ = -1;
  bool attention_term_ready_ = false;
  const void* attention_snapshot_ = nullptr;
  gl::Texture2D read_image_;
  std::uint64_t read_version_ = 0;
  double upload_ms_ = 0.0;
  std::uint64_t uploads_ = 0;
};

}  // namespace ebm::studio
