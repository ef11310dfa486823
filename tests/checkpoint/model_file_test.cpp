// Model files over the real networks: TF-name map on every model both ways, save/load round trips,
// the four input kinds, and the reference port's fixtures (tools/make_checkpoint_fixtures.py).
#include "models/checkpoint/model_file.h"
#include "models/checkpoint/name_map.h"
#include "models/registry.h"
#include "engine/image/image_io.h"
#include "tests/checkpoint/test_util.h"

#include <nlohmann/json.hpp>

using namespace ebm;
using ebm::test::TempDir;

namespace {

const std::string kFixtures = EBM_TEST_DATA_DIR;

ModelConfig small(Arch arch, int nf = 4) {
  ModelConfig c = ModelConfig::defaults_for(arch);
  c.num_filters = nf;
  return c;
}

struct Case {
  std::string label;
  ModelConfig config;
  std::string scope;
  std::size_t tf_variables;  // spec §7 counts (model variables, no Adam slots)
};

// Every model, with the flags that change its variables. ResNet128's res_optim needs 64 filters.
std::vector<Case> all_models() {
  ModelConfig resnet = ModelConfig::defaults_for(Arch::ResNet128);
  ModelConfig resnet_att = resnet;
  resnet_att.use_attention = true;
  ModelConfig cubes_plain = small(Arch::CubesNet);
  cubes_plain.spec_norm = false;
  cubes_plain.cclass = false;
  ModelConfig gen = small(Arch::CubesNetGen);
  return {{"cubesnet", small(Arch::CubesNet), "context_0", 83},
          {"cubesnet_plain", cubes_plain, "context_0", 83 - 14},  // 14 spectral-norm u vectors fewer
          {"cubesnetgen", gen, "context_0", 69},
          {"resnet128", resnet, "context_0", 108},
          {"resnet128_attention", resnet_att, "context_0", 108},
          {"cubespredict", small(Arch::CubesPredict), "context_3", 33}};
}

bool bit_equal(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || v.scalar_type() != it->second.scalar_type() || v.sizes() != it->second.sizes()) return false;
    auto x = v.contiguous(), y = it->second.contiguous();
    if (std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) != 0) return false;
  }
  return true;
}

TensorMap expected(const std::string& name) { return read_safetensors(kFixtures + "/" + name).tensors; }

torch::Tensor fixture_images(int n) {
  std::vector<torch::Tensor> xs;
  for (int i = 0; i < n; ++i) xs.push_back(load_png(kFixtures + "/img64_" + std::to_string(i) + ".png"));
  return torch::cat(xs, 0);
}

torch::Tensor energies(NetworkImpl& net, const torch::Tensor& label) {
  net.eval();
  torch::NoGradGuard ng;
  auto x = fixture_images(3);
  return net.energy(x, label.reshape({1, -1}).expand({3, label.numel()}).contiguous()).reshape({-1}).to(torch::kFloat64);
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, double rel = 1e-5) {
  ASSERT_EQ(got.numel(), want.numel());
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got[i].item<double>(), w = want[i].item<double>();
    EXPECT_NEAR(g, w, rel * std::max(1.0, std::abs(w))) << "index " << i;
  }
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelNameMap, EveryModelBothWays) {
  torch::manual_seed(3);
  for (const auto& c : all_models()) {
    SCOPED_TRACE(c.label);
    auto net = make_network(c.config);
    const TensorMap state = module_state(*net);
    const NameMap map = name_map_for(*net, c.scope);
    EXPECT_EQ(map.entries().size(), state.size());
    const auto tf = map.to_tf(state);
    EXPECT_TRUE(tf.complete());
    EXPECT_EQ(tf.tensors.size(), c.tf_variables);
    for (const auto& [name, t] : tf.tensors) {
      EXPECT_EQ(name.rfind(c.scope + "/", 0), 0u) << name;
      if (name.size() > 7 && name.compare(name.size() - 7, 7, "cweight") == 0) {
        // HWIO: the last dim is c_out, which is OIHW's first.
        const auto& mod = state.at(*map.module_name(name));
        EXPECT_EQ(t.size(3), mod.size(0)) << name;
        EXPECT_EQ(t.size(0), mod.size(2)) << name;
      }
    }
    const auto back = map.to_module(tf.tensors);
    EXPECT_TRUE(back.complete());
    EXPECT_TRUE(bit_equal(back.tensors, state));
  }
}

