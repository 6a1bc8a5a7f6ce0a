// The privacy attacks (privacy/): intervals and top-k against hand-computed cases, the policy
// rule, attacks that must succeed (separable identities) and must fail (shuffled labels),
// determinism, the person views, crops, reconstruction quality, the faces reader and attack,
// and the SVG plots.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "data/world.h"
#include "engine/fileio.h"
#include "engine/image.h"
#include "engine/parallel.h"
#include "eval/plot.h"
#include "ops/ops.h"
#include "privacy/attack.h"
#include "privacy/faces.h"
#include "privacy/person_views.h"
#include "privacy/reconstruction.h"
#include "privacy/stats.h"
#include "privacy/sweep.h"

#include "temp_dir.h"

using namespace ulr;
using namespace ulr::test;

namespace {

Tensor logits_of(int64_t n, int64_t k, const std::vector<float>& v) { return Tensor::from_vector({n, k}, v); }

// Images whose colour is their class: trivially separable. (N,3,side,side), labels i % classes.
AttackData coloured(int n, int classes, int side, uint64_t seed) {
  AttackData d;
  d.x = Tensor::empty({n, 3, side, side});
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int c = i % classes;
    d.label.push_back(c);
    for (int ch = 0; ch < 3; ++ch)
      for (int p = 0; p < side * side; ++p)
        d.x.data()[(int64_t(i) * 3 + ch) * side * side + p] =
            0.15f + 0.7f * float((c >> ch) & 1) + 0.1f * rng.uniform();
  }
  return d;
}

double accuracy(const IdentityClassifier& net, const AttackData& d) {
  return accuracy_of(top_k_hits(attack_logits(net, d.x), d.label, 1)).rate();
}

}  // namespace

TEST_CASE("Wilson intervals match hand-computed values") {
  // 8 of 10: p = 0.8, z^2 = 3.8415; centre (0.8 + 0.19207) / 1.38415 = 0.71674, half-width
  // 1.95996 * sqrt(0.016 + 0.0096037) / 1.38415 = 0.22658.
  Interval a = wilson_interval(8, 10);
  CHECK(a.lo == doctest::Approx(0.490162).epsilon(1e-5));
  CHECK(a.hi == doctest::Approx(0.943318).epsilon(1e-5));
  Interval none = wilson_interval(0, 10), all = wilson_interval(10, 10);
  CHECK(none.lo == 0.0);
  CHECK(none.hi == doctest::Approx(0.277533).epsilon(1e-5));
  CHECK(all.lo == doctest::Approx(0.722467).epsilon(1e-5));
  CHECK(all.hi <= 1.0);
  Interval one = wilson_interval(1, 24);
  CHECK(one.lo == doctest::Approx(0.0073935).epsilon(1e-4));
  CHECK(one.hi == doctest::Approx(0.202418).epsilon(1e-5));
  CHECK_THROWS_WITH(wilson_interval(3, 2), doctest::Contains("3 successes of 2 trials"));
  CHECK_THROWS(wilson_interval(0, 0));
  Accuracy empty;
  CHECK(empty.lo() == 0.0);
  CHECK(empty.hi() == 1.0);
}

TEST_CASE("top-k hits: ranks, ties against the label, errors") {
  // Row 0: label 2 is the largest; row 1: label 0 is third; row 2: all equal.
  Tensor l = logits_of(3, 4, {0.1f, 0.2f, 0.9f, 0.3f,  0.5f, 0.9f, 0.1f, 0.7f,  1, 1, 1, 1});
  const std::vector<int> labels = {2, 0, 3};
  CHECK(top_k_hits(l, labels, 1) == std::vector<uint8_t>{1, 0, 0});
  CHECK(top_k_hits(l, labels, 2) == std::vector<uint8_t>{1, 0, 0});
  CHECK(top_k_hits(l, labels, 3) == std::vector<uint8_t>{1, 1, 0});
  CHECK(top_k_hits(l, labels, 4) == std::vector<uint8_t>{1, 1, 1});
  CHECK_THROWS_WITH(top_k_hits(l, {0, 1, 4}, 1), doctest::Contains("label 4 is outside [0, 4)"));
  CHECK_THROWS(top_k_hits(l, {0, 1}, 1));
  CHECK_THROWS(top_k_hits(l, labels, 0));
  const Accuracy a = accuracy_of({1, 0, 1, 1});
  CHECK(a.hits == 3);
  CHECK(a.n == 4);
  const std::vector<Accuracy> g = accuracy_by_group({1, 0, 1, 1}, {0, 1, 1, 0}, 3);
  CHECK(g[0].hits == 2);
  CHECK(g[1].hits == 1);
  CHECK(g[1].n == 2);
  CHECK(g[2].n == 0);
  CHECK(chance_accuracy(24) == doctest::Approx(1.0 / 24));
  CHECK(chance_accuracy(24, 5) == doctest::Approx(5.0 / 24));
  CHECK(chance_accuracy(3, 5) == 1.0);
}

