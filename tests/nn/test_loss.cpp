// Losses: values and gradients against PyTorch 1.13 (torch.nn.functional, float64), gradchecks,
// stability for large logits, and errors for bad targets.
#include "support/check.hpp"

#include "descent/nn.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_gradient;
using descent::testing::check_values;
using descent::testing::random_input;

namespace {
Tensor x() { return tensor({{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}}, float64); }
Tensor y() { return tensor({{0.5, 2.5, 0.0}, {0.0, 0.0, 1.0}}, float64); }
Tensor logits() { return tensor({{2.0, 1.0, 0.1}, {0.5, 2.5, -1.0}, {1000.0, 1001.0, 999.0}}, float64); }
Tensor labels() { return tensor({0, 1, 2}, int64); }
}  // namespace

BOOST_AUTO_TEST_SUITE(losses)

BOOST_AUTO_TEST_CASE(regression_losses_match_pytorch) {
  BOOST_TEST(nn::mse_loss(x(), y()).item() == 0.9583333333333334, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::mse_loss(x(), y(), "sum").item() == 5.75, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::l1_loss(x(), y()).item() == 0.75, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::l1_loss(x(), y(), nn::Reduction::sum).item() == 4.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::huber_loss(x(), y()).item() == 0.3958333333333333, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::huber_loss(x(), y(), "sum").item() == 2.375, boost::test_tools::tolerance(1e-12));
  check_values(nn::huber_loss(x(), y(), "none", 0.75), {{0.125, 0.125, 0.125}, {0.46875, 0.0, 1.21875}});
  check_values(nn::mse_loss(x(), y(), "none"), {{0.25, 0.25, 0.25}, {1, 0, 4}});
}

