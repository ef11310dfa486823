// A one-term recipe on a tiny denoising position model (small_denoiser.h), for tests that run the real
// `ebm` binary: DIR/models/pos.safetensors and DIR/r.json (position (0.3, −0.4), batch 2, the file's
// hash recorded), so `ebm sample --recipe DIR/r.json` runs on the model's own ladder in a second.
#pragma once

#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"
#include "tests/support/small_denoiser.h"

#include <string>

namespace ebm::test {

inline void save_denoiser_recipe(const std::string& dir) {
  const std::string model = dir + "/models/pos.safetensors";
  save_small_denoiser(model, "position", 1, 0.05, 1.0);
  Recipe r;
  r.models = {{"pos", "models/pos.safetensors", sha256_file(model)}};
  r.composition = Node::term("position", "pos", {0.3f, -0.4f});
  r.sampler.batch = 2;
  save_recipe(dir + "/r.json", r);
}

}  // namespace ebm::test
