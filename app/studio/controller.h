// Controller: every action the studio can take, in one place, called alike by the panels' widgets,
// the keyboard shortcuts and the script runner (so a scripted run exercises the same code as clicks).
// It owns the engine Session and the editable document (composition draft, masks, sampler params),
// turns edits into Session commands, and picks up the engine's snapshots once per frame.
//
// Threading: GUI thread only, except the model loader's background tasks, which touch nothing here
// until poll() collects their results. No call blocks on the engine: commands are queued
// (Session::submit never blocks), results arrive in later snapshots, file loading runs on tasks.
#pragma once

#include "app/studio/mask_brush.h"
#include "app/studio/sample_history.h"
#include "app/studio/ui_log.h"
#include "engine/energy/composition.h"
#include "engine/recipe/runnable.h"
#include "engine/sampling/walk_presets.h"
#include "engine/session.h"
#include "models/config.h"

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm::studio {

struct ModelEntry {
  enum class State { Loading, Ready, Failed };
  std::string name;  // the key terms use ("position", "shape" …)
  std::string path;  // the file it came from ("" for in-memory models)
  State state = State::Loading;
  std::string error;  // why it failed (shown in the Models panel)
  ModelConfig config;
  LabelSchema schema;
  ModelInfo info;
  std::string kind;  // file format, e.g. "ebm safetensors"
  std::string sha256;  // of the file, as the loader hashed it (travels with the model to the session)
};

enum class MaskOp { Clear, Fill, Invert, Remove };

struct ControllerOptions {
  SessionOptions session;
  SamplerParams sampler;
  LadderOptions ladder = final_ladder();  // how denoising models' ladder is walked (walk_presets.h)
  // Instead, each composition's default walk: quick around one prior, final otherwise (default_walk.h).
  bool walk_by_rule = false;
  bool autostart = true;  // build a default composition and start sampling once start-up models load
};

class Controller {
 public:
  Controller(UiLog& log, ControllerOptions options = {});
  ~Controller();  // stops the session (joins its worker) before anything else goes
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Once per frame: collects finished model loads, the latest snapshot, its new events (into the log)
  // and per-sample history. Returns true when the snapshot changed since the last call.
  bool poll();
  const std::shared_ptr<const Snapshot>& snapshot() const { return snap_; }
  bool sampling() const;  // the worker is running a chain right now
  Session& session() { return *session_; }

  // ---- models
  // Loads a model file on a background task; the Models panel shows it as "loading" meanwhile.
  // `name` empty: derived from the file name. Returns the name it will have.
  std::string open_model(const std::string& path, const std::string& name = "");
  // Adds an in-memory model (tests, demos); it is ready at once.
  std::string add_model(const std::string& name, std::shared_ptr<EnergyModel> model, const ModelConfig& config,
                        const std::string& path = "");
  void unload_model(const std::string& name);
  const std::vector<ModelEntry>& models() const { return models_; }
  const ModelEntry* model(const std::string& name) const;
  bool loading() const { return !pending_.empty(); }
  // Start-up models: load them all, then (autostart) build the default composition and start.
  void open_startup_models(const std::vector<std::string>& paths);

  // ---- composition draft (every edit is sent to the session when the draft is valid)
  const Node& composition() const { return doc_; }
  const std::string& composition_error() const { return doc_error_; }
  const Node* node(const NodePath& p) const;
  std::vector<NodePath> term_paths() const;  // depth-first, = the engine's term order
  NodePath term_path(int term_index) const;  // throws std::out_of_range naming the count
  NodePath term_path(const std::string& term_name) const;  // empty optional-like: throws when absent

  std::string add_term(const NodePath& parent, const std::string& model, std::optional<std::vector<float>> label = {},
                       double weight = 1.0);
  void add_operator(const NodePath& parent, NodeKind kind);
  void remove_node(const NodePath& p);
  void move_node(const NodePath& p, int delta);  // reorder among siblings
  void set_term_model(const NodePath& p, const std::string& model);
  void set_label(const NodePath& p, std::vector<float> label);
  void set_label_slot(const NodePath& p, int slot, float value);
  void set_one_hot(const NodePath& p, int slot);
  void set_weight(const NodePath& p, double w);
  // Classifier-free guidance of a denoising model's term (composition.h); throws outside [0, 100].
  void set_guidance(const NodePath& p, double g);
  // The noise levels σ where that guidance applies (guidance.h); throws std::invalid_argument for an
  // interval with hi < lo or a negative lo, changing nothing.
  void set_guidance_interval(const NodePath& p, const GuidanceInterval& iv);
  void set_enabled(const NodePath& p, bool on);
  void set_solo(const NodePath& p, bool on);
  // A term asking for any value of its concept, a different one per sample (Node::any_label): on a
  // position term, each sample's object put somewhere of its own. Throws for operators and for a
  // model that takes no label.
  void set_any_label(const NodePath& p, bool on);
  void set_temperature(const NodePath& p, double t);
  void set_coefficient(const NodePath& p, double c);
  // And/Not: compose the terms around one prior (composition.h); throws for other nodes.
  void set_shared_prior(const NodePath& p, bool on);
  void set_composition(Node root, std::map<std::string, MaskImage> masks = {});  // presets, scripts
  void clear_composition();

  // ---- masks (keyed by term name, sized like the models' images)
  const MaskImage* mask(const std::string& term) const;
  const std::map<std::string, MaskImage>& masks() const { return masks_; }
  // Changes whenever the draft (masks included) changes: the views re-upload mask textures then.
  std::uint64_t draft_version() const { return draft_version_; }
  // `points` in mask pixels (x0, y0, x1, y1, …); creates a mask (all 1) on first use.
  void paint_mask(const std::string& term, const std::vector<float>& points, const Brush& brush);
  void mask_op(const std::string& term, MaskOp op);
  int image_size() const;  // the composition's image size (64 until a model says otherwise)

  // ---- sampler and run control
  const SamplerParams& sampler() const { return params_; }
  // The walk of denoising models' ladder: set_ladder replaces the schedule with the models' ladder
  // walked this way (also over a recipe's own schedule), and keeps doing so as models come and go.
  // By rule (set_walk_by_rule, the studio's `--quality auto` on a GPU), the walk is the composition's
  // default — quick around one prior, final otherwise — and follows the composition as it is edited;
  // ladder() is the walk in use either way.
  LadderOptions ladder() const { return walk_for(doc_); }
  bool walk_by_rule() const { return walk_by_rule_; }
  void set_ladder(const LadderOptions& l);
  void set_walk_by_rule();
  // Network evaluations per sample of one step of the composition as edited (evaluation_cost.h).
  int evaluations_per_step() const;
  // The guidance the term at `path` is sampled at while it names none (guidance_rule.h): its model's,
  // capped at 3 where three or more terms pull around one prior — not while editing an image.
  double default_guidance(const NodePath& path) const;
  // Checks `p` (once: the engine takes checked params as they are) and sends it; a bad value is
  // logged and changes nothing (the panels' road).
  void set_sampler(const SamplerParams& p);
  // The same, throwing std::invalid_argument for a bad value (the script runner's road).
  void apply_sampler(const SamplerParams& p);
  const SessionOptions& session_options() const { return options_; }
  void set_session_options(const SessionOptions& o);
  void start();
  void pause();
  void resume();
  void toggle_pause();
  void step(std::int64_t n);
  void cancel();
  void restart(bool new_seed);
  void rewind(std::int64_t step);

  // ---- edits from an image (issue #29; controller_image_edit.cpp)
  // Sets the labels an image was read as (model name → label) on every term of those models that is
  // not under a Not (a Not term says what the image should not be); with no term in the composition,
  // builds an And of one term per model read. Returns the names of the terms it set.
  std::vector<std::string> fill_labels(const std::vector<std::pair<std::string, std::vector<float>>>& by_model);
  // Restarts every chain from `image` ([C,H,W] in [0,1], any size) noised to σ, the models' ladder
  // walked from there (recipe init {image, sigma}); throws std::invalid_argument for a σ outside
  // [0, 100] or an image of the wrong shape, changing nothing. With the edit pull on (default), a
  // guided term whose label was changed since fill_labels set it is first raised to guidance
  // kEditGuidance when it is below: the changed concept has to outweigh what the noised image still
  // shows (64 colour edits, 2-core CPU, 2026-12-05: the new colour in 66 % at 6 against 53 % at the
  // colour file's 2, around one prior; docs/studio.md, Read). `region` ([1,H,W] in [0,1], any size;
  // undefined: the whole image) limits the redraw to it, the rest held to the image (SamplerParams::
  // init_region); such an edit takes no pull — the region is redrawn from noise at the default σ 1, and
  // 64 colour edits in a box took the new colour in 100 % at the file's guidance, 94 % pulled to 6
  // (docs/recipe.md "An edit box"). Returns the names of the raised terms.
  std::vector<std::string> edit_from_image(const torch::Tensor& image, double sigma, const torch::Tensor& region = {});
  static constexpr double kEditGuidance = 6.0;
  bool edit_pull() const { return edit_pull_; }
  void set_edit_pull(bool on) { edit_pull_ = on; }
  // Back to the usual start (the noise start on a ladder, grey-colour otherwise), restarting.
  void stop_image_edit();
  bool editing_image() const { return params_.init == InitMode::Image; }

  // ---- files written by the engine (grid/sample/sequence PNGs and recipes; result: an event)
  void export_files(const ExportRequest& r);
  // Starts sampling once every pending model load has finished (after opening a recipe).
  void start_when_loaded();

  // ---- selection and history
  int selected() const { return selected_; }
  void select(int sample);  // -1: none
  // Per-term gradient maps of the selected sample (Views panel): while on, the session computes them
  // for the selected sample (cmd::InspectSample) and they arrive in snapshot()->gradient_maps.
  void set_gradient_maps(bool on);
  bool gradient_maps_on() const { return grad_maps_on_; }
  const SampleHistory& history() const { return history_; }
  UiLog& log() { return log_; }

 private:
  // The labels fill_labels last set, by term name: what "changed since the reading" compares with.
  std::map<std::string, std::vector<float>> read_labels_;
  bool edit_pull_ = true;
  std::vector<std::string> raise_changed_terms_guidance();  // edit_from_image's pull (controller_image_edit.cpp)
  struct PendingLoad {
    std::string name, path;
    std::future<ModelEntry> entry;
    std::shared_ptr<std::shared_ptr<EnergyModel>> model;  // filled by the task
  };
  Node* mutable_node(const NodePath& p);
  std::string unique_term_name(const std::string& base) const;
  std::string unique_model_name(const std::string& base) const;
  void submit_composition();  // validates the draft; sends it or records why not
  // A value edit (weight, label, guidance, temperature, coefficient, mask) of the draft the engine
  // has: sent alone (cmd::EditValues), so the engine compiles nothing; the whole draft otherwise.
  void submit_edit(ValueEdit e);
  void submit_mask(const std::string& term);  // the term's mask as it is now, as a value edit
  // Denoising models sample only on an annealed noise schedule: while the composition uses one and no
  // schedule was chosen (a recipe's is kept), the sampler gets the models' ladder, and loses it again
  // with the last denoising term.
  void sync_schedule(const Node& tree);
  void collect_loads();
  // The ModelInfo of the models loaded so far (those still loading or failed: none).
  ModelInfoLookup ready_models() const;
  // `next` on the schedule it needs (the models' ladder when automatic, cut at an image start's σ),
  // sent, and the chains restarted.
  void restart_with(SamplerParams next);
  // Checked params to the engine, kept as this document's; whether the schedule is the automatic one
  // is the caller's to say.
  void send_sampler(CheckedSamplerParams checked);
  void maybe_autostart();
  void sync_inspected();  // tells the session which sample to compute gradient maps for
  Node default_composition() const;

  UiLog& log_;
  SessionOptions options_;
  SamplerParams params_;
  bool auto_schedule_ = false;
  LadderOptions ladder_;  // params_.schedule was set by sync_schedule, not by the user or a recipe
  bool walk_by_rule_ = false;  // the walk is walk_for(tree): the composition's default, not ladder_
  LadderOptions walk_for(const Node& tree) const;
  bool autostart_ = true;
  bool autostart_done_ = false;
  bool restart_on_autostart_ = false;
  int startup_pending_ = 0;

  Node doc_;
  std::string doc_error_;
  std::map<std::string, MaskImage> masks_;
  std::uint64_t draft_version_ = 0;
  std::vector<ModelEntry> models_;
  std::vector<PendingLoad> pending_;

  std::shared_ptr<const Snapshot> snap_;
  std::uint64_t last_event_seq_ = 0;
  SampleHistory history_;
  int selected_ = -1;
  bool grad_maps_on_ = true;
  int inspected_ = -1;  // the sample the session was last asked to inspect

  std::unique_ptr<Session> session_;  // last member: destroyed first, so the worker stops first
};

// One line for the Models panel and the log: "cubesnet 64x64, label 2, spec-norm, swish". The label
// is what a term gives (ModelInfo): a denoising model's network also reads a null flag and σ features.
std::string describe(const ModelConfig& c, const ModelInfo& info);

}  // namespace ebm::studio
