// The real ebm-studio under Xvfb (Mesa llvmpipe in CI): a script builds a two-term composition from
// two freshly made random-weight CubesNet files, samples, paints a mask, rewinds, exports a grid and
// takes a screenshot. Asserts the files, the recipe inside the exported PNG, and that the frame loop
// kept drawing while the worker sampled.
#include "engine/data/cubes_renderer.h"
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("ebm_studio_gui_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A small CubesNet (fewer filters than the shipped ones: this runs on 2 CPU cores) with random weights.
void make_model(const fs::path& path, int label_size, int seed) {
  ebm::ModelConfig c = ebm::ModelConfig::defaults_for(ebm::Arch::CubesNet);
  c.num_filters = 8;
  c.label_size = label_size;
  torch::manual_seed(seed);
  auto net = ebm::make_network(c);
  ebm::save_model(path.string(), *net);
}

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Writes `script` to DIR/script.json and returns the command that runs the studio on it: its own
// config directory, no autostart, a time limit, screenshots and the report in DIR/out, `models`.
std::string scripted_studio(const fs::path& dir, const json& script, int max_seconds, const std::vector<fs::path>& models) {
  std::ofstream(dir / "script.json") << script.dump(2);
  std::string cmd = "XDG_CONFIG_HOME=" + (dir / "config").string() + " " + EBM_STUDIO_EXE + " --no-autostart --max-seconds " +
                    std::to_string(max_seconds) + " --script " + (dir / "script.json").string() + " --screenshot-dir " +
                    (dir / "out").string();
  for (const auto& m : models) cmd += " " + m.string();
  return cmd + " 2>&1";
}

}  // namespace

// The studio's --gpus N path, with CPU shares standing in for GPUs (CI has none): the chains split
// in two, the overlay's report names the split, and the exported grid's recipe records the chunk
// (micro_batch = one share) that makes a one-device replay draw the same images.
TEST(StudioGui, AChainSplitInTwoSharesRunsAndExportsItsMicroBatch) {
  const fs::path dir = fresh_dir("split");
  make_model(dir / "position.safetensors", 2, 1);
  const json script = {
      {"actions",
       {
           {{"do", "set_sampler"}, {"batch", 5}, {"steps", 100000}, {"step_lr", 50}, {"device", "cpu"}, {"devices", 2}},
           {{"do", "add_term"}, {"model", "position"}, {"label", {0.4, -0.3}}},
           {{"do", "run_steps"}, {"steps", 3}},
           {{"do", "export"}, {"path", "grid"}},
           {{"do", "quit"}},
       }}};
  const fs::path out = dir / "out";
  ASSERT_EQ(run(scripted_studio(dir, script, 240, {dir / "position.safetensors"})), 0)
      << "ebm-studio failed; report: " << ebm::test::file_bytes(out / "script_report.json");
  const json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  EXPECT_TRUE(report.at("ok").get<bool>()) << report.dump(2);
  EXPECT_EQ(report.at("sampling_perf").at("devices").get<int>(), 2) << report.dump(2);
  EXPECT_EQ(report.at("sampling_perf").at("batch").get<int>(), 5);
  std::vector<std::string> warnings;
  const ebm::Recipe r = ebm::read_png_recipe((out / "grid.png").string(), &warnings);
  EXPECT_EQ(r.sampler.batch, 5);
  EXPECT_EQ(r.sampler.micro_batch, 3);  // shares of 3 and 2
  EXPECT_EQ(r.sampler.steps, 3);
}

// The MALA step rule from the Sampler panel's settings: the run goes, the Curves panel plots its
// acceptance (screenshot), and the exported grid's recipe says which rule drew it.
TEST(StudioGui, AMalaRunPlotsItsAcceptanceAndExportsItsRule) {
  const fs::path dir = fresh_dir("mala");
  make_model(dir / "position.safetensors", 2, 1);
  const json script = {
      {"actions",
       {
           {{"do", "set_sampler"}, {"batch", 4}, {"steps", 100000}, {"step_lr", 0.001}, {"noise_std", 0.045},
            {"step_rule", "mala"}, {"device", "cpu"}},
           {{"do", "add_term"}, {"model", "position"}, {"label", {0.4, -0.3}}},
           {{"do", "run_steps"}, {"steps", 8}},
           {{"do", "show_curves"}, {"plot", "acceptance"}},
           {{"do", "wait"}, {"frames", 3}},
           {{"do", "screenshot"}, {"path", "mala.png"}},
           {{"do", "export"}, {"path", "grid"}},
           {{"do", "quit"}},
       }}};
  const fs::path out = dir / "out";
  ASSERT_EQ(run(scripted_studio(dir, script, 240, {dir / "position.safetensors"})), 0)
      << "ebm-studio failed; report: " << ebm::test::file_bytes(out / "script_report.json");
  EXPECT_TRUE(fs::exists(out / "mala.png"));
  std::vector<std::string> warnings;
  const ebm::Recipe r = ebm::read_png_recipe((out / "grid.png").string(), &warnings);
  EXPECT_EQ(r.sampler.step_rule, ebm::StepRule::Mala);
  EXPECT_EQ(r.sampler.steps, 8);
}

