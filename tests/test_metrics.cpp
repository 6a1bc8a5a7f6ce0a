// eval/metrics: every score against a confusion matrix or image worked out by hand, then against
// tests/fixtures/metrics.json, written by tools/reference/metrics_reference.py: the formulas of
// pytorch-deeplab-xception's Evaluator in NumPy, PSNR and SSIM from scikit-image. The fixture
// folder is $ULRSEG_FIXTURES, by default the committed tests/fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "engine/fileio.h"
#include "engine/json.h"
#include "eval/metrics.h"

using namespace ulr;

namespace {

// Five classes, eleven counted pixels, two ignored (255). Rows are ground truth, columns the
// prediction:
//            pred 0  1  2  3  4 | row
//   gt 0          3  1  0  0  0 |  4
//   gt 1          1  2  1  0  0 |  4
//   gt 2          0  0  2  0  1 |  3
//   gt 3          0  0  0  0  0 |  0   absent from both: IoU and recall NaN
//   gt 4          0  0  0  0  0 |  0   predicted once, never true: recall NaN, IoU 0
//   col           4  3  3  0  1 | 11   diagonal 3 2 2 0 0, trace 7
// The ignored pixels predict 3 and 0: neither may reach a column (class 3 stays absent).
const uint8_t kHandGt[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 255, 255};
const uint8_t kHandPred[] = {0, 0, 0, 1, 0, 1, 1, 2, 2, 2, 4, 3, 0};
const uint64_t kHandMatrix[5][5] = {{3, 1, 0, 0, 0}, {1, 2, 1, 0, 0}, {0, 0, 2, 0, 1}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};

ConfusionMatrix hand_matrix() {
  ConfusionMatrix cm(5);
  cm.add(kHandGt, kHandPred, 13);
  return cm;
}

doctest::Approx exactly(double v) { return doctest::Approx(v).epsilon(1e-12); }

// A (N,C,H,W) image of 8-bit codes: value code / 255 in float32, as the reference builds it.
Tensor image_from_codes(const Json& shape, const Json& codes) {
  std::vector<int64_t> dims;
  for (const Json& d : shape.items()) dims.push_back(d.as_int());
  std::vector<float> values;
  for (const Json& c : codes.items()) values.push_back(float(c.as_int()) / 255.0f);
  return Tensor::from_vector(Shape(dims), values);
}

std::vector<uint8_t> labels_of(const Json& list) {
  std::vector<uint8_t> out;
  for (const Json& v : list.items()) out.push_back(uint8_t(v.as_int()));
  return out;
}

// A fixture number, where null stands for NaN.
void check_score(double got, const Json& want, double tolerance, const std::string& what) {
  INFO(what << ": got " << got << ", want " << want.dump());
  if (want.is_null()) {
    CHECK(std::isnan(got));
  } else {
    CHECK(std::fabs(got - want.as_number()) <= tolerance);
  }
}

const Json& fixture() {
  static const Json j = [] {
    const char* env = std::getenv("ULRSEG_FIXTURES");
    const std::string path = std::string(env && *env ? env : ULRSEG_SOURCE_DIR "/tests/fixtures") + "/metrics.json";
    std::vector<unsigned char> bytes = read_file(path);
    return Json::parse(std::string(bytes.begin(), bytes.end()), path);
  }();
  return j;
}

}  // namespace

TEST_CASE("the confusion matrix counts ground truth by row, prediction by column, not the ignored pixels") {
  ConfusionMatrix cm = hand_matrix();
  for (int g = 0; g < 5; ++g)
    for (int p = 0; p < 5; ++p) {
      INFO("gt " << g << " pred " << p);
      CHECK(cm.at(g, p) == kHandMatrix[g][p]);
    }
  CHECK(cm.total() == 11);
}

TEST_CASE("pixel accuracy: the trace over every counted pixel") {
  CHECK(hand_matrix().pixel_accuracy() == exactly(7.0 / 11.0));  // (3 + 2 + 2 + 0 + 0) / 11
}

TEST_CASE("class accuracy: the mean recall CM_cc / row_c over classes with ground truth") {
  // 3/4, 2/4, 2/3; classes 3 and 4 have no ground truth (0/0, skipped): 23/36
  CHECK(hand_matrix().class_accuracy() == exactly((3.0 / 4 + 2.0 / 4 + 2.0 / 3) / 3));
}

TEST_CASE("IoU per class: CM_cc / (row_c + col_c - CM_cc), NaN for a class absent from both") {
  std::vector<double> iou = hand_matrix().iou();
  REQUIRE(iou.size() == 5);
  CHECK(iou[0] == exactly(3.0 / 5));  // 3 / (4 + 4 - 3)
  CHECK(iou[1] == exactly(2.0 / 5));  // 2 / (4 + 3 - 2)
  CHECK(iou[2] == exactly(2.0 / 4));  // 2 / (3 + 3 - 2)
  CHECK(std::isnan(iou[3]));          // 0 / (0 + 0 - 0)
  CHECK(iou[4] == 0.0);               // 0 / (0 + 1 - 0)
}