TEST_CASE("policy: the first bin from which every farther bin is within chance + 5 points") {
  // chance 1/24 + 0.05 = 0.0917. 50 of 240: lower bound 0.162 (leaks); 12 of 240: 0.029 (safe).
  const Accuracy leak{50, 240}, safe{12, 240};
  const double chance = 1.0 / 24;
  CHECK(first_protected_bin({leak, leak, safe, safe, safe}, chance) == 2);
  CHECK(first_protected_bin({safe, leak, safe, safe, safe}, chance) == 2);
  CHECK(first_protected_bin({safe, safe, safe, safe, safe}, chance) == 0);
  CHECK(first_protected_bin({leak, leak, leak, leak, leak}, chance) == 5);
  CHECK(first_protected_bin({safe, safe, safe, safe, leak}, chance) == 5);
}

TEST_CASE("the policy of a resolution takes every attack, the HR attacks on reconstructions too") {
  const Accuracy leak{50, 240}, safe{12, 240};
  const double chance = 1.0 / 24;
  AttackResult safe_everywhere, leaks_near;
  safe_everywhere.per_bin = {safe, safe, safe, safe, safe};
  leaks_near.per_bin = {leak, leak, safe, safe, safe};
  ResolutionResult r;
  r.frame = r.crop = safe_everywhere;
  CHECK(policy_bin(r, chance) == 0);
  r.reconstruction.identity_crop = leaks_near;  // ignored until the side has a reconstruction
  CHECK(policy_bin(r, chance) == 0);
  r.has_reconstruction = true;
  r.reconstruction.identity_frame = safe_everywhere;
  CHECK(policy_bin(r, chance) == 2);
  r.has_sr = true;
  r.sr_frame = r.sr_crop = safe_everywhere;
  r.sr_by_hr_crop.per_bin = {leak, leak, leak, leak, safe};
  CHECK(policy_bin(r, chance) == 4);
}

TEST_CASE("an attack on trivially separable identities reaches 100 %, linear and CNN") {
  ThreadScope threads(2);
  const AttackData train = coloured(96, 6, 16, 1), test = coloured(48, 6, 16, 2);
  for (AttackKind kind : {AttackKind::Cnn, AttackKind::Linear}) {
    AttackOptions o;
    o.kind = kind, o.classes = 6, o.epochs = 20, o.width = 8, o.lr = 5e-3f;
    const TrainedAttack t = train_attack(train, test, o);
    CHECK(accuracy(*t.net, test) == 1.0);
  }
}

// Identity by where a patch lies (upper or lower half; flips keep it), not by its colour: the
// grid pooling keeps the layout that aligned faces carry.
AttackData placed(int n, int side, uint64_t seed) {
  AttackData d;
  d.x = Tensor::full({n, 3, side, side}, 0.4f);
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int c = i % 2, y0 = c == 0 ? 3 + int(rng.below(2)) : side - 7 + int(rng.below(2));
    const int x0 = 3 + int(rng.below(uint32_t(side - 9)));
    d.label.push_back(c);
    for (int ch = 0; ch < 3; ++ch)
      for (int y = y0; y < y0 + 3; ++y)
        for (int x = x0; x < x0 + 3; ++x) d.x.data()[((int64_t(i) * 3 + ch) * side + y) * side + x] = 0.95f;
  }
  return d;
}

TEST_CASE("the CNN's grid pooling identifies by position; it takes square inputs only") {
  ThreadScope threads(2);
  const AttackData train = placed(64, 16, 1), test = placed(40, 16, 2);
  AttackOptions o;
  o.classes = 2, o.epochs = 12, o.width = 8, o.lr = 5e-3f, o.pool = AttackPool::Grid;
  const TrainedAttack t = train_attack(train, test, o);
  CHECK(accuracy(*t.net, test) == 1.0);
  Rng rng(1);
  CHECK_THROWS_WITH(IdentityClassifier(o, 64, 32, rng), doctest::Contains("64x32 is not square"));
}