TEST(StudioGui, ScriptedSessionWritesFilesWithRecipeWhileTheLoopRuns) {
  const fs::path dir = fresh_dir("script");
  make_model(dir / "position.safetensors", 2, 1);
  make_model(dir / "shape.safetensors", 3, 2);
  const json script = {
      {"actions",
       {
           {{"do", "set_sampler"}, {"batch", 4}, {"steps", 100000}, {"step_lr", 50}, {"preview_every_steps", 1},
            {"device", "cpu"}, {"precision", "fp32"}},
           {{"do", "add_term"}, {"model", "position"}, {"label", {0.4, -0.3}}},
           {{"do", "add_term"}, {"model", "shape"}, {"label", {0, 1, 0}}, {"weight", 0.8}},
           {{"do", "start"}},
           {{"do", "wait"}, {"until", "running"}},
           {{"do", "wait"}, {"ms", 1500}},  // the UI keeps drawing while the worker samples
           {{"do", "pause"}},
           {{"do", "wait"}, {"until", "settled"}},
           {{"do", "select"}, {"sample", 1}},
           {{"do", "paint_mask"}, {"term", 1}, {"points", {{0.2, 0.2}, {0.8, 0.5}}}, {"radius", 10}},
           {{"do", "set_label"}, {"term", "position"}, {"slot", "x"}, {"value", -0.5}},
           {{"do", "run_steps"}, {"steps", 4}},
           {{"do", "rewind"}, {"step", 2}},
           {{"do", "run_steps"}, {"steps", 2}},
           {{"do", "export"}, {"path", "grid"}},
           {{"do", "save_preset"}, {"path", "preset.json"}},
           {{"do", "screenshot"}, {"path", "shot.png"}},
           {{"do", "quit"}},
       }}};
  const fs::path out = dir / "out";
  const std::string cmd = scripted_studio(dir, script, 240, {dir / "position.safetensors", dir / "shape.safetensors"});
  ASSERT_EQ(run(cmd), 0) << "ebm-studio failed; report: " << ebm::test::file_bytes(out / "script_report.json");

  const json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  EXPECT_TRUE(report.at("ok").get<bool>()) << report.dump(2);
  EXPECT_EQ(report.at("actions_done").get<int>(), report.at("actions_total").get<int>());
  // The frame loop kept running while the worker sampled (1.5 s of sampling and a few steps more, at
  // the CPU-sampling cap: 5 fps under a software GL such as Xvfb's llvmpipe, 10 otherwise).
  EXPECT_GE(report.at("frames_while_sampling").get<int>(), 6) << report.dump(2);
  EXPECT_GT(report.at("frames").get<int>(), report.at("frames_while_sampling").get<int>());
  EXPECT_GE(report.at("max_step_seen").get<int>(), 4);
  // The report says how the GUI kept up while sampling, and where and how the chain ran.
  const json& perf = report.at("sampling_perf");
  EXPECT_GT(perf.at("fps").get<double>(), 3.0) << perf.dump(2);
  EXPECT_GT(perf.at("busy_ms_median").get<double>(), 0.0);
  EXPECT_LE(perf.at("busy_ms_median").get<double>(), perf.at("busy_ms_p99").get<double>());
  EXPECT_LE(perf.at("busy_ms_p99").get<double>(), perf.at("busy_ms_max").get<double>());
  EXPECT_NE(perf.at("preview_path").get<std::string>().find("host"), std::string::npos) << perf.dump(2);
  EXPECT_EQ(perf.at("device").get<std::string>(), "cpu");
  EXPECT_EQ(perf.at("precision").get<std::string>(), "fp32");
  EXPECT_EQ(perf.at("step_path").get<std::string>(), "eager");
  EXPECT_EQ(perf.at("batch").get<int>(), 4);
  EXPECT_GT(perf.at("img_steps_per_s").get<double>(), 0.0);

  // The grid PNG carries the recipe of what was sampled: both terms, the new label, the mask.
  ASSERT_TRUE(fs::exists(out / "grid.png"));
  std::vector<std::string> warnings;
  ebm::Recipe r = ebm::read_png_recipe((out / "grid.png").string(), &warnings);
  ASSERT_EQ(r.composition.children.size(), 2u);
  EXPECT_EQ(r.composition.children[0].model, "position");
  EXPECT_FLOAT_EQ(r.composition.children[0].label[0], -0.5f);
  EXPECT_EQ(r.composition.children[1].model, "shape");
  EXPECT_DOUBLE_EQ(r.composition.children[1].weight, 0.8);
  EXPECT_TRUE(r.composition.children[1].mask.defined());
  EXPECT_EQ(r.sampler.batch, 4);
  EXPECT_EQ(r.sampler.steps, 4);  // exported at step 2 + 2 after the rewind
  ASSERT_EQ(r.models.size(), 2u);
  const auto grid = ebm::png_decode(ebm::test::file_bytes(out / "grid.png"));
  EXPECT_GE(grid.width, 2 * 64);

  // The screenshot is the whole window, not blank.
  ASSERT_TRUE(fs::exists(out / "shot.png"));
  const auto shot = ebm::png_decode(ebm::test::file_bytes(out / "shot.png"));
  EXPECT_EQ(shot.width, 1600);
  EXPECT_TRUE(fs::exists(out / "preset.json"));
  fs::remove_all(dir);
}

