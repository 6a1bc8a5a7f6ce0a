// The config field tables: every key round-trips through JSON and --set, table and struct agree,
// bad values (zero heads, 1e300, 2^32 + 16, huge widths) are errors naming the file or flag and
// the key, and canonical() reads the shipped weights' configs as before.
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "data/folder.h"
#include "engine/error.h"
#include "engine/safetensors.h"
#include "models/networks.h"
#include "models/ulrnet.h"
#include "train/config.h"
#include "ulrseg/ulrseg.h"

using namespace ulr;

namespace {

// A value for every model key, none its default, in table order: valid together, and each valid
// with the other keys at their defaults.
const char* kEveryModelKey =
    R"({"in_h":8,"in_w":12,"scale":2,"num_classes":5,"g_channels":32,"g_blocks":1,"g_heads":2,)"
    R"("g_up_channels":[12,8],"s_channels":[8,16,24,40],"s_heads":8,"s_groups":8,"d_channels":[8]})";

// The same for every training key (floats exact in binary, so the text reads back unchanged).
std::string every_train_key() {
  return std::string(R"({"method":"fjl1","model":)") + kEveryModelKey +
         R"(,"data":"my/folder","data_seed":7,"seed":9,"train_views":64,"val_views":32,)"
         R"("sensor":"bicubic","sensor_noise":0.5,"augment":false,"batch":8,"stage1_steps":10,)"
         R"("steps":20,"lr":0.25,"lr_d":0.125,"g_lr_scale":0.5,"weight_decay":0.0625,"beta1":0.75,)"
         R"("beta2":0.875,"clip_norm":2,"warmup":3,"schedule":"constant","eval_every":4,)"
         R"("lambda_mse":1.5,"lambda_fea":0.5,"lambda_adv":0.25,"alpha":0.5,"use_afe":false,)"
         R"("use_sad":false,"sad_real_tau":0.5,"sad_fake":"hard","teacher":"hr.safetensors","micro_batches":2})";
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string model_error(const std::string& json) {
  return error_of([&] { ModelConfig::from_json(Json::parse(json), "w.safetensors"); });
}

std::string train_error(const std::string& json) {
  return error_of([&] { TrainConfig::from_json(Json::parse(json), "cfg.json"); });
}

std::string set_error(const std::string& assignment) {
  try {
    TrainConfig c;
    c.set(assignment);
  } catch (const UsageError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("not a UsageError: ") + e.what();
  }
  return "";
}

// For each key: a config that sets only that key differs from the defaults in that key only.
template <class Config, class Field, size_t N>
void check_each_key_alone(const Field (&table)[N], const Json& every) {
  const Json defaults = Config().to_json();
  for (const Field& f : table) {
    CAPTURE(f.name);
    Json one = Json::object();
    one.set(f.name, every.at(f.name));
    Json got = Config::from_json(one, "one key").to_json();
    for (const Field& g : table)
      CHECK(got.at(g.name).dump() == (g.name == f.name ? every : defaults).at(g.name).dump());
  }
}

}  // namespace

TEST_CASE("config tables: one row per struct member, keys unique, help for each") {
  struct Three {
    int a;
    std::string b;
    std::vector<int> c;
  };
  static_assert(member_count<Three>() == 3);
  CHECK(std::size(kModelFields) == 12);
  CHECK(std::size(kTrainFields) == 33);
  CHECK(member_count<ModelConfig>() == std::size(kModelFields));
  CHECK(member_count<TrainConfig>() == std::size(kTrainFields));
  std::vector<std::string> names;
  for (const auto& f : kModelFields) names.push_back(std::string("model.") + f.name);
  for (const auto& f : kTrainFields) names.push_back(f.name);
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = i + 1; j < names.size(); ++j) CHECK(names[i] != names[j]);
  // --help lists every key but "model" itself, each with its default and range.
  const std::string help = TrainConfig::keys_help();
  for (const std::string& n : names)
    if (n != "model") CHECK_MESSAGE(help.find("  " + n + " ") != std::string::npos, n);
  CHECK(help.find("  model.g_heads        4              [1, 64]") != std::string::npos);
  CHECK(help.find("  lr                   0.001          [0, 10]") != std::string::npos);
  CHECK(help.find("  sensor               \"area\"         area | bicubic") != std::string::npos);
}

