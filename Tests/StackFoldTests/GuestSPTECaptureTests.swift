import Foundation
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The guest's `record --spte` capture against the bpftrace script on the same tracepoint in
/// the same run (scripts/vm/guest-tests.sh, stage "spte"), read here through tdptrace's parser
/// and class tokens, the bpftrace side by splitting its lines: the (level, old present, new
/// present, old leaf, new leaf) buckets are equal, and so are the splits and flushes. The shell
/// check (check-captures.sh) does the same with awk; this one guards the reader and the ledger.
@Suite struct GuestSPTECaptureTests {
  static let kernels = GuestKernel.all.filter {
    $0.exists("spte-tdptrace.txt") && $0.exists("spte-bpftrace.txt")
  }

  struct Bucket: Hashable, CustomStringConvertible {
    var level: Int
    var oldPresent, newPresent, oldLeaf, newLeaf: Bool
    var description: String {
      "\(level) \([oldPresent, newPresent, oldLeaf, newLeaf].map { $0 ? "1" : "0" }.joined(separator: " "))"
    }
  }

  struct SplitBucket: Hashable {
    var level: Int
    var ok: Bool
  }

  /// bpftrace's `@spte_bpftrace[level, op, np, ol, nl]: N`, `@splits[level, errno]: N` (an
  /// older run's `@splits: N` as level 0), `@flushes: N`.
  static func bpftraceSide(_ text: String) -> (
    buckets: [Bucket: UInt64], splits: [SplitBucket: UInt64], flushes: UInt64
  ) {
    var buckets: [Bucket: UInt64] = [:]
    var splits: [SplitBucket: UInt64] = [:]
    var flushes: UInt64 = 0
    for line in text.split(separator: "\n") {
      if line.hasPrefix("@spte_bpftrace["), let close = line.range(of: "]: ") {
        let members = line[line.index(line.startIndex, offsetBy: 15)..<close.lowerBound]
          .split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        let bucket = Bucket(
          level: members[0], oldPresent: members[1] == 1, newPresent: members[2] == 1,
          oldLeaf: members[3] == 1,
          newLeaf: members[4] == 1)
        buckets[bucket, default: 0] += UInt64(line[close.upperBound...])!
      } else if line.hasPrefix("@splits["), let close = line.range(of: "]: ") {
        let members = line[line.index(line.startIndex, offsetBy: 8)..<close.lowerBound]
          .split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        splits[SplitBucket(level: members[0], ok: members[1] == 0), default: 0] += UInt64(
          line[close.upperBound...])!
      } else if line.hasPrefix("@splits: ") {
        splits[SplitBucket(level: 0, ok: true), default: 0] += UInt64(line.dropFirst(9))!
      } else if line.hasPrefix("@flushes: ") {
        flushes = UInt64(line.dropFirst(10))!
      }
    }
    return (buckets, splits, flushes)
  }

  /// bpftrace's `@ops[kprobe:ROOT]: N` and `@memslot_changes: N` (changes between
  /// kvm_set_memslot's kprobe and kretprobe, per thread).
  static func bpftraceOperations(_ text: String) -> (ops: [String: UInt64], memslotChanges: UInt64) {
    var ops: [String: UInt64] = [:]
    var memslot: UInt64 = 0
    for line in text.split(separator: "\n") {
      if line.hasPrefix("@ops[kprobe:"), let close = line.range(of: "]: ") {
        ops[String(line[line.index(line.startIndex, offsetBy: 12)..<close.lowerBound])] = UInt64(
          line[close.upperBound...])
      } else if line.hasPrefix("@memslot_changes: ") {
        memslot = UInt64(line.dropFirst(18)) ?? 0
      }
    }
    return (ops, memslot)
  }