// Selecting a sample shows one gradient-magnitude map per term beside the grid (issue #5): the
// worker computes them for the selected sample, the report says what was shown and where, and the
// tiles on the screenshot are colormapped fields, not blank.
TEST(StudioGui, SelectedSampleShowsPerTermGradientMaps) {
  const fs::path dir = fresh_dir("gradmaps");
  make_model(dir / "position.safetensors", 2, 1);
  make_model(dir / "shape.safetensors", 3, 2);
  const json script = {
      {"actions",
       {
           {{"do", "set_sampler"}, {"batch", 4}, {"steps", 100000}, {"step_lr", 50}},
           {{"do", "add_term"}, {"model", "position"}, {"label", {0.4, -0.3}}},
           {{"do", "add_term"}, {"model", "shape"}, {"label", {0, 1, 0}}, {"weight", 0.8}},
           {{"do", "paint_mask"}, {"term", 1}, {"points", {{0.1, 0.5}, {0.5, 0.5}}}, {"radius", 12}},
           {{"do", "run_steps"}, {"steps", 5}},
           {{"do", "select"}, {"sample", 2}},
           {{"do", "wait"}, {"until", "gradients"}},
           {{"do", "wait"}, {"frames", 3}},  // the maps are uploaded and drawn
           {{"do", "screenshot"}, {"path", "gradients.png"}},
           {{"do", "quit"}},
       }}};
  const fs::path out = dir / "out";
  const std::string cmd = scripted_studio(dir, script, 180, {dir / "position.safetensors", dir / "shape.safetensors"});
  ASSERT_EQ(run(cmd), 0) << "ebm-studio failed; report: " << ebm::test::file_bytes(out / "script_report.json");
  const json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  EXPECT_TRUE(report.at("ok").get<bool>()) << report.dump(2);

  ASSERT_TRUE(report.contains("gradient_maps")) << report.dump(2);
  const json& g = report.at("gradient_maps");
  EXPECT_EQ(g.at("sample").get<int>(), 2);
  EXPECT_EQ(g.at("step").get<int>(), 5);
  EXPECT_EQ(g.at("error").get<std::string>(), "");
  ASSERT_EQ(g.at("terms").size(), 2u) << g.dump(2);
  EXPECT_EQ(g.at("terms")[0].at("model"), "position");
  EXPECT_EQ(g.at("terms")[1].at("model"), "shape");
  EXPECT_NEAR(g.at("terms")[1].at("coefficient").get<double>(), 0.8, 1e-6);  // float32 energies
  for (const auto& t : g.at("terms")) EXPECT_GT(t.at("norm").get<double>(), 0.0) << t.dump();
  EXPECT_GT(g.at("total_norm").get<double>(), 0.0);

  // Two tiles side by side with the grid (right of it), each a colormapped field: many distinct
  // colours, none of them the panel's grey.
  const json& tiles = report.at("gradient_tiles");
  ASSERT_EQ(tiles.size(), 2u) << report.dump(2);
  const auto shot = ebm::png_decode(ebm::test::file_bytes(out / "gradients.png"));
  ASSERT_GE(shot.channels, 3);
  for (const auto& t : tiles) {
    const int x0 = static_cast<int>(t[0].get<float>()), y0 = static_cast<int>(t[1].get<float>());
    const int w = static_cast<int>(t[2].get<float>()), h = static_cast<int>(t[3].get<float>());
    ASSERT_GE(w, 32);
    ASSERT_LE(x0 + w, shot.width);
    ASSERT_LE(y0 + h, shot.height);
    std::set<std::uint32_t> colours;
    for (int y = y0 + 2; y < y0 + h - 2; ++y)
      for (int x = x0 + 2; x < x0 + w - 2; ++x) {
        const std::uint8_t* p = &shot.pixels[(static_cast<size_t>(y) * shot.width + x) * shot.channels];
        colours.insert((std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2]);
      }
    EXPECT_GE(colours.size(), 20u) << "tile at " << t.dump() << " looks blank";
  }
  EXPECT_GT(tiles[0][0].get<float>(), 100.f);  // beside the grid, not over it
  // EBM_GUI_TEST_KEEP=1 keeps the screenshot and report for a look (the path is printed).
  if (std::getenv("EBM_GUI_TEST_KEEP")) std::cout << "kept " << (out / "gradients.png").string() << "\n";
  else fs::remove_all(dir);
}

