/// flamegraph.pl's `--colors` palettes, computed as flamegraph.pl computes them, so a graph
/// drawn with `--colors hot` has the same fill for the same function as flamegraph.pl's.
///
/// Without `--colors`, tdptrace colors by frame category (`FlameGraphPalette`: kernel, KVM,
/// module, user...), which is what a TDP MMU study needs; asking for a palette by name gives
/// flamegraph.pl's instead.
public enum FlameGraphColors: String, Sendable, Hashable, CaseIterable {
  case hot, mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, purple, orange

  /// The background gradient flamegraph.pl picks for the palette (`--bgcolors` default).
  public var background: (String, String) {
    switch self {
    case .mem: return ("#eef2ee", "#e0ffe0")
    case .io, .wakeup, .chain: return ("#eeeeee", "#e0e0ff")
    case .red, .green, .blue, .aqua, .yellow, .purple, .orange: return ("#f8f8f8", "#e8e8e8")
    case .hot, .java, .js, .perl: return ("#eeeeee", "#eeeeb0")
    }
  }

  /// `rgb(r,g,b)` for a function, as flamegraph.pl's `color($type, $hash, $name)`: `name` is
  /// the frame as written in the folded input, annotation (`_[k]`, `_[j]`...) included, since
  /// the java, js and perl palettes read it. `hash` is `--hash` (colors from the name's
  /// characters); otherwise the color is flamegraph.pl's default, perl's `rand` seeded with the
  /// sum of the name's bytes, reproduced exactly (drand48).
  public func color(name: String, hash: Bool) -> String {
    let v1: Double
    let v2: Double
    let v3: Double
    if hash {
      v1 = Self.namehash(Array(name.utf8))
      v2 = Self.namehash(Array(name.utf8).reversed())
      v3 = v2
    } else {
      let v = Self.seededRand(name)
      (v1, v2, v3) = (v, v, v)
    }
    func i(_ x: Double) -> Int { Int(x) }  // perl's int(): truncation toward zero
    var type = self
    // The multi palettes choose a flat palette by what the name looks like.
    switch self {
    case .hot:
      return "rgb(\(205 + i(50 * v3)),\(0 + i(230 * v1)),\(0 + i(55 * v2)))"
    case .mem:
      return "rgb(0,\(190 + i(50 * v2)),\(0 + i(210 * v1)))"
    case .io:
      let r = 80 + i(60 * v1)
      return "rgb(\(r),\(r),\(190 + i(55 * v2)))"
    case .java:
      if name.hasSuffix("_[j]") {
        type = .green
      } else if name.hasSuffix("_[i]") {
        type = .aqua
      } else if Self.startsJava(name) || name.contains(":::") {
        type = .green
      } else if name.contains("::") {
        type = .yellow
      } else if name.hasSuffix("_[k]") {
        type = .orange
      } else {
        type = .red
      }
    case .perl:
      if name.contains("::") {
        type = .yellow
      } else if name.contains("Perl") || name.contains(".pl") {
        type = .green
      } else if name.hasSuffix("_[k]") {
        type = .orange
      } else {
        type = .red
      }
    case .js:
      if name.hasSuffix("_[j]") {
        type = name.contains("/") ? .green : .aqua
      } else if name.contains("::") {
        type = .yellow
      } else if Self.jsSource(name) {
        type = .green
      } else if name.contains(":") {
        type = .aqua
      } else if name == " " {
        type = .green
      } else if name.contains("_[k]") {
        type = .orange
      } else {
        type = .red
      }
    case .wakeup:
      type = .aqua
    case .chain:
      type = name.contains("_[w]") ? .aqua : .blue
    default:
      break
    }
    switch type {
    case .red:
      let x = 50 + i(80 * v1)
      return "rgb(\(200 + i(55 * v1)),\(x),\(x))"
    case .green:
      let x = 50 + i(60 * v1)
      return "rgb(\(x),\(200 + i(55 * v1)),\(x))"
    case .blue:
      let x = 80 + i(60 * v1)
      return "rgb(\(x),\(x),\(205 + i(50 * v1)))"
    case .yellow:
      let x = 175 + i(55 * v1)
      return "rgb(\(x),\(x),\(50 + i(20 * v1)))"
    case .purple:
      let x = 190 + i(65 * v1)
      return "rgb(\(x),\(80 + i(60 * v1)),\(x))"
    case .aqua:
      return "rgb(\(50 + i(60 * v1)),\(165 + i(55 * v1)),\(165 + i(55 * v1)))"
    case .orange:
      return "rgb(\(190 + i(65 * v1)),\(90 + i(65 * v1)),0)"
    default:
      return "rgb(0,0,0)"
    }
  }

  /// `m:^L?(java|javax|jdk|net|org|com|io|sun)/:`
  static func startsJava(_ name: String) -> Bool {
    var rest = Substring(name)
    if rest.hasPrefix("L") { rest = rest.dropFirst() }
    return ["java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"].contains { rest.hasPrefix($0) }
  }

  /// `m:/.*\.js:`: a `/` with `.js` somewhere after it.
  static func jsSource(_ name: String) -> Bool {
    guard let slash = name.firstIndex(of: "/") else { return false }
    return name[name.index(after: slash)...].contains(".js")
  }

  /// flamegraph.pl's `namehash`: early characters weigh more, so similar names get similar
  /// colors. A module prefix up to the first backquote is dropped as perl's
  /// `s/.(.*?)\`//` does.
  static func namehash<C: Collection>(_ bytes: C) -> Double where C.Element == UInt8 {
    var chars = Array(bytes)
    if chars.count >= 2, let tick = chars[1...].firstIndex(of: UInt8(ascii: "`")) {
      chars.removeSubrange(0...tick)
    }
    var vector = 0.0
    var weight = 1.0
    var max = 1.0
    var mod = 10
    for c in chars {
      let i = Double(Int(c) % mod)
      vector += (i / Double(mod - 1)) * weight
      mod += 1
      max += weight
      weight *= 0.70
      if mod > 12 { break }
    }
    return 1 - vector / max
  }

  /// perl's `srand(unpack("%32W*", $name)); rand(1)`: drand48 seeded with the 32-bit sum of
  /// the name's bytes, one step.
  static func seededRand(_ name: String) -> Double {
    var sum: UInt32 = 0
    for b in name.utf8 { sum &+= UInt32(b) }
    let x0 = (UInt64(sum) << 16) | 0x330E
    let x1 = (0x5_DEEC_E66D &* x0 &+ 0xB) & ((1 << 48) - 1)
    return Double(x1) / Double(UInt64(1) << 48)
  }
}