BOOST_AUTO_TEST_CASE(cross_entropy_matches_pytorch_even_for_large_logits) {
  BOOST_TEST(nn::cross_entropy(logits(), labels()).item() == 0.9926047292815007, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::cross_entropy(logits(), labels(), "sum").item() == 2.977814187844502,
             boost::test_tools::tolerance(1e-12));
  check_values(nn::cross_entropy(logits(), labels(), "none"),
               {0.41703001627783354, 0.15317820712228827, 2.4076059644443806}, 1e-12);
  Tensor z = logits().requires_grad_();
  nn::cross_entropy(z, labels()).backward();
  check_values(z.grad(),
               {{-0.1136662870380107, 0.08081099023490462, 0.03285529680310606},
                {0.03870484489138038, -0.04734106313051426, 0.00863621823913384},
                {0.08157615701826587, 0.2217469852582739, -0.30332314227653984}},
               1e-10, 1e-12);
  Tensor probabilities = tensor({{0.7, 0.2, 0.1}, {0.0, 1.0, 0.0}, {0.25, 0.25, 0.5}}, float64);
  BOOST_TEST(nn::cross_entropy(logits(), probabilities).item() == 0.8726047292815008,
             boost::test_tools::tolerance(1e-12));
  // float32 with logits of 1e4: finite and right
  Tensor big = tensor({{1e4, 0, -1e4}});
  BOOST_TEST(nn::cross_entropy(big, tensor({0}, int64)).item() == 0.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(nn::cross_entropy(big, tensor({1}, int64)).item() == 1e4, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(nll_and_bce_match_pytorch) {
  Tensor lp = log_softmax(logits(), 1);
  BOOST_TEST(nn::nll_loss(lp, labels()).item() == 0.9926047292815007, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::nll_loss(lp, labels(), "sum").item() == 2.977814187844502, boost::test_tools::tolerance(1e-12));
  Tensor bx = tensor({{-2.0, 0.5}, {30.0, -40.0}}, float64);
  Tensor by = tensor({{0.0, 1.0}, {1.0, 0.3}}, float64);
  BOOST_TEST(nn::binary_cross_entropy_with_logits(bx, by).item() == 3.150251248805793,
             boost::test_tools::tolerance(1e-12));
  check_values(nn::binary_cross_entropy_with_logits(bx, by, "none"),
               {{0.1269280110429726, 0.4740769841801067}, {9.348077867343381e-14, 12.0}}, 1e-9);
}

BOOST_AUTO_TEST_CASE(unbatched_inputs_and_loss_objects) {
  Tensor one = tensor({2.0, 1.0, 0.1}, float64);
  BOOST_TEST(nn::cross_entropy(one, tensor(0.0).to(int64)).item() == 0.41703001627783354,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::cross_entropy(one, tensor(0.0).to(int64), "none").dim() == 0u);
  nn::CrossEntropyLoss ce;
  BOOST_TEST(ce(logits(), labels()).item() == 0.9926047292815007, boost::test_tools::tolerance(1e-12));
  nn::MSELoss mse("sum");
  BOOST_TEST(mse(x(), y()).item() == 5.75, boost::test_tools::tolerance(1e-12));
  nn::HuberLoss huber("none", 0.75);
  BOOST_TEST(huber(x(), y()).numel() == 6u);
}

BOOST_AUTO_TEST_CASE(gradients_check) {
  for (const char* r : {"mean", "sum", "none"}) {
    const nn::Reduction reduction(r);
    check_gradient([=](const std::vector<Tensor>& in) { return nn::mse_loss(in[0], in[1], reduction); },
                   {random_input({3, 4}, 1), random_input({3, 4}, 2)});
    check_gradient([=](const std::vector<Tensor>& in) { return nn::l1_loss(in[0], in[1], reduction); },
                   {random_input({3, 4}, 3), random_input({3, 4}, 4)});
    check_gradient([=](const std::vector<Tensor>& in) { return nn::huber_loss(in[0], in[1], reduction, 0.5); },
                   {random_input({3, 4}, 5), random_input({3, 4}, 6)});
    check_gradient([=](const std::vector<Tensor>& in) { return nn::cross_entropy(in[0], tensor({2, 0, 1, 2}, int64), reduction); },
                   {random_input({4, 3}, 7)});
    check_gradient([=](const std::vector<Tensor>& in) { return nn::cross_entropy(in[0], softmax(in[1], 1), reduction); },
                   {random_input({4, 3}, 8), random_input({4, 3}, 9)});
    check_gradient([=](const std::vector<Tensor>& in) { return nn::nll_loss(log_softmax(in[0], 1), tensor({1, 0, 2}, int64), reduction); },
                   {random_input({3, 3}, 10)});
    check_gradient([=](const std::vector<Tensor>& in) {
      return nn::binary_cross_entropy_with_logits(in[0], sigmoid(in[1]), reduction);
    }, {random_input({2, 3}, 11), random_input({2, 3}, 12)});
  }
}

BOOST_AUTO_TEST_CASE(bad_targets_give_clear_errors) {
  check_error([] { nn::cross_entropy(logits(), tensor({0, 3, 1}, int64)); },
              "cross_entropy: target 3 at position 1 is out of range for 3 classes");
  check_error([] { nn::cross_entropy(logits(), tensor({0, -1, 1}, int64)); }, "target -1 at position 1 is out of range");
  check_error([] { nn::cross_entropy(logits(), tensor({0, 1}, int64)); },
              "cross_entropy: target (2,) does not match input (3,3): expected (3,)");
  check_error([] { nn::cross_entropy(logits(), tensor({0, 1, 2}, float64)); },
              "cross_entropy: target (3,) of float64 looks like class indices, which must be int64 (float targets are "
              "class probabilities of the input's shape (3,3))");
  check_error([] { nn::cross_entropy(logits(), zeros({3, 2}, float64)); }, "cross_entropy: input (3,3) and target (3,2)");
  check_error([] { nn::cross_entropy(logits(), zeros({3, 1}, int64)); },
              "cross_entropy: target (3,1) does not match input (3,3): expected (3,)");
  check_error([] { nn::cross_entropy(logits(), tensor({0, 1, 1}, boolean)); },
              "cross_entropy: class-index targets must be int64, got bool");
  check_error([] { nn::nll_loss(logits(), tensor({0, 1, 2}, float64)); }, "nll_loss: class-index targets must be int64");
  check_error([] { nn::nll_loss(logits(), tensor({0, -2, 1}, int64)); }, "nll_loss: target -2 at position 1 is out of range for 3 classes");
  check_error([] { nn::cross_entropy(zeros({2, 3, 4}), tensor({0, 1}, int64)); },
              "cross_entropy: expected input of shape (N, C) or (C,), got (2,3,4)");
  check_error([] { nn::nll_loss(logits(), tensor({0, 1, 5}, int64)); }, "nll_loss: target 5 at position 2");
  check_error([] { nn::mse_loss(zeros({3}), zeros({3, 1})); }, "mse_loss: input (3,) and target (3,1) must have the same shape");
  check_error([] { nn::mse_loss(zeros({3}), zeros({3}, float64)); }, "mse_loss: input is float32 but target is float64");
  check_error([] { nn::mse_loss(zeros({3}), zeros({3}), "avg"); }, "reduction must be \"none\", \"mean\" or \"sum\", got \"avg\"");
  check_error([] { nn::CrossEntropyLoss loss("batchmean"); }, "got \"batchmean\"");
  check_error([] { nn::L1Loss loss(std::string("Mean")); }, "got \"Mean\"");
  check_error([] { nn::huber_loss(zeros({3}), zeros({3}), "mean", 0); }, "huber_loss: delta must be positive");
}

BOOST_AUTO_TEST_SUITE_END()