TEST(StudioGui, OpensWithAClearMessageWhenModelsAreMissingOrCorrupt) {
  const fs::path dir = fresh_dir("missing");
  std::ofstream(dir / "corrupt.safetensors") << "not a model";
  const json script = {{"actions", {{{"do", "wait"}, {"frames", 5}}, {{"do", "screenshot"}, {"path", "empty.png"}}, {{"do", "quit"}}}}};
  std::ofstream(dir / "script.json") << script.dump();
  const std::string cmd = "XDG_CONFIG_HOME=" + (dir / "config").string() + " " + EBM_STUDIO_EXE + " --max-seconds 60 --script " +
                          (dir / "script.json").string() + " " + (dir / "corrupt.safetensors").string() + " " +
                          (dir / "missing.safetensors").string() + " > " + (dir / "log.txt").string() + " 2>&1";
  EXPECT_EQ(run(cmd), 0) << ebm::test::file_bytes(dir / "log.txt");
  EXPECT_TRUE(fs::exists(dir / "empty.png"));
  // The window opened and the UI (Models panel, log) names each bad file and what is wrong with it.
  const json report = json::parse(ebm::test::file_bytes(dir / "script_report.json"));
  ASSERT_EQ(report.at("models").size(), 2u) << report.dump(2);
  for (const auto& m : report.at("models")) {
    EXPECT_EQ(m.at("state"), "failed");
    EXPECT_FALSE(m.at("error").get<std::string>().empty());
  }
  const std::string errors = report.at("errors").dump();
  EXPECT_NE(errors.find("corrupt.safetensors"), std::string::npos) << errors;
  EXPECT_NE(errors.find("missing.safetensors"), std::string::npos) << errors;
  fs::remove_all(dir);
}

TEST(StudioGui, BadScriptFailsWithTheActionNamed) {
  const fs::path dir = fresh_dir("badscript");
  std::ofstream(dir / "script.json") << R"([{"do": "set_weight", "term": 0}])";
  const std::string cmd = std::string(EBM_STUDIO_EXE) + " --script " + (dir / "script.json").string() + " > " +
                          (dir / "log.txt").string() + " 2>&1";
  EXPECT_EQ(run(cmd), 1);
  EXPECT_NE(ebm::test::file_bytes(dir / "log.txt").find("action 0 (set_weight)"), std::string::npos) << ebm::test::file_bytes(dir / "log.txt");
  fs::remove_all(dir);
}

// A script whose action fails ends the app with exit code 1 and a report naming the action; the
// window is never left open waiting (a regression: a failed action used to leave the loop running
// forever, past --max-seconds).
TEST(StudioGui, AFailingActionEndsTheAppWithItsError) {
  const fs::path dir = fresh_dir("failing");
  make_model(dir / "position.safetensors", 2, 1);
  const json script = {{"actions", {{{"do", "add_term"}, {"model", "no_such_model"}}, {{"do", "wait"}, {"frames", 5}}}}};
  std::ofstream(dir / "script.json") << script.dump();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cmd = "XDG_CONFIG_HOME=" + (dir / "config").string() + " " + EBM_STUDIO_EXE + " --no-autostart --max-seconds 60 --script " +
                          (dir / "script.json").string() + " " + (dir / "position.safetensors").string() + " > " +
                          (dir / "log.txt").string() + " 2>&1";
  EXPECT_EQ(run(cmd), 1) << ebm::test::file_bytes(dir / "log.txt");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 50.0);
  const json report = json::parse(ebm::test::file_bytes(dir / "script_report.json"));
  EXPECT_FALSE(report.at("ok").get<bool>());
  EXPECT_NE(report.dump().find("no_such_model"), std::string::npos) << report.dump(2);
  fs::remove_all(dir);
}