TEST(ModelNameMap, MatchesReferenceTfNames) {
  // The fixture files were named by the reference port's tf_variable_map.
  for (const auto& [file, config, scope] :
       std::vector<std::tuple<std::string, ModelConfig, std::string>>{{"cubesnet_tf.safetensors", small(Arch::CubesNet), "context_0"},
                                                                     {"cubespredict_tf.safetensors", small(Arch::CubesPredict), "context_3"}}) {
    SCOPED_TRACE(file);
    const auto h = read_safetensors_header(kFixtures + "/" + file);
    std::set<std::string> ref;
    for (const auto& t : h.tensors)
      if (t.name.find("/Adam") == std::string::npos && t.name != "beta1_power") ref.insert(t.name);
    std::set<std::string> ours;
    const NameMap map = name_map_for(*make_network(config), scope);
    for (const auto& e : map.entries()) ours.insert(e.tf);
    EXPECT_EQ(ours, ref);
  }
}

TEST(ModelFile, RoundTripBitExactEveryModelBothNamings) {
  TempDir d;
  torch::manual_seed(4);
  for (const auto& c : all_models()) {
    for (NameStyle style : {NameStyle::Module, NameStyle::Tf}) {
      SCOPED_TRACE(c.label + (style == NameStyle::Tf ? " tf" : " module"));
      auto net = make_network(c.config);
      SaveModelOptions so;
      so.names = style;
      so.tf_scope = c.scope;
      so.extra[kMetaTraining] = R"({"iteration": 7})";
      const auto path = d.file(c.label + ".safetensors");
      save_model(path, *net, so);
      LoadedModel m = load_model(path);
      EXPECT_EQ(m.report.kind, CheckpointKind::EbmSafetensors);
      EXPECT_TRUE(m.report.missing.empty());
      EXPECT_TRUE(m.report.unused.empty());
      EXPECT_TRUE(bit_equal(module_state(*m.network), module_state(*net)));
      EXPECT_EQ(nlohmann::json(m.network->config()), nlohmann::json(c.config));
      EXPECT_EQ(nlohmann::json(m.network->schema()), nlohmann::json(net->schema()));
      EXPECT_EQ(m.report.metadata.at(kMetaTraining), R"({"iteration": 7})");
      // Saving the loaded model again gives the same bytes: nothing was lost or reordered.
      const auto path2 = d.file(c.label + "2.safetensors");
      save_model(path2, *m.network, so);
      EXPECT_EQ(ebm::test::file_bytes(path), ebm::test::file_bytes(path2));
    }
  }
}

TEST(ModelFile, CustomSchemaTravels) {
  TempDir d;
  ModelConfig c = small(Arch::CubesNet);
  c.label_size = 3;
  LabelSchema s{"custom", {{"a", SlotKind::Continuous, 0, 2, {}}, {"b", SlotKind::Continuous, -3, 3, {}}, {"c", SlotKind::Continuous, 0, 1, {}}}};
  auto net = make_network(c, s);
  save_model(d.file("m.safetensors"), *net);
  auto info = inspect_checkpoint(d.file("m.safetensors"));
  ASSERT_TRUE(info.schema.has_value());
  EXPECT_EQ(info.schema->concept_name, "custom");
  EXPECT_EQ(load_model(d.file("m.safetensors")).network->schema().slots[1].min, -3);
}

