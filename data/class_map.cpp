#include "data/class_map.h"

#include "data/classes.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"
#include "engine/printable.h"

namespace ulr {
namespace {

// SceneNet's NYU-40 -> 13 mapping, entry k-1 for NYU-40 class k (1 wall, 2 floor, 3 cabinet,
// 4 bed, 5 chair, 6 sofa, 7 table, 8 door, 9 window, 10 bookshelf, 11 picture, 12 counter,
// 13 blinds, 14 desk, 15 shelves, 16 curtain, 17 dresser, 18 pillow, 19 mirror, 20 floor mat,
// 21 clothes, 22 ceiling, 23 books, 24 fridge, 25 tv, 26 paper, 27 towel, 28 shower curtain,
// 29 box, 30 whiteboard, 31 person, 32 night stand, 33 toilet, 34 sink, 35 lamp, 36 bathtub,
// 37 bag, 38 other structure, 39 other furniture, 40 other prop). The 13 ids are ulrseg's:
// 1 bed, 2 books, 3 ceiling, 4 chair, 5 floor, 6 furniture, 7 objects, 8 picture, 9 sofa,
// 10 table, 11 tv, 12 wall, 13 window.
constexpr uint8_t kNyu40To13[40] = {
    12, 5, 6, 1, 4, 9, 10, 12, 13, 6, 8, 6, 13, 10, 6, 13, 6, 7, 7, 5,
    7,  3, 2, 6, 11, 7, 7, 7, 7, 7, 7, 6, 7, 7, 7, 7, 7, 7, 6, 7,
};

// classMapping40.mat's mapClass: entry k-1 is the NYU-40 class of NYUv2 object label k.
constexpr uint8_t kNyu894To40[894] = {
    40, 40,  3, 22,  5, 40, 12, 38, 40, 40,  2, 39, 40, 40, 26, 40, 24, 40,  7, 40,  1, 40, 40, 34, 38,
    29, 40,  8, 40, 40, 40, 40, 38, 40, 40, 14, 40, 38, 40, 40, 40, 15, 39, 40, 30, 40, 40, 39, 40, 39,
    38, 40, 38, 40, 37, 40, 38, 38,  9, 40, 40, 38, 40, 11, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 38, 13, 40, 40,  6, 40, 23, 40, 39, 10, 16, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 38, 40, 39, 40, 40, 40, 40, 39, 38, 40, 40, 40, 40, 40, 40, 18, 40, 40, 19, 28, 33, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 38, 27, 36, 40, 40, 40, 40, 21, 40, 20, 35, 40, 40, 40, 40, 40, 40,
    40, 40, 38, 40, 40, 40,  4, 32, 40, 40, 39, 40, 39, 40, 40, 40, 40, 40, 17, 40, 40, 25, 40, 39, 40,
    40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 38, 38, 40, 40, 39, 40, 39, 40, 38, 39, 38,
    40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 38, 40, 40, 38, 38, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 40, 38, 40, 40, 39, 40, 40,
    38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 31, 40, 40, 40, 40, 40, 40, 40, 38, 40, 40, 38, 39, 39, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 38, 40, 39, 40, 40, 39, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 38, 39, 40, 40,
    40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 38, 39, 40, 40, 40, 40, 40, 40, 40,
    39, 40, 40, 40, 40, 40, 40, 38, 40, 40, 40, 38, 40, 39, 40, 40, 40, 39, 39, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 39, 40, 40, 39, 39, 40, 40,
    40, 40, 38, 40, 40, 38, 39, 39, 40, 39, 40, 39, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39,
    40, 38, 40, 39, 40, 40, 40, 40, 40, 39, 39, 40, 40, 40, 40, 40, 40, 39, 39, 40, 40, 38, 39, 39, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 39, 39, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 39, 40, 40, 39, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 38, 40, 40, 40, 40, 40, 40, 40, 39, 38,
    39, 40, 38, 39, 40, 39, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 38, 40, 40,
    39, 40, 40, 40, 39, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40, 40, 39, 38, 40, 40, 38, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39,
    40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 38, 40, 40, 38, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40, 38, 38, 38, 40, 40, 40, 38, 40, 40, 40, 38, 38, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 38,
    40, 38, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 39, 40, 40, 40,
    40, 38, 38, 40, 40, 40, 38, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 39,
    40, 40, 39, 39, 40, 40, 40, 40, 40, 40, 40, 40, 39, 39, 39, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40,
    40, 40, 40, 39, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 38,
    40, 40, 40, 40, 40, 40, 40, 39, 40, 40, 38, 40, 39, 40, 40, 40, 40, 38, 40, 40, 40, 40, 40, 38, 40,
    40, 40, 40, 40, 40, 40, 39, 40, 40, 40, 40, 40, 40, 40, 40, 40, 39, 40, 40,
};

// splits.mat's testNdxs: the 1-based indices of NYUv2's official test images, ascending.
constexpr int16_t kNyuTestIndices[654] = {
       1,    2,    9,   14,   15,   16,   17,   18,   21,   28,   29,   30,   31,   32,   33,   34,   35,
      36,   37,   38,   39,   40,   41,   42,   43,   46,   47,   56,   57,   59,   60,   61,   62,   63,
      76,   77,   78,   79,   84,   85,   86,   87,   88,   89,   90,   91,  117,  118,  119,  125,  126,
     127,  128,  129,  131,  132,  133,  134,  137,  153,  154,  155,  167,  168,  169,  171,  172,  173,
     174,  175,  176,  180,  181,  182,  183,  184,  185,  186,  187,  188,  189,  190,  191,  192,  193,
     194,  195,  196,  197,  198,  199,  200,  201,  202,  207,  208,  209,  210,  211,  212,  220,  221,
     222,  250,  264,  271,  272,  273,  279,  280,  281,  282,  283,  284,  285,  296,  297,  298,  299,
     300,  301,  302,  310,  311,  312,  315,  316,  317,  325,  326,  327,  328,  329,  330,  331,  332,
     333,  334,  335,  351,  352,  355,  356,  357,  358,  359,  360,  361,  362,  363,  364,  384,  385,
     386,  387,  388,  389,  390,  395,  396,  397,  411,  412,  413,  414,  430,  431,  432,  433,  434,
     435,  441,  442,  443,  444,  445,  446,  447,  448,  462,  463,  464,  465,  466,  469,  470,  471,
     472,  473,  474,  475,  476,  477,  508,  509,  510,  511,  512,  513,  515,  516,  517,  518,  519,
     520,  521,  522,  523,  524,  525,  526,  531,  532,  533,  537,  538,  539,  549,  550,  551,  555,
     556,  557,  558,  559,  560,  561,  562,  563,  564,  565,  566,  567,  568,  569,  570,  571,  579,
     580,  581,  582,  583,  591,  592,  593,  594,  603,  604,  605,  606,  607,  612,  613,  617,  618,
     619,  620,  621,  633,  634,  635,  636,  637,  638,  644,  645,  650,  651,  656,  657,  658,  663,
     664,  668,  669,  670,  671,  672,  673,  676,  677,  678,  679,  680,  681,  686,  687,  688,  689,
     690,  693,  694,  697,  698,  699,  706,  707,  708,  709,  710,  711,  712,  713,  717,  718,  724,
     725,  726,  727,  728,  731,  732,  733,  734,  743,  744,  759,  760,  761,  762,  763,  764,  765,
     766,  767,  768,  769,  770,  771,  772,  773,  774,  775,  776,  777,  778,  779,  780,  781,  782,
     783,  784,  785,  786,  787,  800,  801,  802,  803,  804,  810,  811,  812,  813,  814,  821,  822,
     823,  833,  834,  835,  836,  837,  838,  839,  840,  841,  842,  843,  844,  845,  846,  850,  851,
     852,  857,  858,  859,  860,  861,  862,  869,  870,  871,  906,  907,  908,  917,  918,  919,  926,
     927,  928,  932,  933,  934,  935,  945,  946,  947,  959,  960,  961,  962,  965,  966,  967,  970,
     971,  972,  973,  974,  975,  976,  977,  991,  992,  993,  994,  995, 1001, 1002, 1003, 1004, 1010,
    1011, 1012, 1021, 1022, 1023, 1032, 1033, 1034, 1038, 1039, 1048, 1049, 1052, 1053, 1057, 1058, 1075,
    1076, 1077, 1078, 1079, 1080, 1081, 1082, 1083, 1084, 1088, 1089, 1090, 1091, 1092, 1093, 1094, 1095,
    1096, 1098, 1099, 1100, 1101, 1102, 1103, 1104, 1106, 1107, 1108, 1109, 1117, 1118, 1119, 1123, 1124,
    1125, 1126, 1127, 1128, 1129, 1130, 1131, 1135, 1136, 1144, 1145, 1146, 1147, 1148, 1149, 1150, 1151,
    1152, 1153, 1154, 1155, 1156, 1157, 1158, 1162, 1163, 1164, 1165, 1166, 1167, 1170, 1171, 1174, 1175,
    1176, 1179, 1180, 1181, 1182, 1183, 1184, 1192, 1193, 1194, 1195, 1196, 1201, 1202, 1203, 1204, 1205,
    1206, 1207, 1208, 1209, 1210, 1211, 1212, 1216, 1217, 1218, 1219, 1220, 1226, 1227, 1228, 1229, 1230,
    1233, 1234, 1235, 1247, 1248, 1249, 1250, 1254, 1255, 1256, 1257, 1258, 1259, 1260, 1261, 1262, 1263,
    1264, 1265, 1275, 1276, 1277, 1278, 1279, 1280, 1285, 1286, 1287, 1288, 1289, 1290, 1291, 1292, 1293,
    1294, 1295, 1297, 1298, 1299, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1314, 1315, 1329, 1330, 1331,
    1332, 1335, 1336, 1337, 1338, 1339, 1340, 1347, 1348, 1349, 1353, 1354, 1355, 1356, 1364, 1365, 1368,
    1369, 1384, 1385, 1386, 1387, 1388, 1389, 1390, 1391, 1394, 1395, 1396, 1397, 1398, 1399, 1400, 1401,
    1407, 1408, 1409, 1410, 1411, 1412, 1413, 1414, 1421, 1422, 1423, 1424, 1430, 1431, 1432, 1433, 1441,
    1442, 1443, 1444, 1445, 1446, 1447, 1448, 1449,
};

ClassMap make_map(const char* source, int values, Unlabelled unlabelled) {
  ClassMap m;
  m.source = source;
  m.target.assign(size_t(values), ClassMap::kUnmapped);
  m.target[0] = unlabelled == Unlabelled::Unknown ? int16_t(kUnknown) : int16_t(kIgnoreLabel);
  return m;
}

// A class-map target: a class name, a class id or "ignore". Throws Error naming `where`.
int16_t parse_target(const Json& v, const std::string& where) {
  if (v.is_string()) {
    if (v.as_string() == "ignore") return kIgnoreLabel;
    const int id = class_by_name(v.as_string());
    if (id >= 0) return int16_t(id);
  } else if (v.is_integer_in(0, kNumClasses - 1)) {
    return int16_t(v.as_int());
  }
  throw Error(where + ": expected a class name (unknown, bed, ..., window), a class id 0.." +
              std::to_string(kNumClasses - 1) + " or \"ignore\", got " + printable(v.dump()));
}

// A label value key: decimal digits, 0..255.
int parse_value_key(const std::string& key, const std::string& where) {
  bool digits = !key.empty() && key.size() <= 3;
  for (char c : key) digits = digits && c >= '0' && c <= '9';
  if (!digits || std::stoi(key) > 255)
    throw Error(where + ": key \"" + printable(key) +
                "\" is not a label value (a decimal number 0..255)");
  return std::stoi(key);
}

}  // namespace

const char* unlabelled_name(Unlabelled u) { return u == Unlabelled::Unknown ? "unknown" : "ignore"; }

Unlabelled parse_unlabelled(const std::string& name) {
  if (name == "unknown") return Unlabelled::Unknown;
  if (name == "ignore") return Unlabelled::Ignore;
  throw Error("expected unknown or ignore, got '" + printable(name) + "'");
}

int nyu40_to_13(int k) {
  if (k < 1 || k > 40) throw Error("NYU-40 class " + std::to_string(k) + " is not in 1..40");
  return kNyu40To13[k - 1];
}

int nyu894_to_40(int k) {
  if (k < 1 || k > 894) throw Error("NYUv2 label " + std::to_string(k) + " is not in 1..894");
  return kNyu894To40[k - 1];
}

bool nyu_official_test(int index) {
  if (index < 1 || index > kNyuLabelledImages)
    throw Error("NYUv2 image index " + std::to_string(index) + " is not in 1.." +
                std::to_string(kNyuLabelledImages));
  for (int16_t t : kNyuTestIndices)
    if (t == index) return true;
  return false;
}

ClassMap sunrgbd37_class_map(Unlabelled unlabelled) {
  ClassMap m = make_map("SUN RGB-D 37-class", 38, unlabelled);
  for (int k = 1; k <= 37; ++k) m.target[size_t(k)] = int16_t(nyu40_to_13(k));
  return m;
}

ClassMap nyu13_class_map(Unlabelled unlabelled) {
  ClassMap m = make_map("NYUv2 13-class", 14, unlabelled);
  for (int k = 1; k <= 13; ++k) m.target[size_t(k)] = int16_t(k);
  return m;
}

ClassMap nyu894_class_map(Unlabelled unlabelled) {
  ClassMap m = make_map("NYUv2 894-class", 895, unlabelled);
  for (int k = 1; k <= 894; ++k) m.target[size_t(k)] = int16_t(nyu40_to_13(nyu894_to_40(k)));
  return m;
}

ClassMap read_class_map(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  const Json j = Json::parse(std::string(bytes.begin(), bytes.end()), path);
  auto fail = [&](const std::string& what) { throw Error(path + ": " + what); };
  if (!j.is_object()) fail("expected a JSON object {\"map\": {...}, \"unmapped\": ...}");
  for (auto& [key, value] : j.members())
    if (key != "map" && key != "unmapped")
      fail("unknown key \"" + printable(key) + "\" (expected map, unmapped)");
  if (!j.has("map") || !j.get("map").is_object() || j.get("map").size() == 0)
    fail("\"map\" must be a non-empty object of label value -> class");
  ClassMap m;
  m.source = path;
  int16_t unmapped = ClassMap::kUnmapped;
  if (j.has("unmapped")) {
    const Json& u = j.get("unmapped");
    if (!(u.is_string() && u.as_string() == "error")) unmapped = parse_target(u, path + ": \"unmapped\"");
  }
  m.target.assign(256, unmapped);
  for (auto& [key, value] : j.get("map").members()) {
    const std::string where = path + ": \"map\": \"" + printable(key) + "\"";
    m.target[size_t(parse_value_key(key, path + ": \"map\""))] = parse_target(value, where);
  }
  return m;
}

}  // namespace ulr