  /// The per-operation ledger read back by tdptrace's own reader: as many memslot ioctls and
  /// notifier invalidations as bpftrace counted calls of their roots, the changes inside the
  /// memslot ioctls equal to bpftrace's, each operation's kernel count equal to its @spte
  /// entries, and on both kernels the memslot deletes (the fast zap of invalidated roots)
  /// returning with every zapped leaf unflushed, the notifier invalidations flushed.
  @Test(arguments: kernels)
  func operationsEqualBpftracesOnTheSameRun(kernel: GuestKernel) throws {
    let profile = try GuestCaptureTests.profile(
      try kernel.text("spte-tdptrace.txt"), name: "spte-tdptrace.txt")
    let ledger = try SPTELedger(profile: profile)
    let bpftrace = Self.bpftraceOperations(try kernel.text("spte-bpftrace.txt"))
    func count(_ root: String) -> UInt64 { UInt64(ledger.operations.filter { $0.root == root }.count) }
    #expect(count("kvm_set_memslot") == bpftrace.ops["kvm_set_memslot"], "\(kernel)")
    #expect(
      count("kvm_mmu_notifier_invalidate_range_start")
        == bpftrace.ops["kvm_mmu_notifier_invalidate_range_start"],
      "\(kernel)")
    let memslot = ledger.operations.filter { $0.root == "kvm_set_memslot" }
    #expect(memslot.reduce(0) { $0 + $1.entryChanges } == bpftrace.memslotChanges, "\(kernel)")
    #expect(bpftrace.memslotChanges > 0)
    for op in ledger.operations {
      #expect(op.changes == op.entryChanges && op.duration != nil, "\(kernel) op\(op.id)")
    }
    #expect(ledger.changesOfUnlistedOperations.isEmpty)
    let flagged = ledger.operations.filter(\.unflushedZap)
    #expect(
      !flagged.isEmpty && flagged.allSatisfy { $0.root == "kvm_set_memslot" && $0.flushes == 0 }, "\(kernel)")
    let notifier = ledger.operations.filter {
      $0.root == "kvm_mmu_notifier_invalidate_range_start" && $0.leafZaps > 0
    }
    #expect(!notifier.isEmpty && notifier.allSatisfy { $0.flushes > 0 && !$0.unflushedZap }, "\(kernel)")
  }

  @Test(arguments: kernels)
  func bucketsSplitsAndFlushesEqualBpftracesOnTheSameRun(kernel: GuestKernel) throws {
    let profile = try GuestCaptureTests.profile(
      try kernel.text("spte-tdptrace.txt"), name: "spte-tdptrace.txt")
    var buckets: [Bucket: UInt64] = [:]
    for sample in profile.samples {
      let labels = profile.labels(of: sample)
      guard labels.map == SPTECaptureKey.map else { continue }
      let level = try #require(labels[SPTECaptureKey.levelLabel].flatMap { SPTECaptureKey.level(named: $0) })
      let old = try #require(labels[SPTECaptureKey.oldLabel].flatMap { SPTEClass(token: $0) })
      let new = try #require(labels[SPTECaptureKey.newLabel].flatMap { SPTEClass(token: $0) })
      let bucket = Bucket(
        level: level, oldPresent: old.contains(.present), newPresent: new.contains(.present),
        oldLeaf: old.contains(.leaf), newLeaf: new.contains(.leaf))
      buckets[bucket, default: 0] += sample.weight
    }
    let bpftrace = Self.bpftraceSide(try kernel.text("spte-bpftrace.txt"))
    #expect(!buckets.isEmpty, "\(kernel)")
    #expect(buckets == bpftrace.buckets, "\(kernel)")

    // The ledger: every change in one cell, and the splits and flushes as its events.
    let ledger = try SPTELedger(profile: profile)
    #expect(ledger.total == bpftrace.buckets.values.reduce(0, +), "\(kernel)")
    #expect(ledger.skippedEntries == 0)
    #expect(
      ledger.events["kvm_mmu_split_huge_page", default: 0] == bpftrace.splits.values.reduce(0, +), "\(kernel)"
    )
    if !ledger.splits.isEmpty {
      var splits: [SplitBucket: UInt64] = [:]
      for (split, count) in ledger.splits {
        splits[SplitBucket(level: split.level, ok: split.result == "ok"), default: 0] += count
      }
      #expect(splits == bpftrace.splits, "\(kernel)")
    }
    #expect(ledger.events["kvm_flush_remote_tlbs", default: 0] == bpftrace.flushes, "\(kernel)")
    // Every unit of weight is a change, a split, a flush, or one operation.
    #expect(
      ledger.total + ledger.events.values.reduce(0, +) + UInt64(ledger.operations.count)
        == profile.totalWeight,
      "\(kernel)")
    // The kinds spte-driver makes on NPT (page_idle aging is not in Debian's kernels).
    let kinds = Set(ledger.counts.keys.map(\.kind))
    let made: Set<SPTETransition.Kind> = [
      .installLeaf, .linkPageTable, .zapLeaf, .unlinkPageTable, .freeze, .split, .writeProtect, .mmio,
    ]
    #expect(made.isSubset(of: kinds), "\(kernel): missing \(made.subtracting(kinds))")
  }

  @Test(arguments: kernels)
  func masksAreTheRunningKernels(kernel: GuestKernel) throws {
    let header = try kernel.text("spte-tdptrace.txt").split(separator: "\n").first {
      $0.hasPrefix(SPTECaptureKey.masksSourceHeader)
    }
    #expect(
      header?.dropFirst(SPTECaptureKey.masksSourceHeader.count).hasPrefix("kernel") == true, "\(kernel)")
  }

  /// From 6.4 KVM_CLEAR_DIRTY_LOG changes SPTEs without handle_changed_spte (kernels.txt
  /// `spte-bypass`): there `probes` says the spte-change group counts the tracepoint instead.
  @Test(arguments: kernels)
  func dirtyLogClearsBypassHandleChangedSpteFrom64(kernel: GuestKernel) throws {
    let bypass = try #require(kernel.spteBypass, "\(kernel): no spte-bypass in kernels.txt")
    let profile = try GuestCaptureTests.profile(
      try kernel.text("spte-tdptrace.txt"), name: "spte-tdptrace.txt")
    var under: UInt64 = 0
    var without: UInt64 = 0
    for sample in profile.samples where profile.labels(of: sample).map == SPTECaptureKey.map {
      let names = Set(profile.frames(of: sample).map(\.symbol))
      guard names.contains(bypass.function) else { continue }
      under += sample.weight
      if names.isDisjoint(with: ["handle_changed_spte", "__handle_changed_spte"]) {
        without += sample.weight
      }
    }
    #expect(under > 0, "\(kernel)")
    #expect(without == (bypass.bypasses ? under : 0), "\(kernel): \(without) of \(under)")
    guard kernel.exists("probes.txt") else { return }
    let lines = try GuestCaptureTests.probeLines("handle_changed_spte", in: "probes.txt", of: kernel)
    let replaced = lines.contains { $0.contains("skip") && $0.contains("tracepoint counts instead") }
    #expect(replaced == bypass.bypasses, "\(kernel): \(lines)")
  }
}
