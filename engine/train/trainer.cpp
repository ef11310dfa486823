#include "engine/train/trainer.h"

#include "engine/data/image_grid.h"
#include "engine/dist/launcher.h"
#include "engine/gpu/device_memory.h"
#include "engine/image/image_io.h"
#include "engine/rng/generator_state.h"
#include "engine/train/device.h"
#include "engine/train/objective_factory.h"
#include "engine/train/progress.h"
#include "engine/train/quick_grade.h"
#include "models/checkpoint/atomic_file.h"
#include "models/layers/augment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace ebm::train {

std::string to_string(StopReason r) {
  switch (r) {
    case StopReason::Iterations: return "iterations";
    case StopReason::TimeLimit: return "time limit";
    case StopReason::Interrupted: return "interrupted";
  }
  return "?";
}

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kCheckpointFile = "checkpoint.safetensors";
constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kLogFile = "log.jsonl";
constexpr const char* kOptionsFile = "options.json";
constexpr const char* kMetaOptions = "train.options";
constexpr const char* kMetaIteration = "train.iteration";
constexpr const char* kMetaSeconds = "train.seconds";
constexpr const char* kMetaDeviceType = "train.device_type";
constexpr double kTimeSafetyS = 5.0;   // margin under --time-limit for process exit and the last writes

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Independent RNG streams from one user seed (splitmix64 of seed and stream number).
uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Our own stream on the device: the CUDA default generator (seeded here, saved/restored with the
// checkpoint) or a private CPU generator, so nothing else in the process shares it on CPU runs.
torch::Generator make_device_generator(const torch::Device& d, uint64_t seed) {
  if (d.is_cuda()) {
    torch::Generator g = at::globalContext().defaultGenerator(d);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
    return g;
  }
  return at::detail::createCPUGenerator(seed);
}

}  // namespace

TrainOptions merge_resume_options(const nlohmann::json& saved, const nlohmann::json& overrides) {
  TrainOptions o = saved.get<TrainOptions>();
  nlohmann::json merged = o;
  const auto& ok = TrainOptions::resumable_keys();
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    if (!merged.contains(it.key())) throw std::invalid_argument("unknown train option '" + it.key() + "'");
    if (std::find(ok.begin(), ok.end(), it.key()) == ok.end() && merged[it.key()] != it.value())
      throw std::invalid_argument("option '" + it.key() + "' cannot change on --resume (the run was started with " +
                                  merged[it.key()].dump() + ", the command gives " + it.value().dump() +
                                  "): drop it, or start a new run in another --out directory");
    merged[it.key()] = it.value();
  }
  return merged.get<TrainOptions>();
}

nlohmann::json read_checkpoint_options(const std::string& out_dir) {
  const std::string path = (fs::path(out_dir) / kCheckpointFile).string();
  if (!fs::exists(path))
    throw std::invalid_argument("--resume: " + out_dir + " has no " + kCheckpointFile +
                                "; run without --resume to start a new run there");
  auto header = read_safetensors_header(path);
  auto it = header.metadata.find(kMetaOptions);
  if (it == header.metadata.end()) throw std::runtime_error(path + " is not a training checkpoint (no train.options)");
  return nlohmann::json::parse(it->second);
}

Trainer::Trainer(TrainOptions opt, bool resume, Clock::time_point started, dist::Collective* group)
    : opt_(std::move(opt)), resume_(resume), group_(group), started_(started) {
  if (group_) {
    rank_ = group_->rank();
    world_ = group_->world_size();
  }
  build();
}

Trainer::~Trainer() {
  if (log_) std::fclose(log_);
}

