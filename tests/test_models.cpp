// Models: shapes, cost budget, weights round trip and every bad-weights case.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "engine/fileio.h"
#include "engine/safetensors.h"
#include "gradcheck.h"
#include "models/ulrnet.h"

using namespace ulr;

static std::string temp_path(const std::string& name) { return "/tmp/ulrseg_test_models_" + name; }

static ModelConfig tiny_config() {
  ModelConfig c;
  c.g_channels = 8, c.g_blocks = 1, c.g_heads = 2, c.g_up_channels = {8, 8, 8};
  c.s_channels = {8, 8, 8, 8}, c.s_heads = 2, c.s_groups = 4, c.d_channels = {8};
  return c;
}

TEST_CASE("default model: shapes and the 300 MFLOP budget") {
  ModelConfig cfg;
  ULRNet net(Method::Joint, cfg, 1);
  Trace trace;
  NoGrad ng;
  Rng rng(1);
  ULRNetOutput out = net.forward(Tensor::uniform({2, 3, 16, 16}, rng, 0, 1), &trace);
  CHECK(out.sr.shape() == Shape{2, 3, 64, 64});
  CHECK(out.logits.shape() == Shape{2, 14, 64, 64});
  // Per frame: the trace ran on 2 frames.
  double mflop = double(trace.total_flops()) / 2 / 1e6;
  MESSAGE("G+S forward: " << mflop << " MFLOP per frame, " << net.num_parameters() << " parameters");
  CHECK(mflop <= 300.0);
  CHECK(mflop >= 100.0);  // the trace counts every conv: a sanity floor

  SegAwareDiscriminator d(cfg, rng);
  Tensor logit = d.forward(out.sr, softmax(out.logits, 1), true);
  CHECK(logit.shape() == Shape{2, 1});
}

static const LayerRecord& find_record(const Trace& trace, const std::string& name) {
  for (const LayerRecord& l : trace.layers)
    if (l.name == name) return l;
  FAIL("no trace record " << name);
  return trace.layers.front();
}

TEST_CASE("trace records carry typed fields; the label is built from them") {
  ModelConfig cfg;
  ULRNet net(Method::Joint, cfg, 1);
  Trace trace;
  NoGrad ng;
  Rng rng(1);
  net.forward(Tensor::uniform({1, 3, 16, 16}, rng, 0, 1), &trace);
  const LayerRecord& down = find_record(trace, "s.down1");  // 3x3 stride-2 conv, 16 -> 32 ch
  CHECK(down.kind == LayerKind::Conv2d);
  CHECK(!down.spectral);
  CHECK(down.kernel == 3);
  CHECK(down.conv.stride == 2);
  CHECK(down.conv.pad == 1);
  CHECK(down.conv.dilation == 1);
  CHECK(down.conv.groups == 1);
  CHECK(down.in == Shape{1, 16, 64, 64});
  CHECK(down.out == Shape{1, 32, 32, 32});
  CHECK(down.params == 32 * 16 * 9 + 32);
  CHECK(down.flops == 2 * 32 * 32 * 32 * 16 * 9);
  CHECK(down.label() == "conv 3x3/2");
  CHECK(find_record(trace, "s.up3").label() == "conv 1x1");
  const LayerRecord& norm = find_record(trace, "s.down1_norm");
  CHECK(norm.kind == LayerKind::GroupNorm);
  CHECK(norm.norm_groups == cfg.s_groups);
  CHECK(norm.in == Shape{1, 32, 32, 32});
  CHECK(norm.label() == "group_norm");
  const LayerRecord& attention = find_record(trace, "g.attention");
  CHECK(attention.kind == LayerKind::Attention);
  CHECK(attention.heads == cfg.g_heads);
  CHECK(attention.in == Shape{1, 48, 16, 16});
  CHECK(attention.label() == "attention 256tok");
  const LayerRecord& shuffle = find_record(trace, "g.up.0.shuffle");
  CHECK(shuffle.kind == LayerKind::PixelShuffle);
  CHECK(shuffle.in == Shape{1, 96, 16, 16});
  CHECK(shuffle.out == Shape{1, 24, 32, 32});
  CHECK(shuffle.label() == "pixel_shuffle");
  // The table shows the label; its line for a layer is fixed.
  CHECK(trace.table().find("\ns.down1                      conv 3x3/2         [1,32,32,32]       "
                           "      4640       9.44\n") != std::string::npos);

  Trace dt;
  SegAwareDiscriminator d(cfg, rng);
  d.forward(Tensor::zeros({1, 3, 64, 64}), Tensor::zeros({1, 14, 64, 64}), false, &dt);
  const LayerRecord& sn = find_record(dt, "d.blocks.0.conv2");
  CHECK(sn.spectral);
  CHECK(sn.conv.stride == 2);
  CHECK(sn.label() == "conv 3x3/2 sn");
  CHECK(find_record(dt, "d.fc").label() == "linear sn");
  CHECK(find_record(dt, "d.fc").in == Shape{1, cfg.d_channels.back()});

  ParamStore store;
  Conv2dLayer grouped(store, "grouped", 8, 8, 3, 1, 1, rng, /*with_bias=*/false, /*groups=*/4);
  Trace gt;
  grouped(Tensor::zeros({1, 8, 6, 6}), &gt);
  CHECK(gt.layers[0].conv.groups == 4);
  CHECK(gt.layers[0].params == 8 * 2 * 9);
  CHECK(gt.layers[0].label() == "conv 3x3 g4");
}

