/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps every netprobe BPF object declares, so that whichever object is
 * loaded first creates them and the others reuse them through their pins
 * (LIBBPF_PIN_BY_NAME under <pin root>/maps).
 */
#ifndef NETPROBE_COMMON_BPF_H
#define NETPROBE_COMMON_BPF_H

#include "netprobe.h"

/* libbpf 1.2's bpf_helpers.h has it; 1.1.2 (bookworm) does not. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) ({						\
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
	!!sym;								\
})
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_meta SEC(".maps");

/* The layout version of each feature's pins (enum np_feature). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_FEAT_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_layouts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_MAX_DEVICES);
	__type(key, char[NP_IFNAMSIZ]);
	__type(value, struct np_device);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_devices SEC(".maps");

/*
 * The value of key in map, inserting init first when there is none. Two
 * CPUs may race on the insert: BPF_NOEXIST lets one win and both then find
 * the same entry. NULL only when the map is full and cannot evict.
 */
static __always_inline void *np_map_get_or_insert(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif /* NETPROBE_COMMON_BPF_H */
