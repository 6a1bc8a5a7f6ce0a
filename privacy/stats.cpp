#include "privacy/stats.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"

namespace ulr {

double Accuracy::lo() const { return n ? wilson_interval(hits, n).lo : 0.0; }
double Accuracy::hi() const { return n ? wilson_interval(hits, n).hi : 1.0; }

Json Accuracy::to_json() const {
  Json ci = Json::array();
  ci.push(lo()).push(hi());
  Json j = Json::object();
  j.set("accuracy", rate()).set("ci95", ci).set("hits", hits).set("n", n);
  return j;
}

std::vector<uint8_t> top_k_hits(const Tensor& logits, const std::vector<int>& labels, int k) {
  if (logits.shape().rank != 2 || logits.size(0) != int64_t(labels.size()))
    throw Error("top-k: logits " + logits.shape().str() + " for " + std::to_string(labels.size()) + " labels");
  if (k < 1) throw Error("top-k: k = " + std::to_string(k) + " must be >= 1");
  const int64_t N = logits.size(0), K = logits.size(1);
  std::vector<uint8_t> hits(size_t(N), 0);
  for (int64_t i = 0; i < N; ++i) {
    const int label = labels[size_t(i)];
    if (label < 0 || label >= K)
      throw Error("top-k: label " + std::to_string(label) + " is outside [0, " + std::to_string(K) + ")");
    const float* row = logits.data() + i * K;
    int64_t above = 0;  // other classes scoring at least the label's logit
    for (int64_t c = 0; c < K; ++c) above += c != label && row[c] >= row[label];
    hits[size_t(i)] = above < k;
  }
  return hits;
}

Accuracy accuracy_of(const std::vector<uint8_t>& hits) {
  Accuracy a;
  a.n = int64_t(hits.size());
  for (uint8_t h : hits) a.hits += h;
  return a;
}

std::vector<Accuracy> accuracy_by_group(const std::vector<uint8_t>& hits, const std::vector<int>& group,
                                        int groups) {
  if (hits.size() != group.size())
    throw Error("accuracy by group: " + std::to_string(hits.size()) + " results, " +
                std::to_string(group.size()) + " groups");
  std::vector<Accuracy> out(size_t(std::max(groups, 0)));
  for (size_t i = 0; i < hits.size(); ++i) {
    if (group[i] < 0 || group[i] >= groups)
      throw Error("accuracy by group: group " + std::to_string(group[i]) + " is outside [0, " +
                  std::to_string(groups) + ")");
    out[size_t(group[i])].hits += hits[i];
    out[size_t(group[i])].n += 1;
  }
  return out;
}

double chance_accuracy(int classes, int k) { return std::min(1.0, double(k) / double(classes)); }

int first_protected_bin(const std::vector<Accuracy>& per_bin, double chance, double margin) {
  int first = int(per_bin.size());
  for (int b = int(per_bin.size()) - 1; b >= 0; --b) {
    if (per_bin[size_t(b)].lo() > chance + margin) break;
    first = b;
  }
  return first;
}

}  // namespace ulr
