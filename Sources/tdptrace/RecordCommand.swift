import ArgumentParser

struct RecordCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "record", abstract: "(being written)")

  func run() throws {
    throw ValidationError("'record' is not implemented yet")
  }
}
