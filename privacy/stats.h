// The statistics of the attacks: top-k accuracy from logits, Wilson score intervals, chance,
// and the distance-to-resolution policy (where identity accuracy is no longer above chance).
#pragma once
#include <cstdint>
#include <vector>

#include "engine/json.h"
#include "engine/tensor.h"
#include "eval/statistics.h"  // wilson_interval, kZ95

namespace ulr {

// An accuracy with its 95 % Wilson score interval (eval/statistics.h): hits of n trials.
struct Accuracy {
  int64_t hits = 0, n = 0;
  double rate() const { return n ? double(hits) / double(n) : 0.0; }
  double lo() const;  // Wilson lower bound; 0 when n = 0
  double hi() const;  // Wilson upper bound; 1 when n = 0
  Json to_json() const;  // {"accuracy", "ci95": [lo, hi], "hits", "n"}
};

// Whether each row's label is among its k largest logits: logits (N,K), labels (N). A tie with
// the label's logit counts against it (the label ranks below every equal logit), so constant
// logits score nothing. Throws Error when shapes differ, k < 1 or a label is outside [0, K).
std::vector<uint8_t> top_k_hits(const Tensor& logits, const std::vector<int>& labels, int k);
Accuracy accuracy_of(const std::vector<uint8_t>& hits);
// The accuracy of the rows whose group is g, for each g in [0, groups).
std::vector<Accuracy> accuracy_by_group(const std::vector<uint8_t>& hits, const std::vector<int>& group,
                                        int groups);

// Chance of a closed-set guess among `classes` identities: k / classes for top-k.
double chance_accuracy(int classes, int k = 1);

// The policy rule: identity is protected in a distance bin when the accuracy's lower 95 % bound
// is at most chance + margin (5 points). Returns the first bin from which every farther bin is
// protected (0 when all are; per_bin.size() when the farthest bin is not).
constexpr double kPolicyMargin = 0.05;
int first_protected_bin(const std::vector<Accuracy>& per_bin, double chance, double margin = kPolicyMargin);

}  // namespace ulr
