#pragma once
// The data layer (descent::data): datasets, the DataLoader, and readers for CSV, IDX (MNIST)
// and NumPy .npy files, subsets and random splits, transforms (data augmentation, map), and text
// (a byte vocabulary, windows).
#include "descent/data/csv.hpp"
#include "descent/data/dataloader.hpp"
#include "descent/data/dataset.hpp"
#include "descent/data/idx.hpp"
#include "descent/data/npy.hpp"
#include "descent/data/sampler.hpp"
#include "descent/data/subset.hpp"
#include "descent/data/text.hpp"
#include "descent/data/transforms.hpp"
