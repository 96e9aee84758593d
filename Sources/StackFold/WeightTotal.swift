import TraceParse

extension Profile {
  /// The sum of all sample weights, refusing a total beyond UInt64. Every partial sum the
  /// folding and report code makes (a stack, a function, a tree node) is at most this total,
  /// so once it is checked those sums cannot wrap.
  /// - Throws: `AggregationError.weightOverflow` when the total does not fit.
  public func checkedTotalWeight() throws(AggregationError) -> UInt64 {
    var total: UInt64 = 0
    for sample in samples {
      let (sum, overflow) = total.addingReportingOverflow(sample.weight)
      if overflow { throw .weightOverflow(existing: total, adding: sample.weight) }
      total = sum
    }
    return total
  }
}
