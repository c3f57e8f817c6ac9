# Host side of the gateway steps that run a guest script in the throwaway VM (ci/steps/68, 69).
# The caller sets shared (the shared material), gateway (our binary), work (a temporary
# directory) and defines fail.

# vm_share_prepare: fills $work/share with our gateway and the guest libraries. The caller adds
# guest.sh and whatever else the guest reads.
vm_share_prepare() {
    local lib
    lib=$(dirname "${BASH_SOURCE[0]}")
    mkdir -p "$work/share"
    cp "$gateway" "$work/share/gateway"
    cp "$lib/topology.sh" "$lib/vm-guest.sh" "$work/share/"
}

# vm_run_guest OK_LINE: runs `bash guest.sh` in the VM with $work/share (at most 240 s in the
# guest, 300 s in all), shows its output, and fails unless the output has OK_LINE.
vm_run_guest() {
    timeout 300 "$shared/interop/vm/run-vm.sh" --share "$work/share" --timeout 240 -- bash guest.sh \
        | tee "$work/guest.txt"
    grep -q "$1" "$work/guest.txt" || fail "the VM run did not pass"
}