TEST_CASE("config tables: every key round-trips through from_json and to_json") {
  const Json model = Json::parse(kEveryModelKey);
  for (const auto& f : kModelFields) CHECK_MESSAGE(model.has(f.name), f.name);  // a new key needs a value above
  CHECK(ModelConfig::from_json(model, "m").to_json().dump() == model.dump());
  check_each_key_alone<ModelConfig>(kModelFields, model);

  const Json train = Json::parse(every_train_key());
  for (const auto& f : kTrainFields) CHECK_MESSAGE(train.has(f.name), f.name);
  TrainConfig c = TrainConfig::from_json(train, "t");
  CHECK(c.to_json().dump() == train.dump());
  CHECK(c.sensor == SensorMode::Bicubic);
  CHECK(c.schedule == Schedule::Constant);
  CHECK(c.sad_fake == SadFake::Hard);
  CHECK(c.method == Method::Fjl1);
  check_each_key_alone<TrainConfig>(kTrainFields, train);
}

TEST_CASE("config tables: every key round-trips through --set") {
  const Json train = Json::parse(every_train_key());
  TrainConfig c;
  for (const auto& f : kTrainFields) {
    if (std::string(f.name) == "model") continue;
    const Json& v = train.at(f.name);
    c.set(std::string(f.name) + "=" + (v.is_string() ? v.as_string() : v.dump()));  // bare words are strings
  }
  for (const auto& f : kModelFields) c.set(std::string("model.") + f.name + "=" + train.at("model").at(f.name).dump());
  CHECK(c.to_json().dump() == train.dump());
}

TEST_CASE("config enums: each value's name reads back; others are errors listing the names") {
  for (Method m : {Method::Joint, Method::Fjl1, Method::Mmt1, Method::Hr, Method::Pp1, Method::Pp2, Method::Mmt2})
    CHECK(parse_method(method_name(m), "x") == m);
  for (Schedule s : {Schedule::Cosine, Schedule::Constant}) CHECK(parse_enum<Schedule>(value_json(s), "x") == s);
  for (SadFake s : {SadFake::Soft, SadFake::Hard}) CHECK(parse_enum<SadFake>(value_json(s), "x") == s);
  for (SensorMode s : {SensorMode::Area, SensorMode::Bicubic}) CHECK(parse_enum<SensorMode>(value_json(s), "x") == s);
  CHECK(train_error(R"({"schedule":"linear"})") == "cfg.json: schedule: expected cosine or constant, got \"linear\"");
  CHECK(train_error(R"({"sad_fake":1})") == "cfg.json: sad_fake: expected soft or hard, got 1");
  CHECK(train_error(R"({"method":"magic"})") == "cfg.json: method: expected joint, fjl1, mmt1, hr, pp1, pp2 or mmt2, got \"magic\"");
}

TEST_CASE("config: zero heads or groups are range errors, not a division by zero") {
  CHECK(model_error(R"({"g_heads":0})") == "w.safetensors: model.g_heads: expected an integer in [1, 64], got 0");
  CHECK(model_error(R"({"s_heads":0})") == "w.safetensors: model.s_heads: expected an integer in [1, 64], got 0");
  CHECK(model_error(R"({"s_groups":0})") == "w.safetensors: model.s_groups: expected an integer in [1, 64], got 0");
  CHECK(set_error("model.g_heads=0") == "--set: model.g_heads: expected an integer in [1, 64], got 0");
  // A config built in code is checked the same way before a network divides by it.
  ModelConfig c;
  c.s_groups = 0;
  CHECK(error_of([&] { c.validate("SegNet"); }) == "SegNet: model.s_groups: expected an integer in [1, 64], got 0");
  Rng rng(1);
  CHECK(error_of([&] { SegNet s(c, rng); }) ==
        "SegNet: model.s_groups: expected an integer in [1, 64], got 0");
  // Sizes that do not fit together, once each is in range.
  CHECK(model_error(R"({"g_channels":50})") == "w.safetensors: model config: g_channels (50) must be divisible by g_heads (4)");
  CHECK(model_error(R"({"s_heads":5})") == "w.safetensors: model config: s_channels[3] must be divisible by s_heads (5)");
  CHECK(model_error(R"({"s_groups":3})") == "w.safetensors: model config: s_channels must be multiples of s_groups (3)");
  CHECK(model_error(R"({"d_channels":[]})") == "w.safetensors: model config: d_channels needs 1 to 8 widths");
  CHECK(model_error(R"({"d_channels":[1,1,1,1,1,1,1,1,1]})") == "w.safetensors: model config: d_channels needs 1 to 8 widths");
}

