import ArgumentParser

struct SymbolizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "symbolize", abstract: "(being written)")

  func run() throws {
    throw ValidationError("'symbolize' is not implemented yet")
  }
}