// Devices that are not there: a recipe made for a GPU this machine lacks opens and samples on the
// CPU with a warning; a chain the user points at such a GPU fails at once with the reason (a script
// waiting for it to run ends instead of waiting for its time limit).
TEST(StudioGui, AnAbsentGpuIsNamedAndARecipeForItRunsOnTheCpu) {
  const fs::path dir = fresh_dir("absent_gpu");
  make_model(dir / "position.safetensors", 2, 1);
  const fs::path out = dir / "out";
  const std::vector<fs::path> models = {dir / "position.safetensors"};
  const json base = {{"do", "set_sampler"}, {"batch", 2}, {"steps", 3}};
  const json term = {{"do", "add_term"}, {"model", "position"}, {"label", {0.2, 0.1}}};

  json script = {{"actions", {base, term, {{"do", "run_steps"}, {"steps", 1}}, {{"do", "save_preset"}, {"path", "cpu.json"}}, {{"do", "quit"}}}}};
  ASSERT_EQ(run(scripted_studio(dir, script, 60, models)), 0) << ebm::test::file_bytes(out / "script_report.json");
  json recipe = json::parse(ebm::test::file_bytes(out / "cpu.json"));
  recipe["device"] = "cuda:7";
  std::ofstream(dir / "gpu7.json") << recipe.dump();

  script = {{"actions", {{{"do", "open_preset"}, {"path", (dir / "gpu7.json").string()}}, {{"do", "wait"}, {"until", "images"}},
                         {{"do", "quit"}}}}};
  ASSERT_EQ(run(scripted_studio(dir, script, 60, models)), 0) << ebm::test::file_bytes(out / "script_report.json");
  json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  EXPECT_NE(report.at("warnings").dump().find("sampling it on the cpu instead"), std::string::npos) << report.dump(2);
  EXPECT_EQ(report.at("sampling_perf").at("device").get<std::string>(), "cpu");

  json to_gpu7 = base;
  to_gpu7["device"] = "cuda:7";
  script = {{"actions", {to_gpu7, term, {{"do", "start"}}, {{"do", "wait"}, {"until", "running"}}}}};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(scripted_studio(dir, script, 60, models)), 1);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 50.0);
  report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  const std::string error = report.at("error").get<std::string>();
  EXPECT_NE(error.find("did not start"), std::string::npos) << error;
  EXPECT_NE(error.find("cuda:7"), std::string::npos) << error;
  fs::remove_all(dir);
}

// File > Open example (the script's open_example goes through the same list as the menu): the
// shipped masked example opens with its models found by bare name among the shipped models (from
// the build tree: the source tree's assets/models) and its mask; then a grid PNG dropped on the
// window, its recipe naming another shipped model by bare name with nothing of that name beside it,
// opens too. Nothing is preloaded (an empty models directory), so every model comes from a recipe.
// The walk is set to auto first (the Sampler panel's auto, a GPU's default): the example, around one
// prior, samples on the quick walk, and the dropped single term on the final ladder.
TEST(StudioGui, OpenExampleOpensAShippedRecipeAndADroppedRecipePngOpensToo) {
  const fs::path dir = fresh_dir("example");
  fs::create_directories(dir / "no_models");
  ebm::Recipe drawn;
  drawn.models = {{"size", "size.safetensors", ""}};
  drawn.composition = ebm::Node::term("small", "size", {0.35f});
  drawn.sampler.batch = 2;
  ebm::write_grid_png((dir / "grid.png").string(), torch::rand({2, 3, 64, 64}), ebm::GridOptions{}, &drawn);
  const json script = {{"actions",
                        {
                            {{"do", "set_walk"}, {"quality", "auto"}},
                            {{"do", "open_example"}, {"name", "masked_color_and_position"}},
                            {{"do", "wait"}, {"until", "running"}},
                            {{"do", "pause"}},
                            {{"do", "save_preset"}, {"path", "opened.json"}},
                            {{"do", "drop"}, {"paths", {(dir / "grid.png").string()}}},
                            {{"do", "wait"}, {"until", "running"}},
                            {{"do", "pause"}},
                            {{"do", "quit"}},
                        }}};
  const fs::path out = dir / "out";
  ASSERT_EQ(run("EBM_STUDIO_MODELS= " + scripted_studio(dir, script, 240, {dir / "no_models"})), 0)
      << "ebm-studio failed; report: " << ebm::test::file_bytes(out / "script_report.json");
  const json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  EXPECT_TRUE(report.at("ok").get<bool>()) << report.dump(2);
  EXPECT_TRUE(report.at("errors").empty()) << report.dump(2);

  // The example as opened: its composition, mask included, and the shipped files by name.
  const fs::path example = fs::path(EBM_SOURCE_DIR) / "assets" / "recipes" / "masked_color_and_position.json";
  const ebm::Recipe opened = ebm::load_recipe((out / "opened.json").string(), nullptr);
  EXPECT_EQ(ebm::node_to_json(opened.composition), ebm::node_to_json(ebm::load_recipe(example.string(), nullptr).composition));
  EXPECT_TRUE(opened.composition.shared_prior);
  EXPECT_EQ(opened.sampler.total_steps(), 39);  // around one prior, by rule: the quick walk
  std::set<std::string> names;
  for (const auto& m : report.at("models")) {
    const std::string name = m.at("name").get<std::string>();
    names.insert(name);
    EXPECT_EQ(m.at("state"), "ready") << m.dump();
    EXPECT_TRUE(fs::equivalent(m.at("path").get<std::string>(), fs::path(EBM_SOURCE_DIR) / "assets" / "models" / (name + ".safetensors")))
        << m.dump();
  }
  EXPECT_EQ(names, (std::set<std::string>{"color", "position", "size"}));
  // The dropped PNG's composition is what the studio ended on.
  EXPECT_EQ(report.at("composition"), ebm::node_to_json(drawn.composition)) << report.at("composition").dump();
  EXPECT_TRUE(report.at("walk_by_rule").get<bool>());
  EXPECT_EQ(report.at("quality"), "final");  // a single term: the final ladder
  EXPECT_EQ(report.at("chain").at("total_steps"), 400);
  fs::remove_all(dir);
}