TEST_CASE("mIoU: the mean IoU over the classes that appear, NaN classes skipped") {
  CHECK(hand_matrix().miou() == exactly((0.6 + 0.4 + 0.5 + 0.0) / 4));  // 0.375; class 3 skipped
}

TEST_CASE("FWIoU: IoU weighted by each class's share of the ground truth") {
  // (4/11) 0.6 + (4/11) 0.4 + (3/11) 0.5 = 5.5 / 11; classes 3 and 4 weigh 0
  CHECK(hand_matrix().fwiou() == exactly(0.5));
}

TEST_CASE("the ignore label: any index may be it, and its pixels count nowhere") {
  // With ignore 0 the class-0 pixels of the hand case go: left are rows 1 and 2, 7 pixels.
  ConfusionMatrix cm(5, 0);
  cm.add(kHandGt, kHandPred, 11);  // the pixels with ground truth 255 would be out of range here
  CHECK(cm.total() == 7);
  CHECK(cm.at(0, 0) == 0);
  CHECK(cm.at(1, 0) == 1);
  CHECK(cm.pixel_accuracy() == exactly(4.0 / 7.0));  // (2 + 2) / 7
  // An ignored pixel may carry any prediction, even one that names no class.
  ConfusionMatrix all_ignored(3);
  const uint8_t gt[] = {255, 255}, pred[] = {7, 255};
  all_ignored.add(gt, pred, 2);
  CHECK(all_ignored.total() == 0);
}

TEST_CASE("labels outside the classes are errors that name the label") {
  ConfusionMatrix cm(5);
  const uint8_t good[] = {1}, five[] = {5};
  CHECK_THROWS_WITH(cm.add(five, good, 1), "metrics: ground-truth label 5 is outside 0..4");
  CHECK_THROWS_WITH(cm.add(good, five, 1), "metrics: predicted label 5 is outside 0..4");
}

TEST_CASE("an empty confusion matrix scores NaN everywhere (null in JSON)") {
  ConfusionMatrix cm(3);
  CHECK(std::isnan(cm.pixel_accuracy()));
  CHECK(std::isnan(cm.class_accuracy()));
  CHECK(std::isnan(cm.miou()));
  CHECK(std::isnan(cm.fwiou()));
  CHECK(cm.to_json().at("miou").is_null());
}

TEST_CASE("view_miou: each view's own confusion matrix, not its share of the pooled one") {
  // View A, gt 0 0 1 1, pred 0 1 1 1: CM [[1,1,0],[0,2,0],[0,0,0]];
  //   IoU 1/(2+1-1) = 1/2, 2/(2+3-2) = 2/3, class 2 absent (skipped): 7/12.
  const uint8_t gt_a[] = {0, 0, 1, 1}, pred_a[] = {0, 1, 1, 1};
  CHECK(view_miou(gt_a, pred_a, 4, 3) == exactly(7.0 / 12));
  // View B, gt 2 2 255 0, pred 2 0 1 0: the ignored pixel's 1 counts nowhere, so class 1 is
  //   absent; CM [[1,0,0],[0,0,0],[1,0,1]]; IoU 1/(1+2-1) = 1/2, 1/(2+1-1) = 1/2: 1/2.
  const uint8_t gt_b[] = {2, 2, 255, 0}, pred_b[] = {2, 0, 1, 0};
  CHECK(view_miou(gt_b, pred_b, 4, 3) == exactly(0.5));
  // Pooled, A + B: CM [[2,1,0],[0,2,0],[1,0,1]], IoU 2/4, 2/3, 1/2: 5/9, not (7/12 + 1/2) / 2.
  ConfusionMatrix pooled(3);
  pooled.add(gt_a, pred_a, 4);
  pooled.add(gt_b, pred_b, 4);
  CHECK(pooled.miou() == exactly(5.0 / 9));
  // The ignore index is the caller's, and a view with nothing counted has no mIoU.
  CHECK(view_miou(gt_a, pred_a, 4, 3, 0) == exactly(1.0));  // left gt 1 1, pred 1 1: class 1 alone
  const uint8_t none[] = {255, 255};
  CHECK(std::isnan(view_miou(none, none, 2, 3)));
}