TEST(ModelFile, ReferenceTfFixtureGivesReferenceEnergies) {
  const auto want = expected("cubesnet_expected.safetensors");
  LoadModelOptions o;
  o.config = small(Arch::CubesNet);
  LoadedModel m = load_model(kFixtures + "/cubesnet_tf.safetensors", o);
  EXPECT_EQ(m.report.kind, CheckpointKind::TfSafetensors);
  EXPECT_EQ(m.report.tf_scope, "context_0");
  EXPECT_EQ(m.report.unused, (std::vector<std::string>{"beta1_power", "context_0/c1_pre/cweight/Adam"}));
  expect_close(energies(*m.network, want.at("label")), want.at("energy"));
}

TEST(ModelFile, ReferencePlainVariantGivesReferenceEnergies) {
  const auto want = expected("cubesnet_plain_expected.safetensors");
  LoadModelOptions o;
  o.config = small(Arch::CubesNet);
  o.config->label_size = 3;
  o.config->cclass = false;
  o.config->spec_norm = false;
  o.config->swish_act = false;
  LoadedModel m = load_model(kFixtures + "/cubesnet_plain_tf.safetensors", o);
  expect_close(energies(*m.network, want.at("label")), want.at("energy"));
}

TEST(ModelFile, TorchPickleVariantsLoadTheSameWeights) {
  const auto want = expected("cubesnet_expected.safetensors");
  LoadModelOptions o;
  o.config = small(Arch::CubesNet);
  const auto tf = module_state(*load_model(kFixtures + "/cubesnet_tf.safetensors", o).network);
  for (const char* f : {"cubesnet_sd.pt", "cubesnet_dp.pt", "cubesnet_nolayers.pt"}) {
    SCOPED_TRACE(f);
    LoadedModel m = load_model(kFixtures + "/" + std::string(f), o);
    EXPECT_EQ(m.report.kind, CheckpointKind::TorchPickle);
    EXPECT_TRUE(m.report.unused.empty());
    EXPECT_TRUE(bit_equal(module_state(*m.network), tf));
    expect_close(energies(*m.network, want.at("label")), want.at("energy"));
  }
}

TEST(ModelFile, CubesPredictUnderContext3) {
  const auto want = expected("cubespredict_expected.safetensors");
  LoadModelOptions o;
  o.config = small(Arch::CubesPredict);
  LoadedModel m = load_model(kFixtures + "/cubespredict_tf.safetensors", o);
  EXPECT_EQ(m.report.tf_scope, "context_3");
  m.network->eval();
  torch::NoGradGuard ng;
  auto [logit, pos] = m.network->predict(fixture_images(1));
  expect_close(logit.reshape({-1}).to(torch::kFloat64), want.at("logit").reshape({-1}));
  expect_close(pos.reshape({-1}).to(torch::kFloat64), want.at("pos").reshape({-1}));
}

TEST(ModelFile, RawModuleNamedSafetensors) {
  TempDir d;
  auto net = make_network(small(Arch::CubesNetGen));
  write_safetensors(d.file("raw.safetensors"), module_state(*net));
  const std::string err = error_of([&] { load_model(d.file("raw.safetensors")); });
  EXPECT_NE(err.find("--arch"), std::string::npos) << err;
  LoadModelOptions o;
  o.config = small(Arch::CubesNetGen);
  LoadedModel m = load_model(d.file("raw.safetensors"), o);
  EXPECT_EQ(m.report.kind, CheckpointKind::ModuleSafetensors);
  EXPECT_TRUE(bit_equal(module_state(*m.network), module_state(*net)));
}