void Trainer::build() {
  opt_.validate();
  augment_ = opt_.augment();
  // In a group each process takes its own GPU: "cuda" means cuda:<local rank> (launcher.h).
  device_ = process_device(opt_.device, group_ != nullptr);
  if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(opt_.cudnn_benchmark);
  const fs::path dir(opt_.out_dir);
  const bool has_ckpt = fs::exists(dir / kCheckpointFile);
  if (!resume_ && has_ckpt)
    throw std::invalid_argument(opt_.out_dir + " already holds a training run (" + kCheckpointFile +
                                "): pass --resume to continue it, or choose another --out");
  if (resume_ && !has_ckpt)
    throw std::invalid_argument("--resume: " + opt_.out_dir + " has no " + kCheckpointFile + " to resume from");

  torch::manual_seed(opt_.seed);  // model init
  // Every rank draws the group's batch indices (and DSM's noise) from the same streams and keeps
  // its rows. CD's chains, fresh starts and replay draws are each rank's own: in a group its device
  // stream and replay stream are seeded by rank (and not saved: ranks restart them on resume).
  const bool own_cd_streams = world_ > 1 && opt_.objective == "cd";
  data_gen_ = at::detail::createCPUGenerator(stream_seed(opt_.seed, 2));
  device_gen_ = make_device_generator(device_, stream_seed(opt_.seed + (own_cd_streams ? 1000003ull * rank_ : 0), 3));
  torch::Generator cd_cpu_gen =
      own_cd_streams ? at::detail::createCPUGenerator(stream_seed(opt_.seed + 1000003ull * rank_, 6)) : data_gen_;
  data_ = make_training_source(opt_, device_, stream_seed(opt_.seed, 1));
  preview_labels_ = data_->preview_labels(opt_.sample_n, stream_seed(opt_.seed, 4)).to(device_);
  augment_gen_ = at::detail::createCPUGenerator(stream_seed(opt_.seed, 9));
  // The group's batch calibrates DSM, so that N ranks calibrate exactly as one process of batch N·B would.
  objective_ = make_objective(opt_, *data_, device_, device_gen_, cd_cpu_gen, std::min<int64_t>(opt_.batch * world_, 64),
                              stream_seed(opt_.seed, 5));

  objective_->set_data_parallel(group_);
  if (writer()) {
    fs::create_directories(dir / "samples");
    // A run killed mid-write (kill -9) leaves its hidden temporary behind; the real files are intact.
    remove_stale_temporaries(dir.string());
  }
  if (resume_) {
    load_checkpoint();
    if (writer()) truncate_log(iteration_);
    // CD ranks other than 0 continue with a device stream of their own (the checkpoint holds rank 0's).
    if (own_cd_streams && rank_ > 0) {
      std::lock_guard<std::mutex> lock(device_gen_.mutex());
      device_gen_.set_current_seed(stream_seed(opt_.seed + 1000003ull * rank_, 8 + static_cast<uint64_t>(iteration_)));
    }
  } else {
    if (!opt_.init_from.empty()) objective_->init_from_model(opt_.init_from, opt_.init_across_concepts);
    if (writer()) write_file_atomic((dir / kLogFile).string(), std::string());
  }
  if (!writer()) return;  // rank 0 owns options.json, the log, samples and checkpoints
  write_file_atomic((dir / kOptionsFile).string(), nlohmann::json(opt_).dump(2) + "\n");
  if (!fs::exists(dir / "samples" / "reference.png"))
    save_png((dir / "samples" / "reference.png").string(),
             data::tile_images(data_->reference_images(opt_.sample_n, stream_seed(opt_.seed, 4))));
  log_ = std::fopen((dir / kLogFile).string().c_str(), "a");
  if (!log_) throw FileError("cannot open " + (dir / kLogFile).string() + " for appending");
}

void Trainer::wrap_objective(const std::function<std::unique_ptr<Objective>(std::unique_ptr<Objective>)>& wrap) {
  objective_ = wrap(std::move(objective_));
  if (!objective_) throw std::invalid_argument("wrap_objective: the wrapper returned no objective");
  objective_->set_data_parallel(group_);
}

void Trainer::save_checkpoint(int64_t iteration) {
  const fs::path dir(opt_.out_dir);
  TensorMap t;
  objective_->save_state(t, "obj/");
  t["rng/data"] = generator_state(data_gen_);
  t["rng/device"] = generator_state(device_gen_);
  t["rng/augment"] = generator_state(augment_gen_);
  const double secs = train_seconds_before_ + seconds_since(started_);
  Metadata md{{kMetaOptions, nlohmann::json(opt_).dump()},
              {kMetaIteration, std::to_string(iteration)},
              {kMetaSeconds, std::to_string(secs)},
              {kMetaDeviceType, device_.is_cuda() ? "cuda" : "cpu"}};
  objective_->save_model((dir / kModelFile).string(), training_info(iteration));
  write_safetensors((dir / kCheckpointFile).string(), t, md);
  last_checkpoint_ = iteration;
}

