#include "fuzz/harnesses.h"

namespace ebm::fuzz {

const std::vector<HarnessInfo>& all_harnesses() {
  static const std::vector<HarnessInfo> all = {
      {"safetensors", &safetensors_input},
      {"torch_pt", &torch_pt_input},
      {"tf_bundle", &tf_bundle_input},
      {"png_image", &png_image_input},
      {"recipe_json", &recipe_json_input},
      {"png_recipe", &png_recipe_input},
  };
  return all;
}

}  // namespace ebm::fuzz
