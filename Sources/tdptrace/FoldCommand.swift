import ArgumentParser

struct FoldCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "fold", abstract: "(being written)")

  func run() throws {
    throw ValidationError("'fold' is not implemented yet")
  }
}
