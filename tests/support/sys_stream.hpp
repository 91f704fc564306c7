// The daemon-level tests of the SSE streams: sys_test.hpp's names and the SSE client's.
#pragma once

#include "tests/support/sse_client.hpp"
#include "tests/support/sys_test.hpp"

using vigil::test::sse_client;
using vigil::test::sse_event;
using vigil::test::sse_options;
