// Worker: the state machine behind a Session, run on the session's thread. Applies commands between
// steps (one handler per command, worker_commands.cpp), drives the sampler, keeps history and curves,
// and publishes snapshots (snapshot_builder.h). Private to the engine: use Session.
#pragma once

#include "engine/gpu/run_ahead.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/sharded_sampler.h"
#include "engine/session.h"
#include "engine/session/curve_recorder.h"
#include "engine/session/history.h"

#include <chrono>
#include <deque>
#include <map>
#include <memory>

namespace ebm {

class Worker {
 public:
  Worker(Session& session, SessionOptions options);
  void run();  // returns when the session quits

 private:
  using Clock = std::chrono::steady_clock;

  void apply(Command& c);
  // One handler per command (worker_commands.cpp).
  void handle(cmd::SetComposition& c);
  void handle(cmd::EditValues& c);
  void handle(cmd::SetSampler& c);
  void handle(cmd::SetOptions& c);
  void handle(cmd::Start& c);
  void handle(cmd::Pause& c);
  void handle(cmd::Resume& c);
  void handle(cmd::Step& c);
  void handle(cmd::Cancel& c);
  void handle(cmd::Finish& c);
  void handle(cmd::Restart& c);
  void handle(cmd::Rewind& c);
  void handle(cmd::LoadModel& c);
  void handle(cmd::AddModel& c);
  void handle(cmd::UnloadModel& c);
  void handle(cmd::Export& c);
  void handle(cmd::InspectSample& c);

  void start_chain();
  void do_step();
  void recover_from_out_of_memory(const std::string& what);
  void end_of_run();
  void event(Event::Kind kind, std::string message);
  bool check_compiles();  // reports a failing composition as an error event
  void update_gradient_maps();  // recomputes the inspected sample's maps when stale
  void report_nan_resets(const Snapshot& s);
  void publish();
  void set_status(SessionStatus s);
  void set_models();  // hands models_ to the sampler; an error event when it refuses them
  void do_export(const ExportRequest& req);
  Recipe current_recipe() const;

  Session& session_;
  SessionOptions options_;
  ShardedSampler sampler_;  // one device, or the batch split over several (SamplerParams::devices)
  ModelSet models_;
  std::map<std::string, ModelRef> model_refs_;  // file + hash of each model, for exported recipes
  History history_;
  CurveRecorder curves_;
  gpu::RunAhead run_ahead_;  // bounds the steps queued on the GPU (SessionOptions::max_steps_ahead)
  SessionStatus status_ = SessionStatus::Idle;
  std::uint64_t chain_id_ = 0;
  std::int64_t step_budget_ = 0;  // >0: steps left of a Step N command

  StepStats last_stats_;
  std::int64_t last_stats_step_ = -1;  // the chain step after which last_stats_ was measured
  std::deque<Event> events_;
  std::uint64_t event_seq_ = 0;
  std::int64_t resets_reported_ = 0;

  std::uint64_t snap_seq_ = 0;
  bool dirty_ = true;  // something changed since the last publish
  std::int64_t steps_since_publish_ = 0;
  Clock::time_point last_publish_ = Clock::now();
  Clock::time_point window_start_ = Clock::now();  // first step since the last publish
  double ms_per_step_ = 0.0;

  std::int64_t inspect_ = -1;  // sample whose gradient maps are published (-1: none)
  std::shared_ptr<const GradientMaps> grad_maps_;
  bool grad_stale_ = true;     // a command arrived since the maps were computed
  Clock::time_point grad_at_ = Clock::now();
};

}  // namespace ebm
