#pragma once
// Layers, initialisers and losses.
#include "descent/nn/activation.hpp"
#include "descent/nn/conv.hpp"
#include "descent/nn/dropout.hpp"
#include "descent/nn/flatten.hpp"
#include "descent/nn/init.hpp"
#include "descent/nn/linear.hpp"
#include "descent/nn/loss.hpp"
#include "descent/nn/module.hpp"
#include "descent/nn/norm.hpp"
#include "descent/nn/pool.hpp"
#include "descent/nn/sequential.hpp"
#include "descent/nn/upsample.hpp"
