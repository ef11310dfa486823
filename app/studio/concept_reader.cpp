#include "app/studio/concept_reader.h"

#include "engine/energy/model_loader.h"
#include "engine/gpu/device_check.h"
#include "engine/sampling/sampler_params.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <stdexcept>

namespace ebm::studio {

namespace {

std::vector<ModelReading> read_all(const torch::Tensor& image, const std::vector<ReadModel>& models,
                                   const std::string& device, ReadOptions options,
                                   const std::shared_ptr<std::atomic<bool>>& cancel, std::atomic<int>* done) {
  at::init_num_threads();  // a new thread starts with one OpenMP thread (engine/gpu/cpu_threads.h)
  options.cancel = cancel.get();
  const torch::Device dev = parse_device(device);
  std::vector<ModelReading> out;
  for (const auto& m : models) {
    ModelReading r;
    r.model = m.name;
    try {
      auto loaded = load_energy_model(m.path);
      if (!m.sha256.empty() && loaded.sha256 != m.sha256)
        throw std::runtime_error("the file " + m.path + " changed on disk since the studio loaded it (SHA-256 " +
                                 m.sha256.substr(0, 12) + "… then, " + loaded.sha256.substr(0, 12) +
                                 "… now): load the model again to read with what is on disk");
      loaded.model->to_device(dev);
      const auto x = fit_images(image.unsqueeze(0), loaded.model->info()).to(dev);
      r.reading = read_concept(*loaded.model, x, options).at(0);
      r.text = r.reading.describe(m.schema);
    } catch (const ReadCancelled&) {
      throw;
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    out.push_back(std::move(r));
    done->fetch_add(1);
    if (cancel->load()) throw ReadCancelled();
  }
  return out;
}

}  // namespace

ConceptReader::~ConceptReader() { finish_running(); }

void ConceptReader::finish_running() {
  if (!task_.valid()) return;
  progress_->cancel.store(true);
  try {
    task_.get();
  } catch (const std::exception&) {
    // cancelled, or failed: nobody waits for it any more
  }
  progress_.reset();
}

void ConceptReader::set_image(torch::Tensor image, std::string source) {
  finish_running();
  if (image.dim() == 4) image = image.squeeze(0);
  if (image.dim() != 3) throw std::invalid_argument("an image to read must be [C,H,W]");
  image_ = image.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1).contiguous();
  source_ = std::move(source);
  ++image_version_;
  readings_.clear();
  state_ = State::Idle;
}

void ConceptReader::start(std::vector<ReadModel> models, const std::string& device, const ReadOptions& options) {
  if (!image_.defined()) throw std::invalid_argument("there is no image to read: drop a picture or pick a sample first");
  if (models.empty()) throw std::invalid_argument("no concept model is loaded to read the image with");
  for (const auto& m : models)
    if (m.path.empty() || m.path.rfind("memory:", 0) == 0)
      throw std::invalid_argument("model '" + m.name + "' exists only in memory; reading re-loads each model from its file");
  options.validate();
  finish_running();
  readings_.clear();
  progress_ = std::make_shared<Progress>();
  total_ = static_cast<int>(models.size());
  // The cancel flag lives in the shared Progress, which outlives the task.
  auto progress = progress_;
  std::shared_ptr<std::atomic<bool>> cancel(progress, &progress->cancel);
  task_ = std::async(std::launch::async, [image = image_, models = std::move(models), device, options, cancel, progress] {
    return read_all(image, models, device, options, cancel, &progress->done);
  });
  started_ = std::chrono::steady_clock::now();
  state_ = State::Reading;
}

void ConceptReader::cancel() {
  finish_running();
  if (state_ == State::Reading) state_ = State::Idle;
}

bool ConceptReader::poll() {
  if (!task_.valid() || task_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  try {
    readings_ = task_.get();
    state_ = State::Done;
  } catch (const std::exception& e) {
    readings_.clear();
    ModelReading failed;
    failed.error = e.what();
    readings_.push_back(failed);
    state_ = State::Done;
  }
  progress_.reset();
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return true;
}

const ModelReading* ConceptReader::reading(const std::string& model) const {
  for (const auto& r : readings_)
    if (r.model == model && r.error.empty()) return &r;
  return nullptr;
}

}  // namespace ebm::studio
