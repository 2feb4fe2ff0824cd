#pragma once
// Optimizers, learning-rate schedulers and gradient clipping.
#include "descent/optim/adagrad.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/clip.hpp"
#include "descent/optim/lbfgs.hpp"
#include "descent/optim/optimizer.hpp"
#include "descent/optim/rmsprop.hpp"
#include "descent/optim/scheduler.hpp"
#include "descent/optim/sgd.hpp"
