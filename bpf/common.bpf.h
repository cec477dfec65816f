/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps every netprobe BPF object declares, so that whichever object is
 * loaded first creates them and the others reuse them through their pins
 * (LIBBPF_PIN_BY_NAME under <pin root>/maps).
 */
#ifndef NETPROBE_COMMON_BPF_H
#define NETPROBE_COMMON_BPF_H

#include "netprobe.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_DEVICES);
	__type(key, char[NP_IFNAMSIZ]);
	__type(value, struct np_device);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_devices SEC(".maps");

#endif /* NETPROBE_COMMON_BPF_H */
