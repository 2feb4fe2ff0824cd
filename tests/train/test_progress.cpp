#include "support/check.hpp"

#include <sstream>
#include <string>

#include "descent/train.hpp"

using namespace descent;

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(formats) {
  BOOST_TEST(train::format_metric(0.34123) == "0.3412");
  BOOST_TEST(train::format_metric(12.5) == "12.5000");
  BOOST_TEST(train::format_metric(0) == "0.0000");
  BOOST_TEST(train::format_metric(1.5e-5) == "1.500e-05");
  BOOST_TEST(train::format_duration(4.2) == "0:04");
  BOOST_TEST(train::format_duration(725) == "12:05");
  BOOST_TEST(train::format_duration(3723) == "1:02:03");
  BOOST_TEST(train::format_rate(812.4) == "812");
  BOOST_TEST(train::format_rate(8312.4) == "8312");
  BOOST_TEST(train::format_rate(12345) == "1.2e4");
  BOOST_TEST(train::format_rate(99999) == "1.0e5");
}

BOOST_AUTO_TEST_CASE(plain_lines_when_not_a_tty) {
  std::ostringstream out;
  train::ProgressBar bar({.out = &out, .tty = false});
  BOOST_TEST(!bar.tty());
  bar.on_train_begin({nullptr, nullptr, 10, 2});
  bool stop = false;
  for (std::size_t epoch = 3; epoch <= 4; ++epoch) {
    bar.on_epoch_begin(epoch);
    bar.on_batch_end(1, 32, {{"loss", 0.9}});
    bar.on_batch_end(2, 32, {{"loss", 0.8}});
    bar.on_epoch_end(epoch,
                     {{"loss", 0.34123}, {"accuracy", 0.88123}, {"val_loss", 0.5}, {"lr", 0.1}, {"seconds", 3.21}},
                     stop);
  }
  BOOST_TEST(out.str() ==
             "epoch 3/10  loss 0.3412  accuracy 0.8812  val_loss 0.5000  3.2s\n"
             "epoch 4/10  loss 0.3412  accuracy 0.8812  val_loss 0.5000  3.2s\n");
}

BOOST_AUTO_TEST_CASE(redrawn_bar_on_a_tty) {
  std::ostringstream out;
  double t = 0;
  train::ProgressBar bar({.out = &out, .tty = true, .width = 10});
  bar.set_clock([&] { return t; });
  bar.on_train_begin({nullptr, nullptr, 10, 4});
  bar.on_epoch_begin(3);
  t = 1.0;
  bar.on_batch_end(1, 100, {{"loss", 0.5}, {"accuracy", 0.25}});
  t = 1.05;  // within 0.1 s of the last redraw: skipped
  bar.on_batch_end(2, 100, {{"loss", 0.4}});
  t = 2.0;
  bar.on_batch_end(3, 100, {{"loss", 0.25}});
  t = 2.5;
  bar.on_batch_end(4, 100, {{"loss", 0.2}});
  bool stop = false;
  bar.on_epoch_end(3, {{"loss", 0.2}, {"val_loss", 0.3}, {"lr", 0.1}, {"seconds", 3.0}}, stop);
  const std::string first = "epoch 3/10 [==>       ] 1/4  100 samples/s  ETA 0:03  loss 0.5000  accuracy 0.2500";
  const std::string third = "epoch 3/10 [=======>  ] 3/4  150 samples/s  ETA 0:01  loss 0.2500";
  const std::string fourth = "epoch 3/10 [==========] 4/4  160 samples/s  ETA 0:00  loss 0.2000";
  const std::string last = "epoch 3/10 [==========] 4/4  133 samples/s  3.0s  loss 0.2000  val_loss 0.3000";
  BOOST_TEST(out.str() == "\r" + first + "\r" + third + std::string(first.size() - third.size(), ' ') + "\r" +
                              fourth + "\r" + last + "\n");
}

BOOST_AUTO_TEST_CASE(default_stream_is_stdout) {
  // Under ctest stdout is a pipe or a file: plain lines unless forced.
  train::ProgressBar forced({.tty = true});
  BOOST_TEST(forced.tty());
  std::ostringstream out;
  train::ProgressBar other({.out = &out});
  BOOST_TEST(!other.tty());  // not std::cout: never a terminal
}

BOOST_AUTO_TEST_SUITE_END()
