// `ebm info` and `ebm score` end to end: runs the real `ebm` binary (EBM_BINARY) and checks its
// output and exit codes. The headline check: score on a TF-named safetensors file written by the
// reference port prints the reference's energies to 1e-5.
#include "engine/image/image_io.h"
#include "models/checkpoint/model_file.h"
#include "models/checkpoint/name_map.h"
#include "models/registry.h"
#include "tests/checkpoint/test_util.h"
#include "tests/support/cli_run.h"

#include <nlohmann/json.hpp>


#include <cstdio>

using namespace ebm;
using ebm::test::TempDir;

namespace {

const std::string kFixtures = EBM_TEST_DATA_DIR;

using ebm::test::CliRun;

CliRun ebm_cli(const std::vector<std::string>& args) {
  TempDir d;
  return ebm::test::run_binary(EBM_BINARY, args, d.file("stderr"));
}

std::vector<std::string> images(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(kFixtures + "/img64_" + std::to_string(i) + ".png");
  return out;
}

using ebm::test::concat;

// Splits the flags stored by the fixture script ("--arch cubesnet --label-size 2 ...").
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

std::string label_text(const torch::Tensor& t) {
  std::string out;
  for (int64_t i = 0; i < t.numel(); ++i) out += (i ? "," : "") + std::to_string(t[i].item<float>());
  return out;
}

void expect_reference_energies(const std::string& fixture) {
  const SafetensorsFile want = read_safetensors(kFixtures + "/" + fixture + "_expected.safetensors");
  const auto e = want.tensors.at("energy");
  std::vector<std::string> args = {"score", "--weights", kFixtures + "/" + fixture + "_tf.safetensors", "--json",
                                    "--label", label_text(want.tensors.at("label"))};
  args = concat(concat(args, split(want.metadata.at("flags"))), images(static_cast<int>(e.numel())));
  const CliRun r = ebm_cli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["scores"].size(), static_cast<std::size_t>(e.numel()));
  for (int64_t i = 0; i < e.numel(); ++i) {
    const double want_e = e[i].item<double>();
    EXPECT_NEAR(j["scores"][i]["energy"].get<double>(), want_e, 1e-5 * std::max(1.0, std::abs(want_e))) << i;
    EXPECT_EQ(j["scores"][i]["image"], images(3)[i]);
  }
}

}  // namespace

TEST(CliScore, TfNamedReferenceFileGivesReferenceEnergies) { expect_reference_energies("cubesnet"); }

TEST(CliScore, NoSpecNormNoCclassLeakyFlags) { expect_reference_energies("cubesnet_plain"); }