TEST_CASE("config: integers must be integral, finite and in range before they are converted") {
  CHECK(model_error(R"({"g_channels":4294967312})") ==
        "w.safetensors: model.g_channels: expected an integer in [4, 512], got 4294967312");
  CHECK(set_error("model.g_channels=4294967312") ==
        "--set: model.g_channels: expected an integer in [4, 512], got 4294967312");
  CHECK(model_error(R"({"g_channels":1e300})") == "w.safetensors: model.g_channels: expected an integer in [4, 512], got 1e+300");
  CHECK(model_error(R"({"g_channels":-1e300})") == "w.safetensors: model.g_channels: expected an integer in [4, 512], got -1e+300");
  CHECK(model_error(R"({"g_channels":1e6})") == "w.safetensors: model.g_channels: expected an integer in [4, 512], got 1000000");
  CHECK(model_error(R"({"g_channels":48.5})") == "w.safetensors: model.g_channels: expected an integer in [4, 512], got 48.5");
  CHECK(model_error(R"({"g_channels":"48"})") == "w.safetensors: model.g_channels: expected an integer in [4, 512], got \"48\"");
  CHECK(model_error(R"({"s_channels":[16,32,1e300,96]})") ==
        "w.safetensors: model.s_channels[2]: expected an integer in [1, 512], got 1e+300");
  CHECK(model_error(R"({"d_channels":16})") == "w.safetensors: model.d_channels: expected a list of integers in [1, 512], got 16");
  CHECK(model_error(R"({"g_chanels":8})") == "w.safetensors: unknown key 'model.g_chanels'");
  CHECK(train_error(R"({"steps":1e300})") == "cfg.json: steps: expected an integer in [0, 100000000], got 1e+300");
  CHECK(train_error(R"({"seed":1e300})") == "cfg.json: seed: expected an integer in [0, 2147483647], got 1e+300");
  CHECK(train_error(R"({"seed":-1})") == "cfg.json: seed: expected an integer in [0, 2147483647], got -1");
  CHECK(train_error(R"({"model":{"g_heads":1e300}})") == "cfg.json: model.g_heads: expected an integer in [1, 64], got 1e+300");
  CHECK(train_error(R"({"lr":1e300})") == "cfg.json: lr: expected a number in [0, 10], got 1e+300");
  // 0.999999999 would become the float 1 (Adam's bias correction then divides by zero).
  CHECK(train_error(R"({"beta2":0.999999999})") == "cfg.json: beta2: expected a number in [0, 0.9999999], got 0.999999999");
  CHECK(train_error(R"({"augment":1})") == "cfg.json: augment: expected true or false, got 1");
  CHECK(train_error(R"({"batch":32,"train_views":16})") == "cfg.json: train_views (16) must be at least batch (32)");
  CHECK(set_error("stpes=3") == "--set: unknown key 'stpes'");
  CHECK(set_error("model.g_chanels=3") == "--set: unknown key 'model.g_chanels'");
  CHECK(set_error("steps=1e300") == "--set: steps: expected an integer in [0, 100000000], got 1e+300");

  // The one JSON check behind them, also used by the folder dataset's manifest.
  CHECK(Json(255.0).is_integer_in(0, 255));
  CHECK(!Json(255.5).is_integer_in(0, 255));
  CHECK(!Json(1e300).is_integer_in(0, 255));
  CHECK(!Json(4294967312.0).is_integer_in(0, 2147483647));
  CHECK(!Json("1").is_integer_in(0, 255));
  const std::string manifest = R"({"format":"ulrseg-folder","version":1,"classes":["a","b"],"ignore_index":1e300,"splits":{}})";
  CHECK(error_of([&] { parse_manifest(Json::parse(manifest), "d/dataset.json"); }) ==
        "d/dataset.json: \"ignore_index\" must be an integer in [0, 255], got 1e+300");
}