void Trainer::load_checkpoint() {
  const std::string path = (fs::path(opt_.out_dir) / kCheckpointFile).string();
  SafetensorsFile f = read_safetensors(path);
  auto meta = [&](const char* k) {
    auto it = f.metadata.find(k);
    if (it == f.metadata.end()) throw std::runtime_error(path + " lacks metadata '" + k + "': not a training checkpoint");
    return it->second;
  };
  iteration_ = std::stoll(meta(kMetaIteration));
  last_checkpoint_ = iteration_;
  train_seconds_before_ = std::stod(meta(kMetaSeconds));
  objective_->load_state(f.tensors, "obj/");
  auto get = [&](const char* k) {
    auto it = f.tensors.find(k);
    if (it == f.tensors.end()) throw std::runtime_error(path + " lacks '" + k + "'");
    return it->second;
  };
  set_generator_state(data_gen_, get("rng/data"));
  // Checkpoints from before augmentation existed have no augmentation stream: it starts at its seed.
  if (f.tensors.count("rng/augment")) set_generator_state(augment_gen_, get("rng/augment"));
  // A run moved between CPU and GPU cannot continue the same noise stream (different generators);
  // it continues from the same weights with the new device's stream.
  if (meta(kMetaDeviceType) == (device_.is_cuda() ? "cuda" : "cpu")) set_generator_state(device_gen_, get("rng/device"));
}

void Trainer::truncate_log(int64_t iteration) {
  const fs::path path = fs::path(opt_.out_dir) / kLogFile;
  std::string kept;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.value("iter", int64_t{0}) > iteration) continue;  // written after the checkpoint: redone now
    } catch (const std::exception&) {
      continue;  // a line cut by a kill mid-write
    }
    kept += line + "\n";
  }
  write_file_atomic(path.string(), kept);
}

void Trainer::write_log_line(const nlohmann::json& j) {
  const std::string s = j.dump() + "\n";
  if (std::fwrite(s.data(), 1, s.size(), log_) != s.size() || std::fflush(log_) != 0)
    throw FileError("cannot write to " + (fs::path(opt_.out_dir) / kLogFile).string() + " (disk full?)");
}

nlohmann::json Trainer::training_info(int64_t iteration) const {
  const double secs = train_seconds_before_ + seconds_since(started_);
  return {{"objective", opt_.objective},
          {"concept", opt_.concept_name},
          {"processes", world_},
          {"global_batch", opt_.batch * world_},
          {"iterations", iteration},
          {"train_seconds", secs},
          {"device", device_.str()},
          {"data", data_->describe()},
          {"options", nlohmann::json(opt_)}};
}

void Trainer::save_samples(int64_t iteration) {
  auto state = generator_state(device_gen_);  // previews must not shift the training noise stream
  torch::Tensor imgs;
  {
    torch::NoGradGuard no_grad;
    imgs = objective_->sample(preview_labels_, device_gen_).to(torch::kCPU, torch::kFloat);
  }
  set_generator_state(device_gen_, state);
  char name[64];
  std::snprintf(name, sizeof name, "iter_%08lld.png", static_cast<long long>(iteration));
  save_png((fs::path(opt_.out_dir) / "samples" / name).string(), data::tile_images(imgs));
  // A number to follow between grids (cubes only): object found, position error / colour accuracy.
  nlohmann::json j{{"iter", iteration}};
  std::string text = "samples at iteration " + std::to_string(iteration) + ":";
  const auto concept = data_->cubes_concept();
  for (const auto& kv : concept ? quick_grade(imgs, preview_labels_, *concept).values()
                                : std::vector<std::pair<std::string, double>>{}) {
    j["sample_" + kv.first] = kv.second;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.3f", kv.first.c_str(), kv.second);
    text += buf;
  }
  write_log_line(j);
  if (progress_) progress_->message(text + "  (" + name + ")");
}

