// Script parsing: every action is validated before anything runs, with errors that name the action.
#include "app/studio/script.h"
#include "app/studio/script_ops.h"

#include <gtest/gtest.h>

#include <set>

using namespace ebm::studio;

namespace {
std::string error_of(const std::string& text) {
  try {
    parse_script(text, ".");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Script, ParsesObjectOrArray) {
  auto s = parse_script(R"({"actions": [{"do": "add_term", "model": "pos", "label": [0.1, 0.2]},
                                         {"do": "run_steps", "steps": 5}, {"do": "quit"}]})", "/tmp");
  ASSERT_EQ(s.actions.size(), 3u);
  EXPECT_EQ(s.actions[1].op, "run_steps");
  EXPECT_EQ(s.actions[1].index, 1);
  EXPECT_EQ(s.base_dir, "/tmp");
  auto a = parse_script(R"([{"do": "pause"}])", ".");
  EXPECT_EQ(a.actions.size(), 1u);
}

// One table holds every action: its name, its help line, its argument check and how it runs; an
// action that waits says how the runner knows it is done.
TEST(Script, EveryKnownOpIsOneCompleteRowOfTheTable) {
  std::set<std::string> names;
  for (const ScriptOp& op : script_ops()) {
    EXPECT_TRUE(names.insert(op.name).second) << op.name << " is listed twice";
    EXPECT_FALSE(std::string(op.help).empty()) << op.name;
    EXPECT_NE(op.validate, nullptr) << op.name;
    EXPECT_NE(op.run, nullptr) << op.name;
    EXPECT_EQ(find_script_op(op.name), &op);
  }
  EXPECT_EQ(find_script_op("fly"), nullptr);
  EXPECT_GE(script_ops().size(), 29u);
  for (const char* waits : {"load_model", "run_steps", "wait", "rewind", "export", "save_preset", "screenshot"})
    EXPECT_NE(find_script_op(waits)->poll, nullptr) << waits;
}

TEST(Script, ErrorsNameTheActionAndTheField) {
  EXPECT_NE(error_of("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"steps": []})").find("actions"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "fly"}])").find("unknown action"), std::string::npos);
  auto e = error_of(R"([{"do": "pause"}, {"do": "set_weight", "term": 0}])");
  EXPECT_NE(e.find("action 1 (set_weight)"), std::string::npos) << e;
  EXPECT_NE(e.find("weight"), std::string::npos) << e;
  EXPECT_NE(error_of(R"([{"do": "run_steps", "steps": 0}])").find("outside"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "paint_mask", "term": 0, "points": [[0.1]]}])").find("[x, y]"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "add_operator", "kind": "xor"}])").find("\"and\""), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "set_label", "term": -1, "label": [1]}])").find("term"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "wait"}])").find("frames"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "export", "path": "x", "kind": "gif"}])").find("kind"), std::string::npos);
  EXPECT_NE(error_of(R"([3])").find("\"do\""), std::string::npos);
  // The edit box: four fractions of the image.
  EXPECT_EQ(error_of(R"([{"do": "edit_from_image", "sigma": 0.5, "box": [0.1, 0.2, 0.6, 0.7]}])"), "");
  EXPECT_NE(error_of(R"([{"do": "edit_from_image", "box": [0.1, 0.2]}])").find("[left, top, right, bottom]"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "edit_from_image", "box": [0.1, 0.2, 1.5, 0.7]}])").find("in [0, 1]"), std::string::npos);
}

TEST(Script, SamplerDeviceAndPrecisionAreChecked) {
  EXPECT_EQ(error_of(R"([{"do": "set_sampler", "device": "cuda:1", "precision": "bf16", "cuda_graph": false}])"), "");
  const auto dev = error_of(R"([{"do": "set_sampler", "device": "gpu"}])");
  EXPECT_NE(dev.find("action 0 (set_sampler)"), std::string::npos) << dev;
  EXPECT_NE(dev.find("cuda:N"), std::string::npos) << dev;
  EXPECT_NE(error_of(R"([{"do": "set_sampler", "precision": "fp16"}])").find("fp32, tf32 or bf16"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "set_sampler", "cuda_graph": 1}])").find("true or false"), std::string::npos);
  // The step rule, mode and init are checked before the script runs, with the engine's words.
  EXPECT_EQ(error_of(R"([{"do": "set_sampler", "step_rule": "mala", "mode": "sequential", "init": "noise"}])"), "");
  EXPECT_NE(error_of(R"([{"do": "set_sampler", "step_rule": "hmc2"}])").find("unknown step rule 'hmc2'"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "set_sampler", "mode": "parallel"}])").find("joint or sequential"), std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "set_sampler", "init": "zeros"}])").find("zeros"), std::string::npos);
  EXPECT_EQ(error_of(R"([{"do": "show_curves", "plot": "acceptance"}])"), "");
  EXPECT_NE(error_of(R"([{"do": "show_curves", "plot": "loss"}])").find("energy, grad_norm or acceptance"),
            std::string::npos);
}

TEST(Script, GuidanceIntervalsAreChecked) {
  EXPECT_EQ(error_of(R"([{"do": "set_guidance_interval", "term": 0, "interval": [0.3, null]}])"), "");
  EXPECT_EQ(error_of(R"([{"do": "set_guidance_interval", "term": "colour", "interval": [0, 0.5]}])"), "");
  const auto missing = error_of(R"([{"do": "set_guidance_interval", "term": 0}])");
  EXPECT_NE(missing.find("action 0 (set_guidance_interval)"), std::string::npos) << missing;
  EXPECT_NE(missing.find("needs 'interval'"), std::string::npos) << missing;
  EXPECT_NE(error_of(R"([{"do": "set_guidance_interval", "term": 0, "interval": [0.5, 0.1]}])").find("upper end"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"do": "set_guidance_interval", "term": 0, "interval": 0.3}])").find("[lo, hi]"),
            std::string::npos);
}

// set_walk: the named walks (walk_presets.h) and the walk's fields, checked before the script runs.
TEST(Script, WalkQualitiesAndFieldsAreChecked) {
  for (const char* q : {"auto", "draft", "quick", "final"})
    EXPECT_EQ(error_of(std::string(R"([{"do": "set_walk", "quality": ")") + q + R"("}])"), "") << q;
  const auto bad = error_of(R"([{"do": "set_walk", "quality": "long"}])");
  EXPECT_NE(bad.find("action 0 (set_walk)"), std::string::npos) << bad;
  EXPECT_NE(bad.find("draft, quick or final"), std::string::npos) << bad;
  EXPECT_EQ(error_of(R"([{"do": "set_walk", "walk": "euler", "euler_steps": 12, "corrector_r": 0.8}])"), "");
  EXPECT_NE(error_of(R"([{"do": "set_walk", "walk": "heun"}])"), "");
  EXPECT_NE(error_of(R"([{"do": "set_walk", "corrector_r": 50}])"), "");
  EXPECT_EQ(error_of(R"([{"do": "set_walk", "euler_corrector_steps": 2, "euler_corrector_r": 0.3}])"), "");
  EXPECT_NE(error_of(R"([{"do": "set_walk", "euler_corrector_steps": -1}])"), "");
  EXPECT_NE(error_of(R"([{"do": "set_walk", "euler_corrector_r": 0}])"), "");
}

TEST(Script, LoadScriptReportsUnreadableFiles) {
  try {
    load_script("/nonexistent/script.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
  }
}
