// An edit of one value of a composition — what a slider tick or a brush stroke changes — addressed by
// the node's path. It travels alone (cmd::EditValues), not inside a whole tree: the sampler writes it
// into its tree and, in place, into the compiled composition's tensors on every shard
// (CompiledComposition::apply_value), compiling nothing. An edit the compiled tree cannot take in
// place — a guidance switched to or from 1, a term's first mask, a label the model refuses — makes
// the sampler recompile at its next step, exactly as the whole tree would have (errors included).
#pragma once

#include "engine/energy/node.h"
#include "models/guidance.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ebm {

struct ValueEdit {
  enum class Field { Weight, Temperature, Coefficient, Guidance, GuidanceInterval, Label, Mask };
  NodePath path;                  // the node edited (child indices from the root)
  Field field = Field::Weight;
  double number = 0.0;            // Weight, Temperature (Or), Coefficient (Not), Guidance (Term)
  GuidanceInterval interval;      // GuidanceInterval (Term)
  std::vector<float> label;       // Label (Term)
  torch::Tensor mask;             // Mask (Term): [H,W] in [0,1] on the CPU; undefined: no mask

  static ValueEdit weight(NodePath p, double w);
  static ValueEdit temperature(NodePath p, double t);
  static ValueEdit coefficient(NodePath p, double c);
  static ValueEdit guidance(NodePath p, double g);
  static ValueEdit guidance_interval(NodePath p, const GuidanceInterval& iv);
  static ValueEdit term_label(NodePath p, std::vector<float> label);
  static ValueEdit term_mask(NodePath p, torch::Tensor mask);
};
std::string to_string(ValueEdit::Field f);  // "weight", "temperature", …

// Writes the edit into the tree. Checks the value as validate_structure() would and that the node
// has the field (a temperature belongs to an Or …); throws std::invalid_argument naming the node's
// path and what is wrong, leaving `root` unchanged.
void apply_value_edit(Node& root, const ValueEdit& e);

}  // namespace ebm
