import ArgumentParser

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "report", abstract: "(being written)")

  func run() throws {
    throw ValidationError("'report' is not implemented yet")
  }
}
