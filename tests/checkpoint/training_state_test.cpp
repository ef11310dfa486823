#include "models/checkpoint/training_state.h"
#include "tests/checkpoint/test_util.h"

using namespace ebm;
using ebm::test::TempDir;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    a = register_module("a", torch::nn::Linear(4, 3));
    b = register_module("b", torch::nn::Linear(3, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(torch::tanh(a(x))); }
  torch::nn::Linear a{nullptr}, b{nullptr};
};
TORCH_MODULE(Tiny);

void train_steps(Tiny& m, torch::optim::Adam& opt, int steps, int seed) {
  torch::manual_seed(seed);
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    auto loss = m->forward(torch::randn({8, 4})).pow(2).mean();
    loss.backward();
    opt.step();
  }
}

// Two identical models, one trained straight through, one saved and restored half-way into a fresh
// process-like setup (new module + new optimizer): they must end bit-identical.
void resume_matches(bool amsgrad) {
  TempDir d;
  torch::manual_seed(0);
  Tiny m1;
  Tiny m2;
  {
    torch::NoGradGuard ng;
    for (std::size_t i = 0; i < m1->parameters().size(); ++i) m2->parameters()[i].copy_(m1->parameters()[i]);
  }
  auto opts = torch::optim::AdamOptions(1e-2).betas({0.5, 0.99}).eps(1e-7).amsgrad(amsgrad);
  torch::optim::Adam o1(m1->parameters(), opts);
  train_steps(m1, o1, 5, 1);
  train_steps(m1, o1, 5, 2);

  torch::optim::Adam o2(m2->parameters(), opts);
  train_steps(m2, o2, 5, 1);
  TrainingExtras ex;
  ex.info = {{"iteration", 5}};
  ex.tensors["replay"] = torch::randint(0, 255, {2, 3, 4, 4}, torch::kUInt8);
  save_training_state(d.file("state.safetensors"), o2, *m2, ex);

  // "New process": fresh optimizer with default options over the same model weights.
  torch::optim::Adam o3(m2->parameters(), torch::optim::AdamOptions(1.0));
  auto back = load_training_state(d.file("state.safetensors"), o3, *m2);
  EXPECT_EQ(back.info["iteration"], 5);
  EXPECT_TRUE(torch::equal(back.tensors.at("replay"), ex.tensors.at("replay")));
  const auto& o = static_cast<const torch::optim::AdamOptions&>(o3.param_groups()[0].options());
  EXPECT_EQ(o.lr(), 1e-2);
  EXPECT_EQ(std::get<0>(o.betas()), 0.5);
  EXPECT_EQ(o.amsgrad(), amsgrad);
  train_steps(m2, o3, 5, 2);
  for (std::size_t i = 0; i < m1->parameters().size(); ++i)
    EXPECT_TRUE(torch::equal(m1->parameters()[i], m2->parameters()[i])) << i;
}

}  // namespace

TEST(TrainingState, ResumeIsBitExact) { resume_matches(false); }
TEST(TrainingState, ResumeIsBitExactWithAmsgrad) { resume_matches(true); }

TEST(TrainingState, MismatchLeavesOptimizerUntouched) {
  TempDir d;
  Tiny m;
  torch::optim::Adam o(m->parameters(), torch::optim::AdamOptions(1e-3));
  train_steps(m, o, 2, 3);
  save_training_state(d.file("s.safetensors"), o, *m);

  // A model of a different shape: same names, different sizes.
  struct OtherImpl : torch::nn::Module {
    OtherImpl() {
      a = register_module("a", torch::nn::Linear(5, 3));
      b = register_module("b", torch::nn::Linear(3, 1));
    }
    torch::nn::Linear a{nullptr}, b{nullptr};
  };
  auto other = std::make_shared<OtherImpl>();
  torch::optim::Adam o2(other->parameters(), torch::optim::AdamOptions(0.5));
  try {
    load_training_state(d.file("s.safetensors"), o2, *other);
    FAIL() << "expected TrainingStateError";
  } catch (const TrainingStateError& e) {
    EXPECT_NE(std::string(e.what()).find("adam.a.weight.exp_avg"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(o2.state().empty());
  EXPECT_EQ(static_cast<const torch::optim::AdamOptions&>(o2.param_groups()[0].options()).lr(), 0.5);
}

TEST(TrainingState, RejectsModelFiles) {
  TempDir d;
  write_safetensors(d.file("m.safetensors"), {{"x", torch::ones({1})}}, {{"ebm.format_version", "1"}});
  Tiny m;
  torch::optim::Adam o(m->parameters());
  EXPECT_THROW(load_training_state(d.file("m.safetensors"), o, *m), TrainingStateError);
}

TEST(TrainingState, RngStateRoundTrip) {
  torch::manual_seed(42);
  const auto s = cpu_rng_state();
  const auto a = torch::rand({4});
  set_cpu_rng_state(s);
  EXPECT_TRUE(torch::equal(a, torch::rand({4})));
}
