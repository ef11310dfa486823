// What `ebm bench`'s measurements share: a composition of fresh random-weight networks (throughput
// does not depend on the weights; each term is its own network, as in a real composition of
// concepts) and the preview atlas a studio would make of a batch.
#pragma once

#include "engine/energy/composition.h"
#include "engine/energy/energy_model.h"
#include "engine/gpu/atlas.h"
#include "models/registry.h"

#include <cstdint>

namespace ebm::cli {

struct BenchComposition {
  ModelSet models;  // "m0", "m1", …
  Node root;        // the one term, or an AND of them
};
BenchComposition make_bench_composition(Arch arch, std::int64_t terms);

// The studio's grid layout of `batch` images of `size` pixels: as square as it gets.
gpu::AtlasLayout atlas_for(std::int64_t batch, std::int64_t size);

}  // namespace ebm::cli
