#include "models/config.h"
#include "models/label_schema.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ebm {

TEST(ModelConfig, JsonRoundTripKeepsEveryField) {
  ModelConfig c = ModelConfig::defaults_for(Arch::ResNet128);
  c.use_attention = true;
  c.label_size = 7;
  c.spec_norm_val = 0.5f;
  c.energy_kind = EnergyKind::Denoising;
  nlohmann::json j = c;
  ModelConfig d = j.get<ModelConfig>();
  EXPECT_EQ(nlohmann::json(d), j);
  EXPECT_EQ(d.arch, Arch::ResNet128);
  EXPECT_TRUE(d.use_attention);
  EXPECT_EQ(d.label_size, 7);
}

TEST(ModelConfig, ValidateRejectsAbsurdValuesWithAClearMessage) {
  ModelConfig c;
  c.num_filters = 100000;
  try {
    c.validate();
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("num_filters"), std::string::npos);
  }
}

TEST(ModelConfig, UnknownArchIsAnError) {
  EXPECT_THROW(arch_from_string("resnet50"), std::invalid_argument);
}

TEST(LabelSchema, CubesSchemasHaveTheOriginalSizes) {
  EXPECT_EQ(LabelSchema::cubes_position().size(), 2);
  EXPECT_EQ(LabelSchema::cubes_size().size(), 1);
  EXPECT_EQ(LabelSchema::cubes_shape().size(), 3);
  EXPECT_EQ(LabelSchema::cubes_color().size(), 20);
  EXPECT_TRUE(LabelSchema::cubes_color().one_hot());
}

TEST(LabelSchema, ValidateChecksLengthAndOneHotMass) {
  auto shape = LabelSchema::cubes_shape();
  EXPECT_NO_THROW(shape.validate({0, 1, 0}));
  EXPECT_THROW(shape.validate({0, 1}), std::invalid_argument);
  EXPECT_THROW(shape.validate({1, 1, 0}), std::invalid_argument);
  EXPECT_THROW(LabelSchema::cubes_position().validate({0.f, NAN}), std::invalid_argument);
}

TEST(LabelSchema, JsonRoundTrip) {
  auto s = LabelSchema::cubes_color();
  nlohmann::json j = s;
  auto t = j.get<LabelSchema>();
  EXPECT_EQ(nlohmann::json(t), j);
  EXPECT_FALSE(j.contains("default")) << "a first-slot default is not written";
}

TEST(LabelSchema, TheCountSchemaStartsOnOneObjectAndKeepsItThroughJson) {
  const auto count = LabelSchema::cubes_count();
  EXPECT_EQ(count.default_label(), (std::vector<float>{0.f, 1.f, 0.f}));
  nlohmann::json j = count;
  EXPECT_EQ(j.at("default"), 1);
  EXPECT_EQ(j.get<LabelSchema>().default_label(), count.default_label());
  // A file without the key (every model written before it existed) starts on the first slot.
  j.erase("default");
  EXPECT_EQ(j.get<LabelSchema>().default_label(), (std::vector<float>{1.f, 0.f, 0.f}));
  // A default that names no one-hot slot is refused, naming the range.
  j["default"] = 3;
  EXPECT_THROW(j.get<LabelSchema>(), std::invalid_argument);
  nlohmann::json pos = LabelSchema::cubes_position();
  pos["default"] = 1;
  EXPECT_THROW(pos.get<LabelSchema>(), std::invalid_argument);
}

}  // namespace ebm
