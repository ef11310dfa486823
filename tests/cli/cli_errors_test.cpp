// One error policy for every `ebm` subcommand (app/cli/cli_errors.h): the exit code each kind of
// failure gives, one line on stderr naming the command, and c10's backtrace only with --verbose.
#include "app/cli/cli_errors.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace ebm::cli {
namespace {

struct Outcome {
  int code;
  std::string err;
};

template <typename Body>
Outcome run(Body body, ArgumentErrors args = ArgumentErrors::Usage) {
  set_exit_code(-1);
  testing::internal::CaptureStderr();
  run_command("probe", body, args);
  return {exit_code(), testing::internal::GetCapturedStderr()};
}

TEST(CliErrors, ExitCodesFollowThePolicy) {
  EXPECT_EQ(run([] {}).code, 0);
  EXPECT_EQ(run([]() -> int { return 3; }).code, 3);  // a launcher passes its workers' code on
  EXPECT_EQ(run([] { throw UsageError("--batch must be positive"); }).code, 2);
  EXPECT_EQ(run([] { throw std::invalid_argument("recipe.sampler.step_lr: must be finite"); }).code, 2);
  // A command that reads a file the user names: a value its reader refuses is an input error.
  EXPECT_EQ(run([] { throw std::invalid_argument("conv weight must be 4-D"); }, ArgumentErrors::Input).code, 1);
  EXPECT_EQ(run([] { throw UsageError("--arch is required"); }, ArgumentErrors::Input).code, 2);
  EXPECT_EQ(run([] { throw std::runtime_error("model.safetensors: no such file"); }).code, 1);
}

TEST(CliErrors, OneLineNamingTheCommandAndABacktraceOnlyWhenAsked) {
  const Outcome plain = run([] { throw std::runtime_error("cannot read x.png: not a PNG"); });
  EXPECT_EQ(plain.err, "ebm probe: error: cannot read x.png: not a PNG\n");
  auto c10_failure = [] { TORCH_CHECK(false, "shapes [2,3] and [4] do not match"); };
  set_verbose(false);
  const Outcome quiet = run(c10_failure);
  EXPECT_EQ(quiet.code, 1);
  EXPECT_NE(quiet.err.find("ebm probe: error: shapes [2,3] and [4] do not match"), std::string::npos) << quiet.err;
  EXPECT_EQ(quiet.err.find("Exception raised from"), std::string::npos) << quiet.err;
  EXPECT_EQ(std::count(quiet.err.begin(), quiet.err.end(), '\n'), 1) << quiet.err;
  set_verbose(true);
  const Outcome loud = run(c10_failure);
  set_verbose(false);
  EXPECT_NE(loud.err.find("Exception raised from"), std::string::npos) << loud.err;
}

}  // namespace
}  // namespace ebm::cli
