// What one step of a composition costs in network evaluations per sample, read from the tree and
// the models' recommended guidance alone (no tensors, no compile): a term of a guided denoising model
// costs its conditional and its unconditional energy, terms of one model without masks share the
// unconditional one (CompiledComposition does), a shared-prior node needs every denoising term's
// unconditional energy. The studio shows it beside the schedule (steps × this = evaluations per
// sample); it counts each guided term's unconditional evaluation even where a guidance interval lets
// the CPU skip it.
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/energy/node.h"

#include <string>

namespace ebm {

// Evaluations per sample of one joint step; models `info_of` does not know count as one evaluation.
int evaluations_per_step(const Node& root, const ModelInfoOf& info_of);

}  // namespace ebm
