import Testing

@Test func placeholderSymbolize() {}
