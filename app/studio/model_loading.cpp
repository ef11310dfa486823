#include "app/studio/model_loading.h"

#include "engine/energy/model_loader.h"

#include <filesystem>

namespace ebm::studio {

LoadedEnergyModel load_energy_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !looks_like_model_path(path))
    throw std::runtime_error("no such file: " + path + " (check the path, or drop the file onto the window)");
  // The engine's loader: our safetensors (networks and denoising energies), .pt with metadata, and
  // original TensorFlow checkpoints (a prefix, its .index file or its directory).
  ebm::LoadedEnergyModel loaded;
  try {
    loaded = ebm::load_energy_model(path);
  } catch (const std::exception& e) {
    // The Models panel and the log show this next to other files' errors: always name the file.
    const std::string msg = e.what();
    if (msg.find(path) != std::string::npos) throw;
    throw std::runtime_error(path + ": " + msg);
  }
  LoadedEnergyModel out;
  out.model = loaded.model;
  out.entry.path = path;
  out.entry.state = ModelEntry::State::Ready;
  out.entry.config = loaded.config;
  out.entry.info = out.model->info();
  out.entry.schema = out.entry.info.schema;
  out.entry.kind = loaded.format;
  out.entry.sha256 = loaded.sha256;
  return out;
}

}  // namespace ebm::studio
