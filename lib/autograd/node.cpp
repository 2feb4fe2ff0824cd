#include "descent/autograd/node.hpp"

namespace descent::autograd {

namespace {
thread_local std::uint64_t next_sequence = 0;  // recording order on this thread
}

Node::Node(const char* name) : name_(name), sequence_(next_sequence++) {}

}  // namespace descent::autograd
