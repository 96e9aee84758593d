import TraceParse

/// A profile's samples grouped by stack (and, when asked, by a class of label sets), weights
/// summed: what folding and call trees need when many samples share a stack under different
/// labels (a comm or pid per process). Groups are in order of their first sample, so walking
/// them builds the same tree, with the same first-seen order, as walking every sample.
struct StackGroups {
  /// For each group: the index of its first sample and the summed weight (wrapping: callers
  /// check the profile's total first).
  var first: [Int] = []
  var weight: [UInt64] = []
  /// For a differential profile, each group's summed baseline weight; else empty.
  var baseline: [UInt64] = []

  /// Groups by stack alone, or by stack and label set.
  init(_ profile: Profile, byLabels: Bool) {
    self.init(profile, labelClass: byLabels ? profile.labelSets.indices.map { UInt32($0) } : nil)
  }

  /// Groups by stack and `labelClass[sample.labels]` (label sets that print the same share a
  /// class), or by stack alone when `labelClass` is nil.
  init(_ profile: Profile, labelClass: [UInt32]?) {
    var table = ByteKeyTable(capacity: max(16, profile.samples.count / 4))
    var key: [UInt32] = []
    let baselines = profile.baselineWeights
    first.reserveCapacity(profile.samples.count / 4)
    weight.reserveCapacity(profile.samples.count / 4)
    // Samples that share a stored stack and a class are one group: the stack's frames are
    // copied and hashed once per such pair, not once per sample.
    var known = StackStorageMemo()
    for (index, sample) in profile.samples.enumerated() {
      let labels = labelClass.map { Int($0[Int(sample.labels)]) } ?? 0
      let group = known.value(for: sample.stack, tag: labels) {
        key.removeAll(keepingCapacity: true)
        if labelClass != nil { key.append(UInt32(labels)) }
        key.append(contentsOf: sample.stack)
        let found = key.withUnsafeBytes { raw -> UInt32? in
          let bytes = raw.bindMemory(to: UInt8.self)
          let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
          let hash = hashBytes(base, bytes.count)
          if let group = table.find(base, bytes.count, hash: hash) { return group }
          table.insert(base, bytes.count, hash: hash, value: UInt32(first.count))
          return nil
        }
        if let found { return found }
        first.append(index)
        weight.append(0)
        if baselines != nil { baseline.append(0) }
        return UInt32(first.count - 1)
      }
      weight[Int(group)] &+= sample.weight
      if let baselines { baseline[Int(group)] &+= baselines[index] }
    }
  }
}
