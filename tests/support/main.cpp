#define BOOST_TEST_MODULE descent
#include <boost/test/unit_test.hpp>
