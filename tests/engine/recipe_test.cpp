#include "engine/recipe/recipe.h"
#include "engine/recipe/base64.h"
#include "models/checkpoint/sha256.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace ebm {
namespace {

using nlohmann::json;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Base64, RoundTripAndErrors) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_THROW(base64_decode("Zm9v!"), std::invalid_argument);
  EXPECT_THROW(base64_decode("Zm=9"), std::invalid_argument);
  EXPECT_THROW(png_from_data_uri("data:text/plain;base64,AAAA"), std::invalid_argument);
}

Recipe sample_recipe() {
  Recipe r;
  r.models = {{"pos", "models/pos.safetensors", std::string(64, 'a')}, {"shape", "/abs/shape.safetensors", ""}};
  Node a = Node::term("position", "pos", {0.25f, -0.5f});
  a.mask = torch::zeros({16, 16});
  a.mask.slice(1, 0, 8).fill_(1.0);
  Node b = Node::term("shape", "shape", {0.f, 0.f, 1.f}, 0.5);
  b.guidance = 7.5;
  b.guidance_interval = GuidanceInterval{0.25, std::numeric_limits<double>::infinity()};
  b.solo = true;
  Node n = Node::op(NodeKind::Not, {a, b});
  n.coefficient = 0.01;
  Node o = Node::op(NodeKind::Or, {n, Node::term("p2", "pos", {0.f, 0.f})});
  o.temperature = 50;
  r.composition = o;
  r.sampler.steps = 60;
  r.sampler.step_lr = 80;
  r.sampler.noise_std = 0.005;
  r.sampler.proj = ProjNorm::L2PerSample;
  r.sampler.proj_norm = 0.1;
  r.sampler.mode = SampleMode::Sequential;
  r.sampler.schedule.levels = {{10, 1.0, 0.1, 0.3}, {5, 0.1, 0.01, 0.1}};
  r.sampler.seed = 0xFFFFFFFFFFFFull;
  r.sampler.batch = 3;
  r.sampler.sample_ids = {4, 9, 1};
  r.sampler.init = InitMode::Image;
  r.sampler.init_image = torch::rand({3, 8, 8});
  r.sampler.device = "cpu";
  return r;
}