TEST_CASE("with shuffled training labels the attack stays at chance (no leak through order or splits)") {
  ThreadScope threads(2);
  AttackData train = coloured(192, 4, 16, 3);
  Rng rng(9);  // labels shuffled across samples: no mapping from colour to label survives
  for (size_t i = train.label.size(); i > 1; --i) std::swap(train.label[i - 1], train.label[rng.below(uint32_t(i))]);
  const AttackData test = coloured(400, 4, 16, 4);
  AttackOptions o;
  o.classes = 4, o.epochs = 4, o.width = 8;
  const TrainedAttack t = train_attack(train, AttackData{}, o);
  const Accuracy a = accuracy_of(top_k_hits(attack_logits(*t.net, test.x), test.label, 1));
  INFO("accuracy " << a.rate() << " [" << a.lo() << ", " << a.hi() << "]");
  CHECK(a.lo() <= 0.25);
  CHECK(a.hi() >= 0.25);
}

TEST_CASE("attacks are deterministic for a seed and any thread count") {
  const AttackData train = coloured(40, 4, 8, 5);
  AttackOptions o;
  o.classes = 4, o.epochs = 2, o.width = 8;
  Tensor first, second;
  {
    ThreadScope one(1);
    first = attack_logits(*train_attack(train, train, o).net, train.x);
  }
  {
    ThreadScope two(2);
    second = attack_logits(*train_attack(train, train, o).net, train.x);
  }
  REQUIRE(first.numel() == second.numel());
  CHECK(std::equal(first.data(), first.data() + first.numel(), second.data()));
  o.seed = 2;
  ThreadScope two(2);
  const Tensor other = attack_logits(*train_attack(train, train, o).net, train.x);
  CHECK(!std::equal(first.data(), first.data() + first.numel(), other.data()));
}

TEST_CASE("attack errors name the problem") {
  AttackData d = coloured(8, 2, 8, 1);
  AttackOptions o;
  o.classes = 2;
  d.label[3] = 5;
  CHECK_THROWS_WITH(train_attack(d, AttackData{}, o), doctest::Contains("label 5 is outside [0, 2)"));
  CHECK_THROWS_WITH(train_attack(AttackData{}, AttackData{}, o), doctest::Contains("no training data"));
  o.classes = 1;
  CHECK_THROWS_WITH(train_attack(coloured(8, 2, 8, 1), AttackData{}, o), doctest::Contains("classes"));
}

TEST_CASE("person views: one known person per view, in its distance bin, splits apart, deterministic") {
  PersonViewOptions o;
  o.per_identity = 1;
  PersonViewSet train, test, again;
  {
    ThreadScope two(2);
    train = render_person_views(Split::Train, o);
    test = render_person_views(Split::Test, o);
  }
  {
    ThreadScope one(1);
    again = render_person_views(Split::Test, o);
  }
  REQUIRE(test.size() == kNumIdentities);
  CHECK(test.hr.shape() == Shape({kNumIdentities, 3, kPersonViewSize, kPersonViewSize}));
  CHECK(std::equal(test.hr.data(), test.hr.data() + test.hr.numel(), again.hr.data()));
  CHECK(test.person_map.data == again.person_map.data);
  const int S = kPersonViewSize;
  for (int64_t i = 0; i < test.size(); ++i) {
    CHECK(test.identity[size_t(i)] == int(i % kNumIdentities));
    CHECK(test.bin(i) == int((i / kNumIdentities) % kDistanceBins));
    CHECK(test.distance[size_t(i)] >= distance_bin_lo(test.bin(i)));
    CHECK(test.distance[size_t(i)] < distance_bin_hi(test.bin(i)));
    std::set<int> seen(test.person_map.data.begin() + i * S * S, test.person_map.data.begin() + (i + 1) * S * S);
    CHECK(seen == std::set<int>{-1, test.identity[size_t(i)]});
    const PixelBox& b = test.box[size_t(i)];
    CHECK(b.x1 > b.x0);
    CHECK(b.y1 > b.y0);
  }
  std::set<uint64_t> train_worlds(train.world_seed.begin(), train.world_seed.end());
  for (uint64_t w : test.world_seed) CHECK(train_worlds.count(w) == 0);
  // HR is an 8-bit image; each ULR frame is its area average.
  for (int64_t k = 0; k < 300; ++k) {
    const float v = test.hr.data()[k * 97] * 255.0f;
    CHECK(std::fabs(v - std::round(v)) < 1e-3f);
  }
  CHECK(ulr_frames(test, 16).shape() == Shape({kNumIdentities, 3, 16, 16}));
  CHECK_THROWS_WITH(ulr_frames(test, 20), doctest::Contains("does not divide 96"));
}