TEST(ModelFile, MismatchesAreClearErrors) {
  const std::string tf = kFixtures + "/cubesnet_tf.safetensors";
  // No config for a raw file.
  std::string err = error_of([&] { load_model(tf); });
  EXPECT_NE(err.find("--arch"), std::string::npos) << err;
  EXPECT_NE(err.find(tf), std::string::npos) << err;
  // Wrong width: a shape error naming the tensor (both names) and both shapes.
  LoadModelOptions o;
  o.config = small(Arch::CubesNet, 8);
  err = error_of([&] { load_model(tf, o); });
  EXPECT_NE(err.find("context_0/c1_pre/cweight"), std::string::npos) << err;
  EXPECT_NE(err.find("[4,3,3,3]"), std::string::npos) << err;
  EXPECT_NE(err.find("[8,3,3,3]"), std::string::npos) << err;
  // Wrong label size.
  o.config = small(Arch::CubesNet);
  o.config->label_size = 3;
  err = error_of([&] { load_model(tf, o); });
  EXPECT_NE(err.find("layers.res_optim_res_c1.gb"), std::string::npos) << err;
  // Spectral norm off: the u vectors become unexpected.
  o.config = small(Arch::CubesNet);
  o.config->spec_norm = false;
  err = error_of([&] { load_model(tf, o); });
  EXPECT_NE(err.find("c_u"), std::string::npos) << err;
  o.allow_unused = true;
  EXPECT_NO_THROW(load_model(tf, o));
  // Wrong architecture: missing tensors.
  o = {};
  o.config = small(Arch::CubesNetGen);
  err = error_of([&] { load_model(tf, o); });
  EXPECT_NE(err.find("lacks"), std::string::npos) << err;
  // Not a checkpoint at all.
  err = error_of([&] { load_model(kFixtures + "/img64_0.png"); });
  EXPECT_NE(err.find("neither a safetensors file nor a PyTorch"), std::string::npos) << err;
}

TEST(ModelFile, FlagsThatContradictMetadataAreErrors) {
  TempDir d;
  auto net = make_network(small(Arch::CubesNet));
  save_model(d.file("m.safetensors"), *net);
  LoadModelOptions o;
  o.config = small(Arch::CubesNet);
  EXPECT_NO_THROW(load_model(d.file("m.safetensors"), o));  // agreeing config is fine
  o.config->num_filters = 8;
  const std::string err = error_of([&] { load_model(d.file("m.safetensors"), o); });
  EXPECT_NE(err.find("num_filters"), std::string::npos) << err;
}

TEST(ModelFile, HalfPrecisionFileIsConverted) {
  TempDir d;
  auto net = make_network(small(Arch::CubesNet));
  TensorMap half;
  for (const auto& [k, v] : module_state(*net)) half[k] = v.to(torch::kFloat16);
  write_safetensors(d.file("h.safetensors"), half);
  LoadModelOptions o;
  o.config = small(Arch::CubesNet);
  LoadedModel m = load_model(d.file("h.safetensors"), o);
  EXPECT_EQ(m.report.converted.size(), half.size());
  EXPECT_EQ(m.network->named_parameters()["layers.c1_pre.c"].scalar_type(), torch::kFloat32);
}

TEST(ModelFile, LoadingDoesNotDisturbTheGlobalRng) {
  TempDir d;
  save_model(d.file("m.safetensors"), *make_network(small(Arch::CubesNet)));
  torch::manual_seed(5);
  const auto a = torch::rand({3});
  torch::manual_seed(5);
  load_model(d.file("m.safetensors"));
  EXPECT_TRUE(torch::equal(a, torch::rand({3})));
}

TEST(ModelFile, CorruptMetadataIsAnError) {
  TempDir d;
  auto net = make_network(small(Arch::CubesNet));
  TensorMap s = module_state(*net);
  write_safetensors(d.file("bad.safetensors"), s, {{kMetaFormatVersion, "1"}, {kMetaConfig, "{not json"}});
  std::string err = error_of([&] { load_model(d.file("bad.safetensors")); });
  EXPECT_NE(err.find("ebm.config"), std::string::npos) << err;
  write_safetensors(d.file("v9.safetensors"), s, {{kMetaFormatVersion, "9"}, {kMetaConfig, "{}"}});
  err = error_of([&] { load_model(d.file("v9.safetensors")); });
  EXPECT_NE(err.find("format_version"), std::string::npos) << err;
}
