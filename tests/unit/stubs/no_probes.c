// SPDX-License-Identifier: GPL-2.0
/*
 * An empty probe table for the unit tests: the device layer (src/lib/)
 * walks np_probes[], which src/cmd/probes.c defines with the probes' code.
 * Weak, so that a test that compiles the real table in (test_probes.c)
 * has that one.
 */
#include "lib/probe.h"

__attribute__((weak)) const struct np_probe np_probes[] = { { 0 } };
