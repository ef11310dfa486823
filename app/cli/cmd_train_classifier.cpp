// `ebm train-classifier`: trains the grading classifier of `ebm eval` on freshly rendered cubes
// scenes and reports its held-out accuracy; see docs/training.md.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "engine/train/classifier_training.h"

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

namespace ebm::cli {

namespace {

std::atomic<bool> g_stop_classifier{false};
extern "C" void on_classifier_signal(int sig) {
  g_stop_classifier.store(true);
  std::signal(sig, SIG_DFL);
}

void register_train_classifier(CLI::App& app) {
  auto o = std::make_shared<train::ClassifierTrainOptions>();
  auto* sub = app.add_subcommand("train-classifier", "Train the grading classifier (position, size, shape, colour)");
  sub->add_option("--out", o->out, "output .safetensors")->required();
  sub->add_option("--device", o->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  sub->add_option("--seed", o->seed, "seed")->capture_default_str();
  sub->add_option("--iters", o->iters, "iterations (0 with --init-from: train nothing, re-measure its held-out figures with --heldout renders)")
      ->capture_default_str();
  sub->add_option("--batch", o->batch, "freshly rendered scenes per iteration")->capture_default_str();
  sub->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--filters", o->num_filters, "network width")->capture_default_str();
  sub->add_option("--noise-max", o->noise_max, "max std of the pixel noise added to training images")->capture_default_str();
  sub->add_option_function<std::string>(
         "--layout", [o](const std::string& s) { o->layout = classifier_layout_from_string(s); },
         "coord (coordinate channels, flattened map, a count head; default) or mean (the first grader's spatial mean)")
      ->check(CLI::IsMember({"coord", "mean"}));
  sub->add_option("--empty-fraction", o->empty_fraction, "coord: share of each batch rendered as an empty floor")
      ->capture_default_str();
  sub->add_option("--two-fraction", o->two_fraction, "coord: share of each batch rendered with two objects")
      ->capture_default_str();
  sub->add_option("--init-from", o->init_from,
                  "continue this grader (its width and layout are kept; use a lower --lr than a fresh run)")
      ->check(CLI::ExistingFile);
  sub->add_option("--heldout", o->heldout, "held-out renders for the reported metrics (as many of each: one object, two objects, an empty floor)")->capture_default_str();
  sub->add_option("--time-limit", o->time_limit_min, "minutes (0 = none); stops early, still evaluates and saves")
      ->capture_default_str();
  sub->add_option("--log-every", o->log_every, "iterations per progress line")->capture_default_str();
  sub->add_flag_callback("--no-progress", [o] { o->progress_bar = false; }, "no progress display");
  sub->callback([o] {
    run_command("train-classifier", [&] {
      check_output_file(o->out, "--out");
      g_stop_classifier.store(false);
      std::signal(SIGINT, on_classifier_signal);
      std::signal(SIGTERM, on_classifier_signal);
      auto r = train::train_classifier(*o, &g_stop_classifier);
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      const auto& m = r.heldout;
      std::cout << "ebm train-classifier: " << r.iterations << " iterations in " << r.seconds << " s; held-out ("
                << m.n << " renders): position error " << m.position_error << ", size error " << m.size_error
                << ", shape accuracy " << m.shape_accuracy << ", colour accuracy " << m.color_accuracy;
      if (m.count_accuracy_one >= 0)
        std::cout << "; count read right: empty floors " << m.count_accuracy_empty << ", one object "
                  << m.count_accuracy_one << ", two objects " << m.count_accuracy_two;
      if (m.count_accuracy_two_visible >= 0)
        std::cout << " (" << m.count_accuracy_two_visible << " of the " << m.n_two_visible
                  << " with both objects at least half visible)";
      std::cout << "\n  saved " << o->out << "\n";
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(410, register_train_classifier);

}  // namespace ebm::cli