TEST(CliScore, TextOutputOneLinePerImage) {
  const CliRun r = ebm_cli(concat({"score", "-w", kFixtures + "/cubesnet_sd.pt", "--arch", "cubesnet", "--label-size", "2",
                                "--num-filters", "4", "--label", "0.25,-0.5"},
                               images(2)));
  ASSERT_EQ(r.code, 0) << r.err;
  std::stringstream ss(r.out);
  std::string line;
  int n = 0;
  const auto e = read_safetensors(kFixtures + "/cubesnet_expected.safetensors").tensors.at("energy");
  while (std::getline(ss, line)) {
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    EXPECT_NEAR(std::stod(line.substr(0, tab)), e[n].item<double>(), 1e-5);
    EXPECT_EQ(line.substr(tab + 1), images(2)[n]);
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(CliScore, FileWithMetadataNeedsNoFlags) {
  TempDir d;
  LoadModelOptions o;
  o.config = ModelConfig::defaults_for(Arch::CubesNet);
  o.config->num_filters = 4;
  auto m = load_model(kFixtures + "/cubesnet_tf.safetensors", o);
  save_model(d.file("m.safetensors"), *m.network);
  const auto e = read_safetensors(kFixtures + "/cubesnet_expected.safetensors").tensors.at("energy");
  CliRun r = ebm_cli(concat({"score", "-w", d.file("m.safetensors"), "--label", "0.25,-0.5", "--json"}, images(1)));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["scores"][0]["energy"].get<double>(), e[0].item<double>(), 1e-5);
  // Repeating what the file says is fine; contradicting it is a usage error.
  r = ebm_cli(concat({"score", "-w", d.file("m.safetensors"), "--arch", "cubesnet", "--label", "0.25,-0.5"}, images(1)));
  EXPECT_EQ(r.code, 0) << r.err;
  r = ebm_cli(concat({"score", "-w", d.file("m.safetensors"), "--num-filters", "8", "--label", "0.25,-0.5"}, images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--num-filters 8 (the file says 4)"), std::string::npos) << r.err;
}

TEST(CliScore, ResNet128WithAttentionFromTfNames) {
  // No reference fixture for ResNet128 (63 MB at the only valid width); compare with the model itself.
  TempDir d;
  torch::manual_seed(9);
  ModelConfig c = ModelConfig::defaults_for(Arch::ResNet128);
  c.use_attention = true;
  auto net = make_network(c);
  {
    torch::NoGradGuard ng;
    for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.05);  // gamma etc. away from 0
  }
  auto tf = name_map_for(*net).to_tf(module_state(*net));
  write_safetensors(d.file("r.safetensors"), tf.tensors);
  const auto x = torch::rand({1, 3, 128, 128});
  save_png(d.file("x.png"), x);
  const auto xq = load_png(d.file("x.png"));
  net->eval();
  float want = 0;
  {
    torch::NoGradGuard ng;
    want = net->energy(xq, torch::tensor({{0.f, 1.f}})).item<float>();
  }
  CliRun r = ebm_cli({"score", "-w", d.file("r.safetensors"), "--arch", "resnet128", "--label-size", "2", "--attention",
                   "--label", "0,1", "--json", d.file("x.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["scores"][0]["energy"].get<double>(), want, 1e-5 * std::max(1.f, std::abs(want)));
  // Without --attention the file still loads (attention weights always exist) but scores differently.
  r = ebm_cli({"score", "-w", d.file("r.safetensors"), "--arch", "resnet128", "--label-size", "2", "--label", "0,1",
               "--json", d.file("x.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(std::abs(nlohmann::json::parse(r.out)["scores"][0]["energy"].get<double>() - want), 1e-6);
}

TEST(CliScore, ErrorsAndExitCodes) {
  const std::string tf = kFixtures + "/cubesnet_tf.safetensors";
  const std::vector<std::string> flags = {"--arch", "cubesnet", "--label-size", "2", "--num-filters", "4"};
  // Raw file without model flags: usage error that says which flags.
  CliRun r = ebm_cli(concat({"score", "-w", tf, "--label", "0,0"}, images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--arch"), std::string::npos) << r.err;
  // Label of the wrong length / out of range / not a number / missing.
  r = ebm_cli(concat(concat({"score", "-w", tf, "--label", "0,0,0"}, flags), images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("2 slot(s)"), std::string::npos) << r.err;
  r = ebm_cli(concat(concat({"score", "-w", tf, "--label", "0,inf"}, flags), images(1)));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("not a finite number"), std::string::npos) << r.err;
  // A one-hot schema (3 slots: shape) rejects a label that is not one-hot.
  r = ebm_cli(concat(concat({"score", "-w", kFixtures + "/cubesnet_plain_tf.safetensors", "--label", "0.5,0.9,0"},
                            split("--arch cubesnet --label-size 3 --num-filters 4 --no-spec-norm --no-cclass --leaky")),
                     images(1)));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("sum to 1"), std::string::npos) << r.err;
  r = ebm_cli(concat(concat({"score", "-w", tf, "--label", "0,abc"}, flags), images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not a number"), std::string::npos) << r.err;
  r = ebm_cli(concat(concat({"score", "-w", tf}, flags), images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--label is required"), std::string::npos) << r.err;
  // Wrong width: runtime error naming tensor and shapes.
  r = ebm_cli(concat({"score", "-w", tf, "--arch", "cubesnet", "--label-size", "2", "--num-filters", "8", "--label", "0,0"}, images(1)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("[4,3,3,3]"), std::string::npos) << r.err;
  // Image of the wrong size, missing image, not an image.
  TempDir d;
  save_png(d.file("small.png"), torch::rand({3, 32, 32}));
  r = ebm_cli(concat({"score", "-w", tf, "--label", "0,0", d.file("small.png")}, flags));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("32x32 but the model takes 64x64"), std::string::npos) << r.err;
  r = ebm_cli(concat({"score", "-w", tf, "--label", "0,0", d.file("none.png")}, flags));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("none.png"), std::string::npos) << r.err;
  r = ebm_cli(concat({"score", "-w", tf, "--label", "0,0", tf}, flags));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not a PNG"), std::string::npos) << r.err;
  // Not an energy model.
  r = ebm_cli(concat({"score", "-w", kFixtures + "/cubespredict_tf.safetensors", "--arch", "cubespredict", "--num-filters", "4"}, images(1)));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no energy"), std::string::npos) << r.err;
  // Corrupt weights.
  ebm::test::write_raw(d.file("bad.safetensors"), std::string("\x10\0\0\0\0\0\0\0{\"a\":", 13));
  r = ebm_cli(concat(concat({"score", "-w", d.file("bad.safetensors"), "--label", "0,0"}, flags), images(1)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.safetensors"), std::string::npos) << r.err;
  // Bad device name / unknown option: usage errors.
  r = ebm_cli(concat(concat({"score", "-w", tf, "--label", "0,0", "--device", "tpu"}, flags), images(1)));
  EXPECT_EQ(r.code, 2);
  r = ebm_cli({"score", "--bogus"});
  EXPECT_EQ(r.code, 2);
}

// Needs CUDA: the CliScoreGpu suite is labelled `gpu` (GPU_SUITES in CMakeLists.txt) and skips here.
TEST(CliScoreGpu, CudaDevice) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto e = read_safetensors(kFixtures + "/cubesnet_expected.safetensors").tensors.at("energy");
  const CliRun r = ebm_cli(concat({"score", "-w", kFixtures + "/cubesnet_tf.safetensors", "--arch", "cubesnet", "--label-size", "2",
                                "--num-filters", "4", "--label", "0.25,-0.5", "--device", "cuda", "--json"},
                               images(3)));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(j["scores"][i]["energy"].get<double>(), e[i].item<double>(), 1e-4) << i;
}

TEST(CliInfo, RawTfFileWithAndWithoutFlags) {
  const std::string tf = kFixtures + "/cubesnet_tf.safetensors";
  CliRun r = ebm_cli({"info", tf, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "raw safetensors, TF names");
  EXPECT_EQ(j["tf_scope"], "context_0");
  EXPECT_TRUE(j["config"].is_null());
  EXPECT_EQ(j["totals"]["tensors"], 85);  // 83 variables + one Adam slot + beta1_power
  r = ebm_cli({"info", tf, "--json", "--arch", "cubesnet", "--label-size", "2", "--num-filters", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["config_source"], "flags");
  EXPECT_TRUE(j["check"]["ok"].get<bool>()) << j["check"];
  bool found = false;
  for (const auto& t : j["tensors"])
    if (t["name"] == "context_0/res_4_res_c2/cweight") {
      found = true;
      EXPECT_EQ(t["module_name"], "layers.res_4_res_c2.c");
      EXPECT_EQ(t["shape"], "[3,3,16,16]");
      EXPECT_EQ(t["count"], 3 * 3 * 16 * 16);
    }
  EXPECT_TRUE(found);
  EXPECT_GT(j["trainable_parameters"].get<int64_t>(), 0);
  // Text form has the table and the check line.
  r = ebm_cli({"info", tf, "--arch", "cubesnet", "--label-size", "2", "--num-filters", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("layers.fc5.w"), std::string::npos);
  EXPECT_NE(r.out.find("check:    OK"), std::string::npos) << r.out;
  // Flags that do not fit: the check fails, exit 1.
  r = ebm_cli({"info", tf, "--arch", "cubesnet", "--label-size", "3", "--num-filters", "4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("check:    FAILED"), std::string::npos) << r.out;
}

TEST(CliInfo, EbmFileShowsConfigSchemaAndTfNames) {
  TempDir d;
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.label_size = 3;
  save_model(d.file("m.safetensors"), *make_network(c));
  CliRun r = ebm_cli({"info", d.file("m.safetensors"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "ebm safetensors");
  EXPECT_EQ(j["config"]["label_size"], 3);
  EXPECT_EQ(j["schema"]["concept"].is_null() && j["schema"]["concept_name"].is_null(), false);
  for (const auto& t : j["tensors"])
    if (t["name"] == "layers.fc_dense.u") {
      EXPECT_EQ(t["tf_name"], "context_0/fc_dense/w_u");
    }
  r = ebm_cli({"info", d.file("m.safetensors")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("schema:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("context_0/c1_pre/cweight"), std::string::npos) << r.out;
  // .pt file.
  r = ebm_cli({"info", kFixtures + "/cubesnet_sd.pt", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["format"], "PyTorch state_dict");
  // Missing file: exit 1.
  r = ebm_cli({"info", d.file("none.safetensors")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("none.safetensors"), std::string::npos) << r.err;
}
