#include "support/check.hpp"

#include <cmath>
#include <limits>

#include "data/temp_dir.hpp"
#include "descent/train.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

train::History small_history() {
  train::History h;
  h.add(1, {{"loss", 0.5}, {"accuracy", 0.75}, {"lr", 0.1}});
  h.add(2, {{"loss", 0.1 + 0.2}, {"accuracy", nan}, {"lr", 1e-05}, {"val_loss", inf}});
  return h;
}

const char* expected_csv =
    "epoch,loss,accuracy,lr,val_loss\n"
    "1,0.5,0.75,0.1,\n"
    "2,0.30000000000000004,nan,1e-05,inf\n";

const char* expected_json =
    "{\"epochs\": [\n"
    "  {\"epoch\": 1, \"loss\": 0.5, \"accuracy\": 0.75, \"lr\": 0.1},\n"
    "  {\"epoch\": 2, \"loss\": 0.30000000000000004, \"accuracy\": null, \"lr\": 1e-05, \"val_loss\": null}\n"
    "]}\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(history)

BOOST_AUTO_TEST_CASE(metrics_keep_order_and_replace) {
  train::Metrics m{{"loss", 1.0}, {"accuracy", 0.5}};
  m.set("lr", 0.1);
  m.set("loss", 2.0);
  BOOST_TEST(m.size() == 3u);
  BOOST_TEST(m.items()[0].first == "loss");
  BOOST_TEST(m.at("loss") == 2.0);
  BOOST_TEST(m.names() == "loss, accuracy, lr");
  BOOST_TEST(!m.contains("val_loss"));
  BOOST_TEST(m.find("val_loss") == nullptr);
  check_error([&] { (void)m.at("val_loss"); }, "Metrics: no metric \"val_loss\" (have: loss, accuracy, lr)");
}

BOOST_AUTO_TEST_CASE(names_and_values) {
  const train::History h = small_history();
  BOOST_TEST(h.size() == 2u);
  BOOST_TEST((h.names() == std::vector<std::string>{"loss", "accuracy", "lr", "val_loss"}));
  const std::vector<double> val = h.values("val_loss");
  BOOST_TEST(std::isnan(val[0]));
  BOOST_TEST(val[1] == inf);
  BOOST_TEST(h.back().epoch == 2u);
  check_error([] { (void)train::History().back(); }, "History: no epochs recorded");
}

BOOST_AUTO_TEST_CASE(csv_exact) { BOOST_TEST(small_history().to_csv() == expected_csv); }

BOOST_AUTO_TEST_CASE(json_exact) { BOOST_TEST(small_history().to_json() == expected_json); }

BOOST_AUTO_TEST_CASE(empty_history) {
  BOOST_TEST(train::History().to_csv() == "epoch\n");
  BOOST_TEST(train::History().to_json() == "{\"epochs\": []}\n");
}

BOOST_AUTO_TEST_CASE(names_are_escaped) {
  train::History h;
  h.add(3, {{"a,\"b\"", -0.0}, {"tab\there", 2}});
  BOOST_TEST(h.to_csv() == "epoch,\"a,\"\"b\"\"\",tab\there\n3,-0,2\n");
  BOOST_TEST(h.to_json() == "{\"epochs\": [\n  {\"epoch\": 3, \"a,\\\"b\\\"\": -0, \"tab\\there\": 2}\n]}\n");
}

BOOST_AUTO_TEST_CASE(write_files_atomically) {
  testing::TempDir dir("history");
  const train::History h = small_history();
  dir.write("history.csv", "old contents");
  h.write_csv(dir / "history.csv");
  h.write_json(dir / "history.json");
  BOOST_TEST(testing::read_bytes(dir / "history.csv") == expected_csv);
  BOOST_TEST(testing::read_bytes(dir / "history.json") == expected_json);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  BOOST_TEST(files == 2u);  // no temporary file left behind
  check_error([&] { h.write_csv(dir / "missing-folder" / "h.csv"); }, "History.write_csv: cannot open");
}

BOOST_AUTO_TEST_SUITE_END()