TEST_CASE("person crops centre the person's box and keep a constant frame constant") {
  PersonViewSet v;
  v.identity = {0};
  v.box = {{40, 20, 56, 84}};  // 16 wide, 64 high: the window is 1.15 * 64 high, centred at (48, 52)
  Tensor frames = Tensor::full({1, 3, 96, 96}, 0.25f);
  for (int y = 0; y < 96; ++y)
    for (int x = 48; x < 96; ++x) frames.data()[y * 96 + x] = 0.75f;  // channel 0: right half bright
  const Tensor c = person_crops(frames, v);
  CHECK(c.shape() == Shape({1, 3, kCropHeight, kCropWidth}));
  const float* red = c.data();
  CHECK(red[10 * kCropWidth + 2] == doctest::Approx(0.25f));                 // left of the box centre
  CHECK(red[10 * kCropWidth + kCropWidth - 3] == doctest::Approx(0.75f));    // right of it
  const float* green = c.data() + kCropHeight * kCropWidth;
  for (int k = 0; k < kCropHeight * kCropWidth; ++k) CHECK(green[k] == doctest::Approx(0.25f));
  CHECK_THROWS(person_crops(Tensor::zeros({2, 3, 96, 96}), v));
}

TEST_CASE("the person views' people differ in the traits that stay when clothes change") {
  for (int a = 0; a < kNumIdentities; ++a)
    for (int b = a + 1; b < kNumIdentities; ++b) {
      const PersonLook &p = distinct_person_look(a), &q = distinct_person_look(b);
      const int differ = (p.height != q.height) + (p.build != q.build) + (p.skin[0] != q.skin[0]) +
                         (p.hair[0] != q.hair[0]) + (p.hair_style != q.hair_style) +
                         (p.face_pattern != q.face_pattern);
      CHECK(differ >= 3);
    }
  Rng rng(1);
  const PersonLook& base = distinct_person_look(5);
  const PersonLook other = redressed(base, rng);
  CHECK(other.height == base.height);
  CHECK(other.build == base.build);
  CHECK(other.hair_style == base.hair_style);
  CHECK(std::equal(other.skin, other.skin + 3, base.skin));
  CHECK(!std::equal(other.top, other.top + 3, base.top));
  // The apartments' own people are those of person_look: plain build, no hair geometry.
  for (int i = 0; i < kNumIdentities; ++i) {
    CHECK(person_look(i).build == 1.0f);
    CHECK(person_look(i).hair_style == 0);
  }
}

TEST_CASE("remove_people and add_person edit a world's people") {
  World w = generate_world(3);
  remove_people(w);
  CHECK(w.identities().empty());
  // A free spot in the first room.
  const Room& room = w.rooms[0];
  float x = 0, y = 0;
  bool found = false;
  for (int k = 0; k < 400 && !found; ++k) {
    x = room.rect.x0 + 0.5f + (room.rect.width() - 1.0f) * float(k % 20) / 19.0f;
    y = room.rect.y0 + 0.5f + (room.rect.depth() - 1.0f) * float(k / 20) / 19.0f;
    found = w.is_free(x, y, 0.5f);
  }
  REQUIRE(found);
  add_person(w, 7, distinct_person_look(7), {x, y, 0.3f, true});
  CHECK(w.identities() == std::vector<int>{7});
  CHECK(!w.is_free(x, y, 0.1f));  // the person and the chair block the floor
  CHECK_THROWS_WITH(add_person(w, 1, person_look(1), {-100, -100, 0, false}), doctest::Contains("lies in no room"));
}

