#include "models/registry.h"

#include "models/cubesnet.h"
#include "models/cubesnetgen.h"
#include "models/cubespredict.h"
#include "models/resnet128.h"

#include <stdexcept>
#include <string>

namespace ebm {

LabelSchema default_schema(const ModelConfig& config) {
  switch (config.arch) {
    case Arch::CubesNet:
      return LabelSchema::for_label_size(config.label_size);
    case Arch::CubesNetGen:
      // The only original CubesNetGen (the cross-product joint baseline) takes [size, x, y], not a
      // one-hot shape as a 3-slot cubes label would suggest.
      if (config.label_size == 3)
        return LabelSchema{"size+position",
                           {LabelSlot{"size", SlotKind::Continuous, 0.2f, 1.2f, {}},
                            LabelSlot{"x", SlotKind::Continuous, -1.f, 1.f, {}},
                            LabelSlot{"y", SlotKind::Continuous, -1.f, 1.f, {}}}};
      return LabelSchema::for_label_size(config.label_size);
    case Arch::ResNet128:
      return config.label_size == 2 ? LabelSchema::celeba_attribute("attribute") : LabelSchema::generic(config.label_size);
    case Arch::CubesPredict:
      return LabelSchema::generic(0);
  }
  throw std::logic_error("default_schema: unknown architecture");
}

std::shared_ptr<NetworkImpl> make_network(const ModelConfig& config, std::optional<LabelSchema> schema) {
  config.validate();
  LabelSchema s = schema ? std::move(*schema) : default_schema(config);
  const int expected = config.arch == Arch::CubesPredict ? 0 : config.label_size;
  if (s.size() != expected)
    throw std::invalid_argument("label schema '" + s.concept_name + "' has " + std::to_string(s.size()) +
                                " slots but the " + to_string(config.arch) + " config has label_size " +
                                std::to_string(expected) + ": make them agree");
  switch (config.arch) {
    case Arch::CubesNet: return std::make_shared<CubesNetImpl>(config, std::move(s));
    case Arch::CubesNetGen: return std::make_shared<CubesNetGenImpl>(config, std::move(s));
    case Arch::ResNet128: return std::make_shared<ResNet128Impl>(config, std::move(s));
    case Arch::CubesPredict: return std::make_shared<CubesPredictImpl>(config, std::move(s));
  }
  throw std::logic_error("make_network: unknown architecture");
}

}  // namespace ebm