// Errors a user can meet opening recipes: a model found nowhere names the file, where it was looked
// for and what to do (the window stays up); an example that is not there lists the ones that are.
TEST(StudioGui, ARecipeModelFoundNowhereAndAnUnknownExampleSayWhatToDo) {
  const fs::path dir = fresh_dir("nowhere");
  fs::create_directories(dir / "no_models");
  const json recipe = {{"format", "ebm-recipe"},
                       {"version", 1},
                       {"models", {{{"name", "ghost"}, {"path", "ghost.safetensors"}}}},
                       {"composition", {{"op", "term"}, {"name", "ghost"}, {"model", "ghost"}, {"label", {0.0}}}}};
  std::ofstream(dir / "ghost.json") << recipe.dump();
  const json script = {{"actions",
                        {
                            {{"do", "open_preset"}, {"path", (dir / "ghost.json").string()}},
                            {{"do", "wait"}, {"frames", 3}},
                            {{"do", "open_example"}, {"name", "no_such_example"}},
                        }}};
  const fs::path out = dir / "out";
  EXPECT_EQ(run("EBM_STUDIO_MODELS= " + scripted_studio(dir, script, 60, {dir / "no_models"})), 1);
  const json report = json::parse(ebm::test::file_bytes(out / "script_report.json"));
  const std::string errors = report.at("errors").dump();
  EXPECT_NE(errors.find("'ghost.safetensors'"), std::string::npos) << errors;
  EXPECT_NE(errors.find((fs::path(EBM_SOURCE_DIR) / "assets" / "models").string()), std::string::npos) << errors;
  EXPECT_NE(errors.find("set EBM_STUDIO_MODELS"), std::string::npos) << errors;
  const std::string error = report.at("error").get<std::string>();
  EXPECT_NE(error.find("no example named 'no_such_example'"), std::string::npos) << error;
  EXPECT_NE(error.find("color_and_position"), std::string::npos) << error;
  fs::remove_all(dir);
}

// On a CPU the studio opens on the draft walk (issue #26): the shipped opening composition (shape ∧
// position, guided) runs its 27 steps at batch 4 — in bf16 where the CPU has it — and finishes, the
// previews showing the steps' clean-image estimates. The time is recorded, not asserted tightly
// (ctest runs tests side by side); docs/studio.md quotes the quiet machine's figure.
TEST(StudioGui, OnACpuItOpensOnTheDraftWalkAndFinishesTheOpeningComposition) {
  const fs::path dir = fresh_dir("cpu_draft");
  const json script = {{"actions",
                        {{{"do", "wait"}, {"until", "running"}, {"timeout_s", 120}},
                         {{"do", "wait"}, {"until", "settled"}, {"timeout_s", 300}},
                         {{"do", "screenshot"}, {"path", "cpu_draft.png"}},
                         {{"do", "quit"}}}}};
  std::ofstream(dir / "script.json") << script.dump(2);
  const std::string cmd = "XDG_CONFIG_HOME=" + (dir / "config").string() + " " + EBM_STUDIO_EXE +
                          " --device cpu --max-seconds 400 --script " + (dir / "script.json").string() +
                          " --screenshot-dir " + (dir / "out").string() + " 2>&1";
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run(cmd), 0) << "ebm-studio failed; report: " << ebm::test::file_bytes(dir / "out" / "script_report.json");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const json report = json::parse(ebm::test::file_bytes(dir / "out" / "script_report.json"));
  EXPECT_EQ(report["walk"], "euler");
  EXPECT_EQ(report["quality"], "draft");
  EXPECT_FALSE(report["walk_by_rule"].get<bool>());  // auto on a CPU: the draft walk, whatever the composition
  EXPECT_EQ(report["chain"]["status"], "finished");
  EXPECT_EQ(report["chain"]["step"], 27);
  EXPECT_EQ(report["chain"]["total_steps"], 27);
  EXPECT_EQ(report["chain"]["batch"], 4);
  EXPECT_TRUE(report["chain"]["images_denoised"].get<bool>());
  EXPECT_TRUE(report["errors"].empty()) << report["errors"].dump();
  EXPECT_LT(seconds, 240.0);  // a regression guard; quiet 2-core figure in docs/studio.md
  std::cout << "studio on the CPU: opening composition finished in " << seconds << " s\n";
  EXPECT_TRUE(fs::exists(dir / "out" / "cpu_draft.png"));
}