TEST_CASE("spatial attention rejects a map of the wrong rank or width, naming the layer") {
  Rng rng(4);
  ParamStore store;
  SpatialAttention attention(store, "g.attention", 8, 2, rng);
  CHECK_THROWS_WITH(attention(Tensor::zeros({1, 8, 16}), nullptr),
                    "g.attention: input has shape [1,8,16], expected (N,8,H,W)");
  CHECK_THROWS_WITH(attention(Tensor::zeros({1, 4, 4, 4}), nullptr),
                    "g.attention: input has shape [1,4,4,4], expected (N,8,H,W)");
}

TEST_CASE("every scale and method builds and runs") {
  Rng rng(2);
  for (int scale : {2, 4, 8}) {
    ModelConfig cfg = tiny_config();
    cfg.scale = scale;
    cfg.in_h = 8, cfg.in_w = 12;
    for (Method m : {Method::Joint, Method::Fjl1, Method::Mmt1}) {
      ULRNet net(m, cfg, 3);
      NoGrad ng;
      ULRNetOutput out = net.forward(Tensor::uniform({1, 3, 8, 12}, rng, 0, 1));
      CHECK(out.logits.shape() == Shape{1, 14, 8 * scale, 12 * scale});
    }
  }
  ULRNet hr(Method::Hr, tiny_config(), 3);
  CHECK_THROWS_WITH(hr.s().forward(Tensor::zeros({1, 3, 60, 64})),
                    doctest::Contains("multiples of 8"));
  ULRNet joint(Method::Joint, tiny_config(), 3);
  CHECK_THROWS_WITH(joint.forward(Tensor::zeros({1, 3, 32, 32})), doctest::Contains("model expects [N,3,16,16]"));
}

TEST_CASE("gradients reach every parameter of G, S and the SAD") {
  Rng rng(3);
  ModelConfig cfg = tiny_config();
  ULRNet net(Method::Joint, cfg, 4);
  Rng drng(5);
  SegAwareDiscriminator d(cfg, drng);
  ULRNetOutput out = net.forward(Tensor::uniform({2, 3, 16, 16}, rng, 0, 1));
  Tensor loss = add(mean(out.logits), mean(d.forward(out.sr, softmax(out.logits, 1), true)));
  backward(loss);
  for (const Tensor& p : net.parameters()) CHECK(p.has_grad());
  for (const Tensor& p : d.params().parameters()) CHECK(p.has_grad());
}

