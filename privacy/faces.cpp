#include "privacy/faces.h"

#include <algorithm>
#include <chrono>

#include "data/sensor.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "ops/ops.h"
#include "privacy/attack.h"

namespace ulr {
namespace {

bool hidden(const std::string& name) { return name.empty() || name[0] == '.'; }

// Stratified folds: each identity's images in an order drawn from the seed, dealt round-robin.
std::vector<int> fold_of(const FaceSet& f, int folds, uint64_t seed) {
  std::vector<int> fold(f.label.size(), 0);
  Rng rng(seed, 7);
  for (int id = 0; id < int(f.identities.size()); ++id) {
    std::vector<size_t> mine;
    for (size_t i = 0; i < f.label.size(); ++i)
      if (f.label[i] == id) mine.push_back(i);
    for (size_t k = mine.size(); k > 1; --k) std::swap(mine[k - 1], mine[rng.below(uint32_t(k))]);
    for (size_t k = 0; k < mine.size(); ++k) fold[mine[k]] = int(k % size_t(folds));
  }
  return fold;
}

// Rows `rows` of x (N,3,r,r) with their labels.
AttackData pick(const Tensor& x, const std::vector<int>& labels, const std::vector<size_t>& rows) {
  const int64_t row = x.numel() / x.size(0);
  AttackData d;
  d.x = Tensor::empty({int64_t(rows.size()), x.size(1), x.size(2), x.size(3)});
  for (size_t k = 0; k < rows.size(); ++k) {
    std::copy(x.data() + int64_t(rows[k]) * row, x.data() + int64_t(rows[k] + 1) * row, d.x.data() + int64_t(k) * row);
    d.label.push_back(labels[rows[k]]);
  }
  return d;
}

}  // namespace

FaceSet read_face_folder(const std::string& dir, int64_t max_pixels) {
  if (!is_folder(dir)) throw Error(dir + ": not a folder (want DIR/IDENTITY/*.png|jpg, one folder per person)");
  FaceSet f;
  f.dir = dir;
  for (const std::string& name : list_folder(dir))
    if (!hidden(name) && is_folder(dir + "/" + name)) f.identities.push_back(name);
  if (f.identities.size() < 2)
    throw Error(dir + ": " + std::to_string(f.identities.size()) +
                " identity folder(s); identity attacks need at least 2 (DIR/IDENTITY/*.png|jpg)");
  for (size_t id = 0; id < f.identities.size(); ++id) {
    const std::string folder = dir + "/" + f.identities[id];
    int count = 0;
    for (const std::string& name : list_folder(folder)) {
      if (hidden(name) || !has_image_extension(name)) continue;
      const std::string path = folder + "/" + name;
      f.images.push_back(read_image(path, max_pixels));
      f.files.push_back(path);
      f.label.push_back(int(id));
      ++count;
    }
    if (count < 2)
      throw Error(folder + ": " + std::to_string(count) +
                  " image(s); every identity needs at least 2 for cross-validation");
  }
  f.smallest_side = 1 << 30;
  for (const Image& im : f.images) f.smallest_side = std::min({f.smallest_side, im.width, im.height});
  return f;
}

FacesReport run_faces(const FaceSet& faces, const FacesOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  FacesReport r;
  r.dir = faces.dir;
  r.identities = int(faces.identities.size());
  r.images = int(faces.images.size());
  r.smallest_side = faces.smallest_side;
  r.chance = chance_accuracy(r.identities, 1);
  r.chance_top5 = chance_accuracy(r.identities, 5);
  int fewest = r.images;
  for (int id = 0; id < r.identities; ++id)
    fewest = std::min(fewest, int(std::count(faces.label.begin(), faces.label.end(), id)));
  r.folds = std::max(2, std::min(opt.folds, fewest));
  const std::vector<int> fold = fold_of(faces, r.folds, opt.seed);
  for (int res : opt.resolutions) {
    if (res > faces.smallest_side) {
      r.skipped.push_back(res);
      continue;
    }
    SensorOptions sensor;
    sensor.out_h = sensor.out_w = res;
    Tensor frames = Tensor::empty({int64_t(r.images), 3, res, res});  // (N,3,r,r)
    for (int i = 0; i < r.images; ++i) {
      const Tensor f = sensor_from_photo(faces.images[size_t(i)], sensor);
      std::copy(f.data(), f.data() + f.numel(), frames.data() + int64_t(i) * f.numel());
    }
    FacesRow row;
    row.res = res;
    std::vector<uint8_t> hits[4];  // linear top-1, top-5, cnn top-1, top-5, in image order
    for (auto& h : hits) h.assign(size_t(r.images), 0);
    for (int k = 0; k < r.folds; ++k) {
      std::vector<size_t> train, test;
      for (size_t i = 0; i < fold.size(); ++i) (fold[i] == k ? test : train).push_back(i);
      const AttackData tr = pick(frames, faces.label, train), te = pick(frames, faces.label, test);
      for (int kind = 0; kind < 2; ++kind) {
        AttackOptions a;
        a.kind = kind == 0 ? AttackKind::Linear : AttackKind::Cnn;
        a.classes = r.identities;
        a.batch = 16;
        const int steps_per_epoch = (int(train.size()) + a.batch - 1) / a.batch;
        a.epochs = std::max(1, (opt.steps + steps_per_epoch - 1) / steps_per_epoch);
        a.width = 16;
        a.pool = AttackPool::Grid;  // faces are aligned: where a feature lies counts
        a.lr = kind == 0 ? 1e-2f : 2e-3f;  // softmax regression takes larger steps
        a.weight_decay = kind == 0 ? 1e-2f : 1e-4f;
        a.seed = opt.seed + uint64_t(k);
        const TrainedAttack t = train_attack(tr, AttackData{}, a);
        const Tensor logits = attack_logits(*t.net, te.x);
        const std::vector<uint8_t> h1 = top_k_hits(logits, te.label, 1), h5 = top_k_hits(logits, te.label, 5);
        for (size_t j = 0; j < test.size(); ++j) hits[2 * kind][test[j]] = h1[j], hits[2 * kind + 1][test[j]] = h5[j];
      }
    }
    row.linear = accuracy_of(hits[0]), row.linear5 = accuracy_of(hits[1]);
    row.cnn = accuracy_of(hits[2]), row.cnn5 = accuracy_of(hits[3]);
    r.rows.push_back(row);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ulr
