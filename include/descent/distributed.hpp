#pragma once
// descent::distributed: data-parallel training over MPI (link descent::distributed; built when
// DESCENT_MPI finds MPI, which defines DESCENT_HAS_MPI for its users).
#include "descent/distributed/checkpoint.hpp"
#include "descent/distributed/data_parallel.hpp"
#include "descent/distributed/environment.hpp"