TrainResult Trainer::run(const std::atomic<bool>* stop) {
  Progress progress(opt_.progress_bar, Progress::stderr_is_tty(), opt_.iters);
  progress_ = &progress;
  struct Unset {
    Progress** p;
    ~Unset() { *p = nullptr; }
  } unset{&progress_};
  TrainResult res;
  res.start_iteration = iteration_;
  const auto names = objective_->stat_names();
  const double limit_s = opt_.time_limit_min * 60.0;
  if (iteration_ >= opt_.iters)
    progress.message("already at iteration " + std::to_string(iteration_) + " of " + std::to_string(opt_.iters) +
                     ": raise --iters to train further");

  const auto run_start = Clock::now();
  torch::Tensor acc;
  int64_t acc_n = 0, window_start_iter = iteration_, first_iter_done = -1;
  auto window_start = Clock::now();
  // Until measured, a checkpoint and a sample grid are assumed to take 5 s each (GPU: ~1 s).
  double window_pause = 0, total_pause = 0, ips = 0, iter_est = 0, save_cost = 5.0, sample_cost = 5.0;
  double steady_start_s = 0;
  StopReason reason = StopReason::Iterations;
  // In a group a rank cannot stop on its own (the others would wait for it): what it wants is
  // agreed with the others at the next log point.
  std::optional<StopReason> want_stop;

  // Returns true when the group agreed to stop (never for one process).
  auto flush_log = [&]() -> bool {
    if (acc_n == 0) return false;
    torch::Tensor local_mean = acc / static_cast<double>(acc_n);
    bool agreed_stop = false;
    if (group_) {
      auto flags = torch::tensor({want_stop == StopReason::Interrupted ? 1.f : 0.f,
                                  want_stop == StopReason::TimeLimit ? 1.f : 0.f},
                                 local_mean.options());
      std::vector<torch::Tensor> both{torch::cat({local_mean.to(torch::kFloat), flags})};
      group_->average(both);
      const auto f = both[0].narrow(0, local_mean.size(0), 2).to(torch::kCPU);
      if (f[0].item<float>() > 0 || f[1].item<float>() > 0) {
        agreed_stop = true;
        reason = f[0].item<float>() > 0 ? StopReason::Interrupted : StopReason::TimeLimit;
      }
      local_mean = both[0].narrow(0, 0, local_mean.size(0));  // the group's mean
    }
    auto mean = local_mean.to(torch::kCPU, torch::kDouble);  // the one host sync
    const double wall = seconds_since(window_start) - window_pause;
    if (wall > 0) ips = (iteration_ - window_start_iter) / wall;
    nlohmann::json j{{"iter", iteration_}};
    std::vector<std::pair<std::string, double>> shown;
    std::vector<double> row;
    for (size_t k = 0; k < names.size(); ++k) {
      const double v = mean[static_cast<int64_t>(k)].item<double>();
      j[names[k]] = v;
      row.push_back(v);
      if (k < 3) shown.emplace_back(names[k], v);
    }
    if (!std::isfinite(row.front()))
      throw std::runtime_error("training diverged at iteration " + std::to_string(iteration_) +
                               " (loss is not finite); the last checkpoint is intact: resume it with a lower --lr");
    j["it_per_s"] = ips;
    j["elapsed_s"] = seconds_since(started_);
    j["train_s"] = train_seconds_before_ + seconds_since(started_);
    if (world_ > 1) j["world_size"] = world_;
    if (device_.is_cuda()) {  // what this log window needed at most, not what the cache holds
      const int dev = device_.has_index() ? device_.index() : 0;
      j["gpu_peak_allocated_mib"] = static_cast<double>(gpu::peak_allocated_device_bytes(dev)) / (1 << 20);
      gpu::reset_peak_device_bytes(dev);
    }
    if (writer()) write_log_line(j);
    res.logged.push_back(row);
    if (opt_.objective == "dsm" && collapse_.observe(row.front()) == CollapseGuard::State::Collapsed) {
      char buf[192];
      std::snprintf(buf, sizeof buf, "the loss has stayed above %gx its best of this run (%.4g) for %d log intervals (now %.4g)",
                    collapse_.factor(), collapse_.best(), collapse_.confirm(), row.front());
      throw std::runtime_error(
          "training collapsed at iteration " + std::to_string(iteration_) + ": " + buf + ". " +
          (last_checkpoint_ > 0 ? "The checkpoint of iteration " + std::to_string(last_checkpoint_) +
                                      " is from before the jump and intact: resume it with a lower --lr (e.g. half)"
                                : std::string("No checkpoint was written yet: start again with a lower --lr (e.g. half)")));
    }
    progress.stats(iteration_, shown, ips);
    acc = torch::Tensor();
    acc_n = 0;
    window_start = Clock::now();
    window_start_iter = iteration_;
    window_pause = 0;
    return agreed_stop;
  };

  // A group acts on a stop at its next log point: the time limit looks that far ahead.
  const double lookahead = group_ ? opt_.log_every + 1.5 : 1.5;
  while (iteration_ < opt_.iters) {
    if (stop && stop->load() && !want_stop) want_stop = StopReason::Interrupted;
    if (limit_s > 0 && !want_stop &&
        seconds_since(started_) + lookahead * iter_est + save_cost + sample_cost + kTimeSafetyS > limit_s)
      want_stop = StopReason::TimeLimit;
    if (!group_ && want_stop) {
      reason = *want_stop;
      break;
    }
    const auto t0 = Clock::now();
    // The group's batch drawn alike on every rank; this rank trains on its rows.
    auto batch = data_->sample(opt_.batch * world_, data_gen_, iteration_);
    if (augment_.any()) batch.images = augment_batch(batch.images, augment_, augment_gen_);
    if (world_ > 1) {
      batch.images = batch.images.narrow(0, rank_ * opt_.batch, opt_.batch);
      batch.labels = batch.labels.narrow(0, rank_ * opt_.batch, opt_.batch);
    }
    auto st = objective_->step(batch.images, batch.labels, iteration_);
    acc = acc.defined() ? acc + st : st;
    ++acc_n;
    ++iteration_;
    const double dt = seconds_since(t0);
    if (first_iter_done < 0) {
      first_iter_done = iteration_;  // the first iteration pays cuDNN autotuning and allocation
      steady_start_s = seconds_since(run_start);
      iter_est = dt;
    } else {
      iter_est = 0.9 * iter_est + 0.1 * dt;
    }
    const bool agreed_stop = (iteration_ % opt_.log_every == 0 || iteration_ == opt_.iters) && flush_log();
    progress.tick(iteration_, ips > 0 ? ips : (iter_est > 0 ? 1.0 / iter_est : 0));
    if (agreed_stop) break;
    // While the loss looks collapsed no checkpoint is written: it would replace the last good one.
    if (writer() && iteration_ % opt_.ckpt_every == 0 && iteration_ < opt_.iters &&
        collapse_.state() == CollapseGuard::State::Ok) {
      const auto t = Clock::now();
      save_checkpoint(iteration_);
      save_cost = std::max(1.0, seconds_since(t));
      window_pause += seconds_since(t);
      total_pause += seconds_since(t);
    }
    if (writer() && opt_.sample_every > 0 && iteration_ % opt_.sample_every == 0 && iteration_ < opt_.iters) {
      const auto t = Clock::now();
      save_samples(iteration_);
      sample_cost = std::max(1.0, seconds_since(t));
      window_pause += seconds_since(t);
      total_pause += seconds_since(t);
    }
  }
  flush_log();
  const double loop_s = seconds_since(run_start);
  if (!writer()) {
    // Nothing to write; the result still says where the group stopped.
  } else if (collapse_.state() == CollapseGuard::State::Ok) {
    save_checkpoint(iteration_);
  } else {
    progress.message("not checkpointing iteration " + std::to_string(iteration_) +
                     ": the loss jumped far above its best; " +
                     (last_checkpoint_ > 0 ? "the checkpoint of iteration " + std::to_string(last_checkpoint_) + " is kept"
                                           : std::string("no checkpoint was written yet")));
  }
  if (writer() && iteration_ > res.start_iteration) save_samples(iteration_);
  progress.finish();

  res.iterations = iteration_;
  res.completed = iteration_ >= opt_.iters;
  res.stop_reason = res.completed ? StopReason::Iterations : reason;
  res.run_seconds = seconds_since(started_);
  res.train_seconds = train_seconds_before_ + res.run_seconds;
  // Throughput of the steady loop: after the first iteration, without checkpoint and sample time.
  if (first_iter_done >= 0 && iteration_ > first_iter_done && loop_s - steady_start_s - total_pause > 0)
    res.it_per_s = (iteration_ - first_iter_done) / (loop_s - steady_start_s - total_pause);
  return res;
}

}  // namespace ebm::train
