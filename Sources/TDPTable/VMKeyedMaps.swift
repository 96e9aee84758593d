/// The capture maps whose keys name the VM and the vCPU: `record --faults`' `@fault_ns` and
/// `record --mmu-lock`'s `@mmu_lock_wait_ns` have the VM (the VMM's pid) and the vCPU
/// (`vcpu_id`, `-` for a task that is no vCPU) as their first members after the probe
/// (`FaultCaptureKey`, `LockCaptureKey`). `report --latency --by vm|vcpu` splits their rows by
/// them; no other map carries either.
public enum VMKeyedMaps {
  public static let maps: Set<String> = [FaultCaptureKey.latencyMap, LockCaptureKey.waitMap]

  /// "VM 4242" or, with `vcpu`, "VM 4242 vCPU 0", from the key members after the probe (its
  /// other members and the stack not included); nil for another map or a short key.
  public static func label(map: String, members: [String], vcpu: Bool) -> String? {
    guard maps.contains(map), members.count >= 2 else { return nil }
    if !vcpu { return "VM \(members[0])" }
    return members[1] == LockCaptureKey.noVCPU
      ? "VM \(members[0]) no vCPU" : "VM \(members[0]) vCPU \(members[1])"
  }
}