TEST_CASE("PSNR: 10 log10(1 / MSE) over every element, +inf for identical images") {
  Tensor zero = Tensor::zeros(Shape{1, 1, 2, 2});
  CHECK(psnr(zero, Tensor::full(Shape{1, 1, 2, 2}, 0.1f)) == doctest::Approx(20.0).epsilon(1e-6));  // MSE 0.01
  // Errors 0, .1, .2, .3: MSE (0 + .01 + .04 + .09) / 4 = 0.035, 10 log10(1 / 0.035) = 14.5593
  Tensor ramp = Tensor::from_vector(Shape{1, 1, 2, 2}, {0.0f, 0.1f, 0.2f, 0.3f});
  CHECK(psnr(zero, ramp) == doctest::Approx(14.559319).epsilon(1e-6));
  CHECK(psnr(ramp, ramp) == std::numeric_limits<double>::infinity());
  CHECK_THROWS_WITH(psnr(zero, Tensor::zeros(Shape{1, 1, 2, 3})), "psnr: shapes [1,1,2,2] and [1,1,2,3] differ");
}

TEST_CASE("SSIM of 2x2 images, where the window (shrunk to 2) weighs each pixel 1/4") {
  // a .2 .4 .6 .8, b .4 .4 .8 .8: means .5, .6; variances .30 - .25 = .05, .40 - .36 = .04;
  // covariance .34 - .30 = .04. SSIM = (2 .5 .6 + C1)(2 .04 + C2) / ((.25 + .36 + C1)(.05 + .04 + C2))
  // with C1 = .01^2, C2 = .03^2: (.6001 * .0809) / (.6101 * .0909) = 0.875401
  Tensor a = Tensor::from_vector(Shape{1, 1, 2, 2}, {0.2f, 0.4f, 0.6f, 0.8f});
  Tensor b = Tensor::from_vector(Shape{1, 1, 2, 2}, {0.4f, 0.4f, 0.8f, 0.8f});
  CHECK(ssim(a, b) == doctest::Approx(0.875401).epsilon(1e-6));
  // Inverted: equal means and variances .25, covariance -.25: (C2 - .5) / (C2 + .5) = -0.996406
  Tensor x = Tensor::from_vector(Shape{1, 1, 2, 2}, {0.0f, 1.0f, 1.0f, 0.0f});
  Tensor y = Tensor::from_vector(Shape{1, 1, 2, 2}, {1.0f, 0.0f, 0.0f, 1.0f});
  CHECK(ssim(x, y) == doctest::Approx(-0.996406).epsilon(1e-6));
  CHECK(ssim(a, a) == exactly(1.0));
}

TEST_CASE("the segmentation scores match the deeplab Evaluator's formulas on the fixture cases") {
  for (const Json& c : fixture().at("segmentation").items()) {
    const std::string name = c.at("name").as_string();
    INFO("case " << name);
    const int K = int(c.at("num_classes").as_int());
    const std::vector<uint8_t> gt = labels_of(c.at("gt")), pred = labels_of(c.at("pred"));
    REQUIRE(gt.size() == pred.size());
    ConfusionMatrix cm(K, int(c.at("ignore").as_int()));
    cm.add(gt.data(), pred.data(), int64_t(gt.size()));
    for (int g = 0; g < K; ++g)
      for (int p = 0; p < K; ++p) {
        INFO("gt " << g << " pred " << p);
        CHECK(int64_t(cm.at(g, p)) == c.at("confusion").items()[size_t(g)].items()[size_t(p)].as_int());
      }
    check_score(cm.pixel_accuracy(), c.at("pixel_acc"), 1e-12, "pixel accuracy");
    check_score(cm.class_accuracy(), c.at("class_acc"), 1e-12, "class accuracy");
    check_score(cm.miou(), c.at("miou"), 1e-12, "mIoU");
    check_score(cm.fwiou(), c.at("fwiou"), 1e-12, "FWIoU");
    const std::vector<double> iou = cm.iou();
    for (int k = 0; k < K; ++k) check_score(iou[size_t(k)], c.at("iou").items()[size_t(k)], 1e-12, "IoU of class " + std::to_string(k));
    const Json& shape = c.at("shape");  // (N,H,W)
    const int64_t views = shape.items()[0].as_int(), pixels = shape.items()[1].as_int() * shape.items()[2].as_int();
    REQUIRE(int64_t(c.at("view_miou").size()) == views);
    for (int64_t v = 0; v < views; ++v)
      check_score(view_miou(gt.data() + v * pixels, pred.data() + v * pixels, pixels, K, int(c.at("ignore").as_int())),
                  c.at("view_miou").items()[size_t(v)], 1e-12, "mIoU of view " + std::to_string(v));
  }
}

TEST_CASE("PSNR and SSIM match scikit-image's on the fixture images") {
  for (const Json& c : fixture().at("images").items()) {
    INFO("case " << c.at("name").as_string());
    Tensor a = image_from_codes(c.at("shape"), c.at("a")), b = image_from_codes(c.at("shape"), c.at("b"));
    check_score(psnr(a, b), c.at("psnr"), 1e-10, "PSNR");
    check_score(ssim(a, b), c.at("ssim"), 1e-10, "SSIM");
  }
}
