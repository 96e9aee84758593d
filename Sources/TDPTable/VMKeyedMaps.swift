/// The capture maps whose keys name the VM and the vCPU: `record --faults`' `@fault_ns` and
/// `record --mmu-lock`'s `@mmu_lock_wait_ns` have the VM (the VMM's pid) and the vCPU
/// (`vcpu_id`, `-` for a task that is no vCPU) as their first members after the probe
/// (`FaultCaptureKey`, `LockCaptureKey`). `report --latency --by vm|vcpu` splits their rows by
/// them; no other map carries either.
public enum VMKeyedMaps {
  public static let maps: Set<String> = [FaultCaptureKey.latencyMap, LockCaptureKey.waitMap]

  /// The VM, or the VM and the vCPU, from the key members after the probe (its other members
  /// and the stack not included); nil for another map or a short key.
  public static func members(map: String, fields: [String], vcpu: Bool) -> [String]? {
    guard maps.contains(map), fields.count >= 2 else { return nil }
    return Array(fields.prefix(vcpu ? 2 : 1))
  }

  /// "VM 4242", "VM 4242 vCPU 0" or "VM 4242 no vCPU" for `members(map:fields:vcpu:)`.
  public static func label(_ members: [String]) -> String {
    var out = "VM \(members[0])"
    if members.count > 1 {
      out += members[1] == LockCaptureKey.noVCPU ? " no vCPU" : " vCPU \(members[1])"
    }
    return out
  }

  /// The order of VMs and vCPUs wherever they are listed: member by member, numbers (VMM pids,
  /// vcpu_ids) in number order, then names that are no number (`-`) by their text.
  public static func precedes(_ a: [String], _ b: [String]) -> Bool {
    for (x, y) in zip(a, b) where x != y {
      return (Int(x) ?? .max, x) < (Int(y) ?? .max, y)
    }
    return a.count < b.count
  }
}
