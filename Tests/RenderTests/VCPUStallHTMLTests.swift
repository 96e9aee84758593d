import Foundation
import Render
import StackFold
import TDPTable
import TestSupport
import Testing
import TraceParse

/// The per-vCPU section of the HTML page: a real guest fault capture and the synthetic lock
/// capture given together, its numbers those of `report --faults` and `report --mmu-lock`, and
/// hostile names escaped.
@Suite struct VCPUStallHTMLTests {
  static let faults = "fixtures/qemu-tdp/faults-tdptrace.txt"
  static let lock = "fixtures/record/capture-mmu-lock.golden.txt"

  static func page(_ profile: Profile) throws -> String {
    var page = HTMLReport()
    page.faults = try? FaultAnatomy(profile: profile)
    page.mmuLock = try? MMULockWaits(profile: profile)
    return try page.document(profile)
  }

  static func section(_ html: String) -> String {
    guard let start = html.range(of: "<section id=\"vcpus\">") else { return "" }
    let rest = html[start.lowerBound...]
    return String(rest[..<(rest.range(of: "</section>")?.upperBound ?? rest.endIndex)])
  }

  @Test func everyVCPUHasItsFaultsByOutcomeAndItsWaitsByHolder() throws {
    let profile = try ProfileLoader().load(paths: [Self.faults, Self.lock].map { TDPFixture.url($0).path })
    let anatomy = try FaultAnatomy(profile: profile)
    let waits = try MMULockWaits(profile: profile)
    let html = try Self.page(profile)
    #expect(html.contains("<a href=\"#vcpus\">Per vCPU</a>"))
    let section = Self.section(html)
    // One block per vCPU of each VM: the guest's two with faults, the lock capture's two vCPUs
    // and its teardown task.
    #expect(section.components(separatedBy: "<div class=\"vcpu\">").count - 1 == 2 + 3)
    for row in anatomy.rows {
      #expect(section.contains("<p>\(row.faults) faults ("), "\(row.label)")
      // The chart's legend: each outcome with its faults, and they add up to the row's.
      var legend: UInt64 = 0
      for outcome in row.outcomes {
        #expect(
          section.contains(">\(outcome.outcome) (\(outcome.faults))</text>"),
          "\(row.label) \(outcome.outcome)")
        legend += outcome.faults
      }
      #expect(legend == row.faults)
    }
    // Outcomes keep one color on the page.
    let fixed = section.components(separatedBy: "fill=\"").dropFirst().compactMap { part -> String? in
      let color = String(part.prefix { $0 != "\"" })
      return part.contains("<text") && part.contains(">RET_PF_FIXED (") ? color : nil
    }
    #expect(fixed.count == 2 && Set(fixed).count == 1, "\(fixed)")
    // Each waiter's bar: one segment per holder, widths summing to the bar, shares as text.
    let vm = waits.vms[0]
    #expect(section.contains(Escaping.html(MMULockText.finding(vm)!)))
    for waiter in vm.vcpus {
      #expect(
        section.contains("<p>\(waiter.waits) mmu_lock wait\(waiter.waits == 1 ? "" : "s"), "),
        "\(waiter.name)")
    }
    let bars = section.components(separatedBy: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"holders\"")
      .dropFirst()
    #expect(bars.count == vm.vcpus.count)
    for (bar, waiter) in zip(bars, vm.vcpus) {
      // The svg's own width first, then each segment's.
      let widths = bar.components(separatedBy: "</svg>")[0].components(separatedBy: " width=\"").dropFirst(2)
        .map { Double($0.prefix { $0 != "\"" })! }
      #expect(widths.count == waiter.holders.count)
      #expect(abs(widths.reduce(0, +) - 600) < 0.5, "\(widths)")
    }
    #expect(section.contains("kvm_mmu_notifier_invalidate_range_start 83.3%"))
    #expect(section.contains("no known holder 16.7%"))
  }

  @Test func aPageWithoutFaultOrLockCapturesHasNoSuchSection() throws {
    let html = try Self.page(try TDPFixture.load("fixtures/seed/tdp_mmu-notes.txt"))
    #expect(!html.contains("id=\"vcpus\"") && !html.contains("#vcpus"))
  }

  /// A trace is untrusted input: the VM, vCPU and holder members reach the page escaped.
  @Test func hostileNamesAreEscaped() throws {
    let text = """
      @mmu_lock_wait_ns[tracepoint:lock:contention_begin, <b>&vm, 0"><script>x</script>, read, </svg><img src=x>, 
          direct_page_fault+848
      ]:
      [1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

      @mmu_lock_elapsed_ns: 1000

      """
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tdptrace-vcpu-html-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("hostile.txt")
    try Data(text.utf8).write(to: path)
    let profile = try ProfileLoader().load(path: path.path)
    let section = Self.section(try Self.page(profile))
    #expect(!section.isEmpty)
    #expect(!section.contains("<script>") && !section.contains("<img") && !section.contains("<b>"))
    #expect(section.contains("&lt;/svg&gt;&lt;img src=x&gt;"))
    #expect(section.contains("VM &lt;b&gt;&amp;vm"))
  }
}
