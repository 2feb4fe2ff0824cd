#pragma once
// The training helper: fit(), callbacks, progress output and history files.
#include "descent/train/callbacks.hpp"
#include "descent/train/fit.hpp"
#include "descent/train/history.hpp"
#include "descent/train/progress.hpp"