TEST_CASE("reconstruction: exact views score the caps, training lowers the error below bilinear") {
  ThreadScope two(2);
  PersonViewOptions o;
  o.per_identity = 1;
  const PersonViewSet v = render_person_views(Split::Val, o);
  const ReconstructionQuality exact = reconstruction_quality(v.hr, v);
  CHECK(exact.psnr == 99.0);
  CHECK(exact.psnr_person == 99.0);
  CHECK(exact.ssim == doctest::Approx(1.0));
  CHECK(exact.ssim_person == doctest::Approx(1.0));
  const Tensor frames = ulr_frames(v, 16);
  ReconstructionOptions ro;
  ro.epochs = 8, ro.width = 8, ro.lr = 3e-3f, ro.batch = 8;
  const auto g = train_reconstruction(frames, v.hr, ro);
  const Tensor pred = reconstruct(*g, frames);
  CHECK(pred.shape() == v.hr.shape());
  const Tensor bilinear = clamp(resize_bilinear(frames, 96, 96), 0, 1);
  CHECK(reconstruction_quality(pred, v).psnr > reconstruction_quality(bilinear, v).psnr);
}

TEST_CASE("privacy faces: an ImageFolder of face-like images is identified by both attackers") {
  ThreadScope two(2);
  TempDir temp("ulrseg_test_privacy");
  const std::string dir = temp.path;
  Rng rng(4);
  const char* people[3] = {"ada", "bob", "cy"};
  for (int id = 0; id < 3; ++id) {
    make_dirs(dir + "/" + people[id]);
    for (int k = 0; k < 4; ++k) {
      // A face: skin-coloured disc (tone by identity) with dark hair on top, on a noisy background.
      Image im(40, 48, 3);
      for (int yy = 0; yy < 48; ++yy)
        for (int xx = 0; xx < 40; ++xx) {
          const float dx = (xx - 20) / 14.0f, dy = (yy - 26) / 17.0f;
          const bool face = dx * dx + dy * dy < 1, hair = face && yy < 16;
          const float tone = 0.35f + 0.25f * float(id);
          for (int c = 0; c < 3; ++c) {
            float v = hair ? 0.1f : face ? tone * (1.0f - 0.15f * float(c)) : 0.5f + 0.3f * rng.uniform();
            im.at(xx, yy)[c] = uint8_t(std::min(255.0f, 255.0f * v));
          }
        }
      write_png(dir + "/" + people[id] + "/" + std::to_string(k) + ".png", im);
    }
  }
  const std::string note = dir + "/notes.txt";  // files beside the identity folders are skipped
  write_file_atomic(note, "x", 1);
  const FaceSet faces = read_face_folder(dir);
  CHECK(faces.identities == std::vector<std::string>{"ada", "bob", "cy"});
  CHECK(faces.images.size() == 12);
  CHECK(faces.smallest_side == 40);
  FacesOptions fo;
  fo.resolutions = {4, 16, 64};
  fo.steps = 60;
  const FacesReport r = run_faces(faces, fo);
  CHECK(r.folds == 4);
  CHECK(r.chance == doctest::Approx(1.0 / 3));
  REQUIRE(r.rows.size() == 2);
  CHECK(r.skipped == std::vector<int>{64});
  for (const FacesRow& row : r.rows) {
    CHECK(row.linear.n == 12);
    CHECK(row.linear.rate() >= 0.9);
    CHECK(row.cnn.rate() >= 0.9);
    CHECK(row.cnn5.rate() == 1.0);
  }
}

TEST_CASE("plots are SVG with the series, the reference line and escaped text") {
  Plot p;
  p.title = "top-1 <by> resolution & more";
  p.x = {"resolution", 0, 5, {{0, "8"}, {5, "HR"}}};
  p.y = {"accuracy", 0, 1, {}};
  PlotSeries s;
  s.label = "crop";
  s.x = {0, 1, 2};
  s.y = {0.9, 0.5, 0.1};
  s.y_lo = {0.8, 0.4, 0.05};
  s.y_hi = {0.95, 0.6, 0.2};
  p.series.push_back(s);
  p.reference_lines.push_back({1.0 / 24, "chance"});
  const std::string svg = plot_svg(p);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("top-1 &lt;by&gt; resolution &amp; more") != std::string::npos);
  CHECK(svg.find("<polyline") != std::string::npos);
  CHECK(std::count(svg.begin(), svg.end(), 'c') > 0);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
  CHECK(circles == 3);
  CHECK(svg.find(">chance<") != std::string::npos);
  p.x.max = 0;
  CHECK_THROWS_WITH(plot_svg(p), doctest::Contains("axis range is empty"));
  p.x.max = 5;
  p.series[0].y.pop_back();
  CHECK_THROWS_WITH(plot_svg(p), doctest::Contains("different sizes"));
}
