# The HOWTO's two-site topology in four network namespaces, for the gateway steps on the host
# and for their guest scripts in the VM (which get a copy of this file). Needs only iproute2.
#
#   PREFIX-hostL 172.16.1.1 - 172.16.1.254 PREFIX-gwL 192.0.2.1 === 192.0.2.2 PREFIX-gwR 10.0.0.1 - 10.0.0.105 PREFIX-hostR
#
# Each gateway reaches its host on in0 and the other gateway on out0; each host has eth0.

# topology_up PREFIX: creates the namespaces PREFIX-{hostL,gwL,gwR,hostR}, links and routes them.
topology_up() {
    local prefix=$1 ns pair
    for ns in hostL gwL gwR hostR; do
        ip netns add "$prefix-$ns"
        ip -n "$prefix-$ns" link set lo up
    done
    ip -n "$prefix-hostL" link add eth0 type veth peer name in0 netns "$prefix-gwL"
    ip -n "$prefix-gwL" link add out0 type veth peer name out0 netns "$prefix-gwR"
    ip -n "$prefix-gwR" link add in0 type veth peer name eth0 netns "$prefix-hostR"
    ip -n "$prefix-hostL" addr add 172.16.1.1/24 dev eth0
    ip -n "$prefix-gwL" addr add 172.16.1.254/24 dev in0
    ip -n "$prefix-gwL" addr add 192.0.2.1/24 dev out0
    ip -n "$prefix-gwR" addr add 192.0.2.2/24 dev out0
    ip -n "$prefix-gwR" addr add 10.0.0.1/24 dev in0
    ip -n "$prefix-hostR" addr add 10.0.0.105/24 dev eth0
    for pair in hostL:eth0 gwL:in0 gwL:out0 gwR:out0 gwR:in0 hostR:eth0; do
        ip -n "$prefix-${pair%%:*}" link set "${pair#*:}" up
    done
    ip -n "$prefix-hostL" route add default via 172.16.1.254
    ip -n "$prefix-hostR" route add default via 10.0.0.1
    for ns in gwL gwR; do ip netns exec "$prefix-$ns" sysctl -qw net.ipv4.ip_forward=1; done
}

# topology_down PREFIX: deletes the four namespaces, ignoring those that do not exist.
topology_down() {
    local ns
    for ns in hostL gwL gwR hostR; do ip netns del "$1-$ns" 2>/dev/null || true; done
}
