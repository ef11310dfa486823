// The studio's reader of images into concepts (issue #29): the Read panel's image — a dropped picture
// or a sample of the grid — read by each concept model on a background task (engine/infer), so the
// GUI never waits. Each model is read from a fresh copy of its file: the session's worker samples
// with the loaded instances meanwhile, and a model's chain state (spectral caches) is not shared.
//
// Threading: GUI thread only, except the task, which touches nothing here until poll() takes its
// result. A new read or the destructor cancels a running one (between descent steps) and waits for it.
#pragma once

#include "engine/infer/concept_reading.h"
#include "models/label_schema.h"

#include <torch/torch.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace ebm::studio {

// One model to read with: the key terms use, its file, its schema (for the names of one-hot labels),
// and the SHA-256 of the file as the studio loaded it (empty: not checked). A read loads the file
// again (its own instance, so the sampling worker keeps its own); when the bytes on disk are no longer
// the ones the studio loaded, that model's reading is an error instead of a reading by another model.
struct ReadModel {
  std::string name, path;
  LabelSchema schema;
  std::string sha256;
};

struct ModelReading {
  std::string model;
  ConceptReading reading;  // valid when error is empty
  std::string text;        // reading.describe(schema): "(0.31, -0.52)", "red"
  std::string error;       // why this model could not read the image
};

class ConceptReader {
 public:
  enum class State { Idle, Reading, Done };
  ConceptReader() = default;
  ~ConceptReader();
  ConceptReader(const ConceptReader&) = delete;
  ConceptReader& operator=(const ConceptReader&) = delete;

  // The image to read, [C,H,W] or [1,C,H,W] float in [0,1] (any size ≥ the models'), and what to
  // call it ("scene.png", "sample 3"). Drops earlier readings; does not start reading.
  void set_image(torch::Tensor image, std::string source);
  // Reads the image with each model on `device` (cpu, cuda:N). Throws std::invalid_argument when
  // there is no image or no model, or a model has no file (in-memory models cannot be re-loaded).
  void start(std::vector<ReadModel> models, const std::string& device, const ReadOptions& options);
  void cancel();  // stops a running read (its result is dropped)
  // Once per frame: takes a finished read's result. Returns true when it did.
  bool poll();

  State state() const { return state_; }
  const torch::Tensor& image() const { return image_; }  // [C,H,W] float on the CPU
  const std::string& source() const { return source_; }
  std::uint64_t image_version() const { return image_version_; }  // changes with every set_image
  const std::vector<ModelReading>& readings() const { return readings_; }
  const ModelReading* reading(const std::string& model) const;
  // While reading: the models done so far, of how many.
  int models_done() const { return progress_ ? progress_->done.load() : 0; }
  int models_total() const { return total_; }
  double seconds() const { return seconds_; }  // how long the last finished read took

 private:
  struct Progress {
    std::atomic<bool> cancel{false};
    std::atomic<int> done{0};
  };
  void finish_running();  // cancels and waits for a running task

  torch::Tensor image_;
  std::string source_;
  std::uint64_t image_version_ = 0;
  State state_ = State::Idle;
  std::vector<ModelReading> readings_;
  std::shared_ptr<Progress> progress_;
  std::future<std::vector<ModelReading>> task_;
  int total_ = 0;
  double seconds_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ebm::studio
