import ArgumentParser

struct ProbesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "probes", abstract: "(being written)")

  func run() throws {
    throw ValidationError("'probes' is not implemented yet")
  }
}