TEST_CASE("weights round trip: same outputs after save and load") {
  Rng rng(6);
  ModelConfig cfg = tiny_config();
  ULRNet net(Method::Joint, cfg, 7);
  const std::string path = temp_path("roundtrip.safetensors");
  net.save(path, {{"command", "test"}});
  std::unique_ptr<ULRNet> back = ULRNet::load(path);
  CHECK(back->method() == Method::Joint);
  CHECK(back->metadata().at("command") == "test");
  CHECK(back->metadata().at("input_size") == "16x16");
  Tensor x = Tensor::uniform({1, 3, 16, 16}, rng, 0, 1);
  NoGrad ng;
  ULRNetOutput a = net.forward(x), b = back->forward(x);
  CHECK(std::equal(a.logits.data(), a.logits.data() + a.logits.numel(), b.logits.data()));
  std::remove(path.c_str());
}

TEST_CASE("bad weights files are rejected with one clear line") {
  ModelConfig cfg = tiny_config();
  ULRNet net(Method::Joint, cfg, 8);
  const std::string path = temp_path("bad.safetensors");

  SUBCASE("not safetensors") {
    const char junk[] = "this is not a weights file at all";
    write_file_atomic(path, junk, sizeof junk);
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains((path + ":").c_str()));
  }
  SUBCASE("a missing tensor") {
    SafetensorsWriter w;
    net.add_to(w);
    SafetensorsFile f = SafetensorsFile::parse(w.serialize(), "x");
    SafetensorsWriter w2;
    for (const SafetensorsEntry& e : f.entries())
      if (e.name != "s.head.weight") w2.add(e.name, f.tensor(e.name));
    for (auto& [k, v] : std::map<std::string, std::string>{{"format", "ulrseg-weights"}, {"version", "1"},
                                                          {"method", "joint"}, {"model", cfg.to_json().dump()}})
      w2.set_metadata(k, v);
    w2.write(path);
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains("\"s.head.weight\""));
  }
  SUBCASE("a tensor of the wrong shape") {
    ModelConfig wider = cfg;
    wider.g_channels = 16;
    ULRNet other(Method::Joint, wider, 8);
    SafetensorsWriter w;
    other.add_to(w);
    w.set_metadata("format", "ulrseg-weights");
    w.set_metadata("version", "1");
    w.set_metadata("method", "joint");
    w.set_metadata("model", cfg.to_json().dump());  // claims the narrower model
    w.write(path);
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains("g.stem.weight"));
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains("[16,3,3,3]"));
  }
  SUBCASE("wrong class count") {
    ModelConfig c20 = cfg;
    c20.num_classes = 20;
    ULRNet other(Method::Joint, c20, 8);
    other.save(path, {});
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains("20 classes"));
  }
  SUBCASE("unknown method and unknown model key") {
    SafetensorsWriter w;
    net.add_to(w);
    w.set_metadata("format", "ulrseg-weights");
    w.set_metadata("version", "1");
    w.set_metadata("method", "magic");
    w.set_metadata("model", cfg.to_json().dump());
    w.write(path);
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains(": method: expected joint, fjl1, mmt1, hr, pp1, pp2 or mmt2, got \"magic\""));
    Json m = cfg.to_json();
    m.set("g_chanels", 3);
    w.set_metadata("method", "joint");
    w.set_metadata("model", m.dump());
    w.write(path);
    CHECK_THROWS_WITH(ULRNet::load(path), doctest::Contains("unknown key 'model.g_chanels'"));
  }
  SUBCASE("missing file") {
    CHECK_THROWS_WITH(ULRNet::load(temp_path("absent.safetensors")), doctest::Contains("absent.safetensors"));
  }
  std::remove(path.c_str());
}