// Issue #29: a picture without a recipe dropped on the window opens the Read panel and is read by the
// composition's models (the opening composition with its shape term swapped for colour: colour and
// position around one prior); its labels go into the composition, the colour is changed to blue (the
// edit pull raises it to guidance 6), and "Edit from this image" restarts the chains from it at σ 0.4
// inside a box around the sphere — the samples come out blue where the lime sphere was, and outside
// the box they are the picture itself.
TEST(StudioGui, ADroppedPictureIsReadIntoConceptsAndEditedFromIt) {
  const fs::path dir = fresh_dir("read_edit");
  ebm::data::CubesObjects o;
  o.pos = torch::tensor({{0.55f, -0.6f}});
  o.size = torch::tensor({0.6f});
  o.shape = torch::tensor({int64_t{1}});  // sphere
  o.color = torch::tensor({int64_t{8}});  // lime
  ebm::data::CubesScenes scene{o, std::nullopt};
  torch::Tensor img;
  {
    torch::NoGradGuard no_grad;
    img = ebm::data::CubesRenderer().render(scene)[0];
  }
  ebm::save_png((dir / "scene.png").string(), img);
  // The edit box: the sphere and its shadow (where the picture differs from the empty floor), grown by
  // 4 pixels, in fractions of the 64-pixel image.
  const auto differs = (img - ebm::data::CubesRenderer().render_floor(1)[0]).abs().amax(0).gt(0.04).nonzero();
  ASSERT_GT(differs.size(0), 20);
  const auto lo = differs.amin(0), hi = differs.amax(0);  // (row, col)
  auto frac = [](int64_t px) { return std::clamp(static_cast<double>(px) / 64.0, 0.0, 1.0); };
  const int64_t top = lo[0].item<int64_t>() - 4, left = lo[1].item<int64_t>() - 4;
  const int64_t bottom = hi[0].item<int64_t>() + 5, right = hi[1].item<int64_t>() + 5;
  const json box = {frac(left), frac(top), frac(right), frac(bottom)};
  std::vector<float> blue(20, 0.f);
  blue[3] = 1.f;
  const json script = {{"actions",
                        {{{"do", "wait"}, {"until", "running"}, {"timeout_s", 120}},
                         {{"do", "pause"}},
                         // The opening shape ∧ position and colour: in the box at σ 1 what no term holds
                         // is redrawn too, so the shape term keeps the sphere a sphere.
                         {{"do", "add_term"}, {"model", "color"}},
                         {{"do", "set_operator"}, {"path", json::array()}, {"prior", "shared"}},
                         {{"do", "drop"}, {"paths", {(dir / "scene.png").string()}}},
                         {{"do", "wait_read"}, {"seconds", 300}},
                         {{"do", "wait"}, {"frames", 3}},
                         {{"do", "screenshot"}, {"path", "read_panel.png"}},
                         {{"do", "use_reading"}},
                         {{"do", "set_label"}, {"term", "color"}, {"label", blue}},
                         // In a box the edit starts at σ 1 (the box redrawn from noise at the labels,
                         // the rest held) and takes no pull: the colour file's own guidance draws the
                         // new colour there (docs/recipe.md "An edit box").
                         {{"do", "edit_from_image"}, {"box", box}},
                         {{"do", "wait"}, {"until", "running"}, {"timeout_s", 60}},
                         {{"do", "wait"}, {"until", "settled"}, {"timeout_s", 300}},
                         {{"do", "export"}, {"path", "edit.png"}, {"kind", "samples"}},
                         {{"do", "wait"}, {"frames", 3}},
                         {{"do", "screenshot"}, {"path", "edited.png"}},
                         // The edit read back: a sample of the grid into the Read panel.
                         {{"do", "read_sample"}, {"sample", 0}},
                         {{"do", "wait_read"}, {"seconds", 300}},
                         {{"do", "quit"}}}}};
  std::ofstream(dir / "script.json") << script.dump(2);
  const std::string cmd = "XDG_CONFIG_HOME=" + (dir / "config").string() + " " + EBM_STUDIO_EXE +
                          " --device cpu --max-seconds 600 --script " + (dir / "script.json").string() +
                          " --screenshot-dir " + (dir / "out").string() + " 2>&1";
  ASSERT_EQ(run(cmd), 0) << "ebm-studio failed; report: " << ebm::test::file_bytes(dir / "out" / "script_report.json");
  const json report = json::parse(ebm::test::file_bytes(dir / "out" / "script_report.json"));
  EXPECT_TRUE(report["errors"].empty()) << report["errors"].dump();
  // The scene as read (its readings are in the log line "read scene.png in … s: …").
  bool logged = false;
  for (const auto& line : report["info"]) {
    const std::string l = line.get<std::string>();
    if (l.rfind("read scene.png in ", 0) != 0) continue;
    logged = true;
    EXPECT_NE(l.find("color lime;"), std::string::npos) << l;
    std::cout << l << "\n";
  }
  EXPECT_TRUE(logged) << report["info"].dump();
  // What the Read panel holds at the end: the first edited sample, read as blue where the lime was.
  const json& read = report["read"];
  EXPECT_TRUE(read["shown"].get<bool>());
  EXPECT_EQ(read["source"].get<std::string>().rfind("sample ", 0), 0u) << read["source"];
  EXPECT_EQ(read["state"], "done");
  std::map<std::string, json> by_model;
  for (const auto& r : read["readings"]) by_model[r["model"].get<std::string>()] = r;
  ASSERT_TRUE(by_model.count("color") && by_model.count("position")) << read.dump();
  EXPECT_EQ(by_model["color"]["text"], "blue");
  // Where the edited object is, the pixel check below tests. The position model's quick read of an
  // edited sample is printed, not asserted: a rough blue object 8 px from the sphere's place was once
  // read at (−1, −0.52) (2026-12-05, an edit of the whole image pulled to guidance 6).
  const auto pos = by_model["position"]["reading"]["label"].get<std::vector<float>>();
  std::cout << "the edit read back in " << read["seconds"] << " s: position (" << pos[0] << ", " << pos[1] << ")\n";
  // The composition took the position read; the colour is the one set after it.
  for (const auto& t : report["composition"]["children"]) {
    if (t["model"] == "position") EXPECT_NEAR(t["label"][0].get<double>(), 0.55, 0.1);  // as read from the scene
    if (t["model"] == "color") {
      EXPECT_EQ(t["label"][3], 1.0);
      EXPECT_FALSE(t.contains("guidance")) << t.dump();  // no pull in a box: the file's own
    }
  }
  EXPECT_EQ(report["composition"].value("prior", ""), "shared");
  EXPECT_EQ(report["init"]["mode"], "image");
  EXPECT_NEAR(report["init"]["sigma"].get<double>(), 1.0, 1e-6);  // the box's start: the models' top
  EXPECT_NEAR(report["init"]["noise_sigma"].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(report["init"]["total_steps"].get<int>(), 27);  // the whole draft walk
  EXPECT_LT(report["init"]["region_share"].get<double>(), 0.5);  // the box, not the whole image
  EXPECT_EQ(report["chain"]["status"], "finished");
  // Every sample: a blue object, centred near where the lime one was.
  auto centroid = [](const torch::Tensor& mask) {
    const auto idx = mask.nonzero().to(torch::kFloat);  // [N,2] (row, col)
    return idx.mean(0);
  };
  const auto src = img;
  const auto lime = (src[1] > 0.6) & (src[2] < 0.5);  // the lime object's lit pixels
  ASSERT_GT(lime.sum().item<int64_t>(), 20);
  const auto want = centroid(lime);
  int samples = 0;
  for (const auto& e : fs::directory_iterator(dir / "out")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("edit_", 0) != 0) continue;
    const auto x = ebm::load_png(e.path().string())[0];
    const auto blue_px = (x[2] > x[0] + 0.2) & (x[2] > x[1] + 0.2);
    ++samples;
    ASSERT_GT(blue_px.sum().item<int64_t>(), 40) << name << ": no blue object";
    const auto got = centroid(blue_px);
    EXPECT_LT((got - want).norm().item<double>(), 8.0) << name << ": the object moved";
    // Outside the box the picture is held: the same pixels, to the PNGs' rounding.
    auto outside = torch::ones({64, 64}, torch::kBool);
    outside.slice(0, std::max<int64_t>(top, 0), std::min<int64_t>(bottom, 64))
        .slice(1, std::max<int64_t>(left, 0), std::min<int64_t>(right, 64))
        .fill_(false);
    const auto diff = (x - src).abs().amax(0);
    EXPECT_LT(diff.masked_select(outside).max().item<float>(), 1.5f / 255) << name << ": changed outside the box";
  }
  EXPECT_EQ(samples, 4);
  EXPECT_TRUE(fs::exists(dir / "out" / "read_panel.png"));
}