TEST(Recipe, RoundTripKeepsEverything) {
  const Recipe r = sample_recipe();
  std::vector<std::string> warnings;
  const Recipe back = recipe_from_string(recipe_to_string(r), &warnings);
  EXPECT_EQ(recipe_to_string(back), recipe_to_string(r));  // a fixed point
  EXPECT_EQ(back.models.size(), 2u);
  EXPECT_EQ(back.models[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(back.composition.kind, NodeKind::Or);
  EXPECT_EQ(back.composition.temperature, 50);
  const Node& n = back.composition.children[0];
  EXPECT_EQ(n.coefficient, 0.01);
  EXPECT_TRUE(n.children[1].solo);
  EXPECT_EQ(n.children[1].weight, 0.5);
  EXPECT_EQ(n.children[1].guidance.value_or(-1), 7.5);
  EXPECT_FALSE(n.children[0].guidance.has_value());
  ASSERT_TRUE(n.children[1].guidance_interval.has_value());
  EXPECT_EQ(*n.children[1].guidance_interval, (GuidanceInterval{0.25, std::numeric_limits<double>::infinity()}));
  EXPECT_FALSE(n.children[0].guidance_interval.has_value());
  ASSERT_TRUE(n.children[0].mask.defined());
  EXPECT_TRUE(torch::equal(n.children[0].mask, r.composition.children[0].children[0].mask));  // 0/1 survive 8 bits
  EXPECT_EQ(back.sampler.seed, 0xFFFFFFFFFFFFull);
  EXPECT_EQ(back.sampler.sample_ids, (std::vector<std::int64_t>{4, 9, 1}));
  EXPECT_EQ(back.sampler.schedule.levels.size(), 2u);
  EXPECT_EQ(back.sampler.proj, ProjNorm::L2PerSample);
  EXPECT_EQ(back.sampler.mode, SampleMode::Sequential);
  EXPECT_TRUE(torch::allclose(back.sampler.init_image, r.sampler.init_image, 0, 1.0 / 255 / 2 + 1e-6));
  // Only the missing hash is warned about.
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("sha256"), std::string::npos);
}

void expect_rejected(json j, const std::string& needle) {
  try {
    recipe_from_json(j, nullptr);
    FAIL() << "accepted; expected an error containing: " << needle;
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Recipe, BadRecipesGetClearErrors) {
  const json good = recipe_to_json(sample_recipe());
  auto with = [&](const std::function<void(json&)>& f) {
    json j = good;
    f(j);
    return j;
  };
  expect_rejected(with([](json& j) { j["format"] = "something"; }), "recipe.format");
  expect_rejected(with([](json& j) { j["version"] = 99; }), "newer than this ebm");
  expect_rejected(with([](json& j) { j.erase("composition"); }), "recipe.composition: missing");
  expect_rejected(with([](json& j) { j["batch"] = "16"; }), "recipe.batch: expected an integer, got string");
  expect_rejected(with([](json& j) { j["batch"] = 1.5; }), "recipe.batch: expected an integer, got a fraction");
  expect_rejected(with([](json& j) { j["batch"] = 100000; }), "recipe.batch: must be in [1, 4096]");
  expect_rejected(with([](json& j) { j["seed"] = -1; }), "recipe.seed: must not be negative");
  expect_rejected(with([](json& j) { j["sampler"]["step_lr"] = "fast"; }), "recipe.sampler.step_lr");
  expect_rejected(with([](json& j) { j["sampler"]["noise_std"] = -1; }), "recipe.sampler.noise_std");
  expect_rejected(with([](json& j) { j["sampler"]["init"] = "zeros"; }), "unknown init mode 'zeros'");
  expect_rejected(with([](json& j) { j["sampler"]["schedule"][0].erase("sigma"); }), "schedule[0].sigma: missing");
  expect_rejected(with([](json& j) { j["composition"]["op"] = "xor"; }), "unknown composition node 'xor'");
  expect_rejected(with([](json& j) { j["composition"]["temperature"] = 0; }), "recipe.composition.temperature");
  expect_rejected(with([](json& j) { j["composition"]["children"][0]["children"].erase(1); }), "exactly two children");
  expect_rejected(with([](json& j) { j["composition"]["children"][1]["model"] = "nope"; }), "does not list");
  expect_rejected(with([](json& j) { j["composition"]["children"][1]["label"][0] = "x"; }), "label[0]: expected a number");
  expect_rejected(with([](json& j) { j["composition"]["children"][0]["children"][0]["mask"] = "data:image/png;base64,AAAA"; }),
                  "not a PNG");
  expect_rejected(with([](json& j) { j["models"][0]["sha256"] = "xyz"; }), "64 lowercase hex");
  expect_rejected(with([](json& j) { j["composition"]["children"][1]["guidance"] = 500; }), "guidance");
  expect_rejected(with([](json& j) { j["composition"]["children"][1]["guidance_interval"] = json::array({0.5, 0.1}); }),
                  "guidance_interval");
  expect_rejected(with([](json& j) { j["models"][1]["name"] = "pos"; }), "used twice");
  expect_rejected(with([](json& j) { j["sample_ids"] = json::array({1, 2}); }), "sample_ids");
  expect_rejected(with([](json& j) { j["device"] = "tpu"; }), "unknown device 'tpu'");
  json deep = {{"op", "term"}, {"name", "t"}, {"model", "pos"}, {"label", {0, 0}}};
  for (int i = 0; i < 40; ++i) deep = {{"op", "and"}, {"children", {deep}}};
  expect_rejected(with([&](json& j) { j["composition"] = deep; }), "nested deeper");
  json wide = json::array();
  for (int i = 0; i < 5000; ++i) wide.push_back(1.0);
  expect_rejected(with([&](json& j) { j["composition"]["children"][1]["label"] = wide; }), "at most 4096");
  EXPECT_THROW(recipe_from_string("{not json", nullptr), RecipeError);
}

TEST(Recipe, UnknownKeysAreWarnedNotFatal) {
  json j = recipe_to_json(sample_recipe());
  j["sampler"]["stepsize"] = 3;
  j["extra"] = true;
  std::vector<std::string> warnings;
  recipe_from_json(j, &warnings);
  int unknown = 0;
  for (const auto& w : warnings) unknown += w.find("unknown key") != std::string::npos;
  EXPECT_EQ(unknown, 2);
}

TEST(Recipe, FilesAndModelPaths) {
  const auto dir = std::filesystem::temp_directory_path() / ("ebm_recipe_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "r.json").string();
  save_recipe(path, sample_recipe());
  const Recipe r = load_recipe(path, nullptr);
  EXPECT_EQ(resolve_model_path(path, r.models[0].path), (dir / "models/pos.safetensors").string());
  EXPECT_EQ(resolve_model_path(path, r.models[1].path), "/abs/shape.safetensors");
  EXPECT_THROW(load_recipe((dir / "missing.json").string(), nullptr), RecipeError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ebm
