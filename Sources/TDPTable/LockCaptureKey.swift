/// The shape of `record --mmu-lock`'s entries, written by `LockWriter` and read by
/// `MMULockWaits` (`report --mmu-lock`):
///
/// ```
/// @mmu_lock_wait_ns[tracepoint:lock:contention_begin, VM, VCPU, MODE, HOLDER, kstack]: hist
/// @mmu_lock_wait_stats_ns[<same key>]: count N, average A, total T
/// @mmu_lock_holder_overlaps[VM]: N
/// @mmu_lock_elapsed_ns: NS
/// ```
///
/// One histogram per waiter stack, so `report --latency` files the waits by the path that
/// waited too. VM is the VMM's pid whose `mmu_lock` it is; VCPU the waiter's `vcpu_id` when it is
/// a vCPU thread (one seen in `kvm_mmu_page_fault`), `-` for any other task; MODE `read` or `write` (the
/// waiter's, from `contention_begin`'s flags); HOLDER the innermost write path of the same VM
/// inside its bracket when the wait ended (`kvm_mmu_zap_all_fast`, ...), `-` when none was.
/// `@mmu_lock_holder_overlaps` counts holder entries by a second task of the VM while a first
/// was inside (not blamed: only one can hold the lock for write).
public enum LockCaptureKey {
  public static let waitMap = "@mmu_lock_wait_ns"
  public static let statsMap = "@mmu_lock_wait_stats_ns"
  public static let overlapsMap = "@mmu_lock_holder_overlaps"
  public static let elapsedMap = "@mmu_lock_elapsed_ns"
  /// The probe member of every wait.
  public static let probe = "tracepoint:lock:contention_begin"
  /// A wait no write holder was inside for.
  public static let noHolder = "-"
  /// A waiter that is not a vCPU thread.
  public static let noVCPU = "-"

  /// The first header line of a `record --mmu-lock` capture.
  public static let header =
    "# tdptrace record --mmu-lock: each wait for a VM's mmu_lock (lock:contention_begin to contention_end), by VM (VMM pid), vCPU (vcpu_id; - another task), mode, the write holder inside when it ended (- none) and the waiter's stack"

  /// `contention_begin`'s flags as the mode member (`LCB_F_READ` 2, `LCB_F_WRITE` 4 in
  /// include/trace/events/lock.h).
  public static func modeToken(flags: UInt32) -> String {
    if flags & 4 != 0 { return "write" }
    if flags & 2 != 0 { return "read" }
    return "flags0x" + String(flags, radix: 16)
  }
}
