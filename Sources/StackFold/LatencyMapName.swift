/// How `report --latency` pairs a histogram map with the `stats()`, `min()` and `max()` maps
/// that complete it, and what unit a map's values are in, from map names alone (users name
/// their maps as they like).
///
/// Pairing: a map is a companion of histogram `@H` when removing one `_`-separated word
/// `stats`, `min` or `max` from its name gives `H`: `@latency_stats_ns`, `@latency_min_ns` and
/// `@latency_max_ns` complete `@latency_ns`; `@ns_stats` and `@ns_max` complete `@ns`; `@stats`
/// completes the unnamed `@`. Entries pair when their keys are identical (same probe, same other
/// key members, same stack).
///
/// Unit: the last word of the name: `ns`/`nsecs` nanoseconds, `us`/`usecs` microseconds,
/// `ms`/`msecs` milliseconds, `s`/`secs` seconds; any other name is taken as nanoseconds (what
/// `nsecs` gives in bpftrace, and what `record --latency` writes), and said so.
public enum LatencyMapName {
  /// What a companion map holds.
  public enum Role: String, Sendable, Hashable {
    case stats, min, max
  }

  /// The histogram name a companion map completes, and its role; nil if the name has no role word.
  public static func companion(_ map: String) -> (histogram: String, role: Role)? {
    let words = map.dropFirst(map.hasPrefix("@") ? 1 : 0).split(
      separator: "_", omittingEmptySubsequences: false)
    // The last role word wins (`@min_stats` completes `@min`).
    for (i, word) in words.enumerated().reversed() {
      guard let role = Role(rawValue: String(word)) else { continue }
      var rest = words
      rest.remove(at: i)
      return ("@" + rest.joined(separator: "_"), role)
    }
    return nil
  }

  /// Nanoseconds per unit of the map's values, and whether the name said so (false: assumed ns).
  public static func unit(of map: String) -> (nanoseconds: Double, named: Bool) {
    let last = map.split(separator: "_").last.map { String($0.drop { $0 == "@" }) } ?? ""
    switch last {
    case "ns", "nsecs": return (1, true)
    case "us", "usecs": return (1e3, true)
    case "ms", "msecs": return (1e6, true)
    case "s", "secs": return (1e9, true)
    default: return (1, false)
    }
  }
}
