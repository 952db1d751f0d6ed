// The device under test of examples/bpf-xdp.yaml: an XDP filter that drops UDP to the ports
// listed in its map `blocked` and counts what it passes and drops, per CPU, in `stats`.
// Built beside the scenario file (docs/bpf.md; tests/scenario_bpf.rs builds it the same way):
//   clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c bpf-xdp.c -o bpf-xdp.o
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// blocked[port] != 0: UDP to that destination port (network order: a __be16 key) is dropped.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __be16);
    __type(value, __u8);
} blocked SEC(".maps");

struct verdicts {
    __u64 passed;
    __u64 dropped;
};

// stats[0]: frames passed and dropped, per CPU (a scenario reads the sum).
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct verdicts);
} stats SEC(".maps");

SEC("xdp")
int xdp_filter(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    __u32 zero = 0;
    struct verdicts *v = bpf_map_lookup_elem(&stats, &zero);
    int drop = 0;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) <= end && ip->protocol == IPPROTO_UDP && ip->ihl == 5) {
            struct udphdr *udp = (void *)(ip + 1);
            if ((void *)(udp + 1) <= end) {
                __u8 *b = bpf_map_lookup_elem(&blocked, &udp->dest);
                drop = b && *b;
            }
        }
    }
    if (v) {
        if (drop)
            v->dropped++;
        else
            v->passed++;
    }
    return drop ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