TEST_CASE("a weights file whose model config has zero heads is refused, naming the file and key") {
  ModelConfig small;
  small.g_channels = 8, small.g_blocks = 1, small.g_heads = 2, small.g_up_channels = {8, 8, 8};
  small.s_channels = {8, 8, 8, 8}, small.s_heads = 2, small.s_groups = 4, small.d_channels = {8};
  const std::string path = "/tmp/ulrseg_test_config_heads0.safetensors";
  ULRNet(Method::Joint, small, 3).save(path, {});
  SafetensorsWriter w;
  w.add_file(SafetensorsFile::read(path));
  Json model = small.to_json();
  model.set("g_heads", 0);
  w.set_metadata("model", model.dump());
  w.write(path);
  const std::string expected = path + ": model.g_heads: expected an integer in [1, 64], got 0";
  CHECK(error_of([&] { ULRNet::load(path); }) == expected);
  try {
    ulrseg::Segmenter seg(path);
    FAIL("Segmenter loaded weights with g_heads 0");
  } catch (const ulrseg::Error& e) {
    CHECK(std::string(e.what()) == expected);
  }
  std::remove(path.c_str());
}

TEST_CASE("canonical: the shipped weights' train_config reads as before") {
  auto stored = [](const std::string& name) {
    return SafetensorsFile::read(std::string(ULRSEG_SOURCE_DIR "/weights/") + name).metadata().at("train_config");
  };
  // Written before micro_batches only: canonical is the text with that key's default added.
  const std::string joint = stored("ulrnet-joint-16x16.safetensors");
  Json joint_now = Json::parse(joint);
  joint_now.set("micro_batches", 1);
  CHECK(TrainConfig::canonical(joint, "joint").dump() == joint_now.dump());
  // Written before g_lr_scale, sad_real_tau and sad_fake: they take their defaults, in table order.
  const std::string hr = stored("ulrnet-hr-64x64.safetensors");
  CHECK(hr.find("sad_fake") == std::string::npos);
  CHECK(TrainConfig::canonical(hr, "hr").dump() ==
        R"({"method":"hr","model":{"in_h":16,"in_w":16,"scale":4,"num_classes":14,"g_channels":48,"g_blocks":2,)"
        R"("g_heads":4,"g_up_channels":[24,16,16],"s_channels":[16,32,64,96],"s_heads":4,"s_groups":4,)"
        R"("d_channels":[16,32,64]},"data":"synthetic","data_seed":1,"seed":1,"train_views":8000,)"
        R"("val_views":300,"sensor":"area","sensor_noise":0,"augment":true,"batch":16,"stage1_steps":400,)"
        R"("steps":3400,"lr":0.0020000000949949026,"lr_d":0.00019999999494757503,"g_lr_scale":1,)"
        R"("weight_decay":0,"beta1":0.8999999761581421,"beta2":0.9990000128746033,"clip_norm":5,)"
        R"("warmup":100,"schedule":"cosine","eval_every":400,"lambda_mse":0.5,)"
        R"("lambda_fea":0.009999999776482582,"lambda_adv":0.009999999776482582,"alpha":0.30000001192092896,)"
        R"("use_afe":true,"use_sad":true,"sad_real_tau":1,"sad_fake":"soft","teacher":"","micro_batches":1})");
  for (const char* name : {"ulrnet-fjl1-16x16.safetensors", "ulrnet-mmt1-16x16.safetensors"}) {
    CAPTURE(name);
    const Json text = Json::parse(stored(name));
    const Json canonical = TrainConfig::canonical(text.dump(), name);
    CHECK(TrainConfig::canonical(canonical.dump(), name).dump() == canonical.dump());  // a fixed point
    for (const auto& [key, value] : text.members()) CHECK(canonical.at(key).dump() == value.dump());
  }
}
